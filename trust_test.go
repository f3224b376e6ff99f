package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
)

// fakeDebian is a Debian-shaped file system under a temp folder whose
// update-ca-certificates rebuilds the bundle from the local anchors.
type fakeDebian struct {
	root string
	ran  []string
	fail error
	// during, if set, runs as update-ca-certificates does.
	during func()
}

func newFakeDebian(t *testing.T) *fakeDebian {
	t.Helper()
	d := &fakeDebian{root: t.TempDir()}
	if err := makeDebianRoot(d.root); err != nil {
		t.Fatal(err)
	}
	return d
}

const debianAnchors = "/usr/local/share/ca-certificates"

// makeDebianRoot makes root a Debian system store: the anchor folder,
// update-ca-certificates, an empty bundle.
func makeDebianRoot(root string) error {
	for _, p := range []string{debianAnchors, "/etc/ssl/certs", "/usr/sbin"} {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(root, "/usr/sbin/update-ca-certificates"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "/etc/ssl/certs/ca-certificates.crt"), nil, 0o644)
}

// rebuildDebianBundle is update-ca-certificates under root: the bundle
// becomes the local anchors, one after another.
func rebuildDebianBundle(root string) error {
	var bundle []byte
	entries, _ := os.ReadDir(filepath.Join(root, debianAnchors))
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(root, debianAnchors, e.Name()))
		bundle = append(bundle, data...)
	}
	return os.WriteFile(filepath.Join(root, "/etc/ssl/certs/ca-certificates.crt"), bundle, 0o644)
}

func (d *fakeDebian) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	d.ran = append(d.ran, strings.Join(c.Argv, " "))
	if d.fail != nil {
		return nil, d.fail
	}
	if filepath.Base(c.Argv[0]) == "update-ca-certificates" {
		if d.during != nil {
			d.during()
		}
		return nil, rebuildDebianBundle(d.root)
	}
	return nil, nil
}

// withFake points the stores at d for the length of the test.
func withFake(t *testing.T, d *fakeDebian) {
	t.Helper()
	testOnlyFSRoot, testOnlyRunner = d.root, d
	t.Cleanup(func() { testOnlyFSRoot, testOnlyRunner = "", nil })
}

func testApp(t *testing.T, isRoot bool) (*app, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"VOUCH_CAROOT": filepath.Join(t.TempDir(), "ca")}
	a := &app{
		stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] },
		home:   t.TempDir(), goos: "linux", owner: "tester@host",
		now: time.Now, isRoot: isRoot,
	}
	// A test that calls installIn without the lock leaves its guard on.
	t.Cleanup(func() {
		if a.stopGuard != nil {
			a.stopGuard()
		}
	})
	return a, &stdout, &stderr
}

// installedApp is a root app on a fake Debian after vouch install args: the
// start of every test about what comes after an install.
func installedApp(t *testing.T, args ...string) (*fakeDebian, *app, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	if code := a.run(append([]string{"install"}, args...)); code != exitOK {
		t.Fatalf("install %s = %d: %s", strings.Join(args, " "), code, stderr)
	}
	return d, a, stdout, stderr
}

func TestInstallStatusUninstall(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)

	if code := a.run([]string{"status"}); code != exitFail {
		t.Fatalf("status with no CA = %d, want 1; stderr %s", code, stderr)
	}
	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("install = %d; stderr %s", code, stderr)
	}
	if !slices.Equal(d.ran, []string{"/usr/sbin/update-ca-certificates"}) {
		t.Errorf("install ran %q, want only the refresh (as root the anchor is written directly)", d.ran)
	}

	// Installed: install again runs nothing at all, and status exits 0.
	d.ran = nil
	stderr.Reset()
	if code := a.run([]string{"install"}); code != exitOK || len(d.ran) != 0 || !strings.Contains(stderr.String(), "nothing to do") {
		t.Errorf("second install = %d, ran %q, stderr %q; want 0, nothing, \"nothing to do\"", code, d.ran, stderr)
	}
	stdout.Reset()
	if code := a.run([]string{"status"}); code != exitOK || !strings.Contains(stdout.String(), "TRUSTED [debian]") {
		t.Errorf("status after install = %d, %q", code, stdout)
	}
	if len(d.ran) != 0 {
		t.Errorf("status ran %q, want nothing", d.ran)
	}

	stderr.Reset()
	if code := a.run([]string{"uninstall"}); code != exitOK {
		t.Fatalf("uninstall = %d; stderr %s", code, stderr)
	}
	// The stores this machine lacks (no NSS database, no JDK, not WSL)
	// go unmentioned, as install left them.
	if got := stderr.String(); got != "vouch: system: removed\n" {
		t.Errorf("uninstall said %q, want only that the system store's anchor was removed", got)
	}
	stdout.Reset()
	stderr.Reset()
	if code := a.run([]string{"status"}); code != exitFail || !strings.Contains(stdout.String(), "NOT TRUSTED [debian]") {
		t.Errorf("status after uninstall = %d, %q; want 1 and NOT TRUSTED", code, stdout)
	}
	// It says what to run, as check does.
	if got, want := stderr.String(), "vouch: hint: vouch install   (trusts it where it is not trusted yet: system)\n"; got != want {
		t.Errorf("status after uninstall said %q, want %q", got, want)
	}
	stderr.Reset()
	if code := a.run([]string{"status", "--stores", "system", "--json"}); code != exitFail || !strings.HasSuffix(stderr.String(), "vouch: hint: vouch install --stores system   (trusts it where it is not trusted yet: system)\n") {
		t.Errorf("status --stores system --json after uninstall = %d, stderr %q; want 1 and the hint with --stores system", code, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(d.root, "/usr/local/share/ca-certificates")); len(entries) != 0 {
		t.Errorf("uninstall left %d anchor files", len(entries))
	}
}

// TestInstallSaysItWaits: an install that finds the CA folder's lock held
// (by another install, waiting at sudo's password prompt) says so after a
// second, where it had waited without a word, then goes on.
func TestInstallSaysItWaits(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	dir := a.getenv("VOUCH_CAROOT")
	if code := a.run([]string{"localhost"}); code != exitOK {
		t.Fatalf("vouch localhost = %d; stderr %s", code, stderr)
	}
	stderr.Reset()
	unlock, err := certs.Lock(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() { done <- a.run([]string{"install"}) }()
	time.Sleep(1500 * time.Millisecond)
	select {
	case code := <-done:
		t.Fatalf("install returned %d while another held the CA folder's lock", code)
	default:
	}
	unlock()
	if code := <-done; code != exitOK {
		t.Fatalf("install once the lock was let go = %d; stderr %s", code, stderr)
	}
	want := "vouch: waiting for another vouch that is using " + dir + "\n"
	if !strings.HasPrefix(stderr.String(), want) || strings.Count(stderr.String(), "waiting") != 1 {
		t.Errorf("install behind a held lock said:\n%s\nwant it to start with %q, once", stderr, want)
	}
}

// TestStatusJSONShape pins the documented --json shape: its keys and types.
// TestRefreshFailsHint: a refresh that fails part way may have left the
// links and bundles half rebuilt (a full disk), which putting the anchor
// back does not mend; the hint is the same command again, with the cause
// in words.
func TestRefreshFailsHint(t *testing.T) {
	d, a, _, stderr := installedApp(t, "--stores", "system")
	for _, tt := range []struct{ output, why string }{
		{"sed: couldn't flush stdout: No space left on device", "once the disk has room"},
		{"E: something else", "once what the refresh's output names is fixed"},
	} {
		d.fail = &platform.ExecError{Argv: []string{"/usr/sbin/update-ca-certificates", "--fresh"}, Output: tt.output, Err: errors.New("exit status 4")}
		stderr.Reset()
		if code := a.run([]string{"uninstall", "--stores", "system"}); code != exitFail {
			t.Fatalf("uninstall with a failing refresh = %d, want 1; stderr %s", code, stderr)
		}
		want := "vouch: hint: vouch uninstall --stores system   (" + tt.why + ": the refresh stopped part way"
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("uninstall with a refresh failing with %q said:\n%s\nwant a line starting %q", tt.output, stderr, want)
		}
	}
	// rotate, run again, would make yet another CA: its hint is install.
	stderr.Reset()
	if code := a.run([]string{"rotate"}); code != exitFail {
		t.Fatalf("rotate with a failing refresh = %d, want 1; stderr %s", code, stderr)
	}
	if want := "vouch: hint: vouch install   (once what the refresh's output names is fixed: the refresh stopped part way"; !strings.Contains(stderr.String(), want) {
		t.Errorf("rotate with a failing refresh said:\n%s\nwant a line starting %q", stderr, want)
	}
}

// TestPartialBundle: Debian's update-ca-certificates appends the new
// bundle to ca-certificates.crt.new without emptying it first, so one that
// stopped part way makes the next refresh write roots twice (and keep any
// taken out). vouch runs no refresh over it, changes nothing, and says how
// to clear it; status names it too.
func TestPartialBundle(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	partial := filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt.new")
	if err := os.WriteFile(partial, []byte("half a bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, stdout, stderr := testApp(t, true)
	if code := a.run([]string{"install", "--stores", "system"}); code != exitFail {
		t.Fatalf("install over a partial bundle = %d, want 1; stderr %s", code, stderr)
	}
	for _, want := range []string{
		"vouch: error: system: can't install: /etc/ssl/certs/ca-certificates.crt.new is left from an update-ca-certificates that stopped part way",
		"vouch: hint: sudo rm /etc/ssl/certs/ca-certificates.crt.new && sudo update-ca-certificates --fresh   (if no update-ca-certificates is running; then: vouch install --stores system)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("install over a partial bundle said:\n%s\nwant %q", stderr, want)
		}
	}
	if anchors, _ := os.ReadDir(filepath.Join(d.root, debianAnchors)); len(d.ran) != 0 || len(anchors) != 0 {
		t.Errorf("install over a partial bundle ran %q and left %d anchor(s), want nothing done", d.ran, len(anchors))
	}
	if a.run([]string{"status", "--stores", "system"}); !strings.Contains(stdout.String(), "ca-certificates.crt.new is left from an update-ca-certificates that stopped part way") {
		t.Errorf("status with a partial bundle = %q, want it named", stdout)
	}

	// With another store to change (a JDK's own keystore), install stops
	// before it too: it had been changed, leaving the system store without
	// the root and that store with it.
	writeJKS, cacerts := fakeJDK(t, d)
	other := newTestCA(t, time.Now()).Root
	writeJKS(other)
	stops := func(what string, args ...string) {
		t.Helper()
		before := mustReadFile(t, cacerts)
		d.ran = nil
		stderr.Reset()
		if code := a.run(args); code != exitFail || len(d.ran) != 0 || !bytes.Equal(mustReadFile(t, cacerts), before) ||
			!strings.Contains(stderr.String(), "ca-certificates.crt.new is left from an update-ca-certificates") {
			t.Errorf("%s = %d, ran %q; stderr:\n%s\nwant 1, the partial bundle named, nothing run, cacerts as it was", what, code, d.ran, stderr)
		}
	}
	stops("install over a partial bundle with a JDK", "install")

	// Uninstall with the root in the system store and the JDK: the same.
	os.Remove(partial)
	if code := a.run([]string{"install", "--stores", "system"}); code != exitOK {
		t.Fatalf("install --stores system = %d; stderr %s", code, stderr)
	}
	ca, err := certs.Load(a.getenv("VOUCH_CAROOT"))
	if err != nil {
		t.Fatal(err)
	}
	writeJKS(other, ca.Root)
	if err := os.WriteFile(partial, []byte("half a bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	stops("uninstall over a partial bundle, the root in the system store and a JDK", "uninstall")

	// With nothing of vouch's in the system store it has nothing to change,
	// and the half-written bundle is no reason to stop the other stores.
	os.Remove(partial)
	if code := a.run([]string{"uninstall", "--stores", "system"}); code != exitOK {
		t.Fatalf("uninstall --stores system = %d; stderr %s", code, stderr)
	}
	if err := os.WriteFile(partial, []byte("half a bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.ran = nil
	stderr.Reset()
	a.run([]string{"uninstall"})
	if strings.Contains(stderr.String(), "is left from") || !strings.Contains(stderr.String(), "vouch: java: removed\n") {
		t.Errorf("uninstall over a partial bundle, nothing of vouch's in the system store: stderr:\n%s\nwant the JDK's uninstall, no stop", stderr)
	}

	os.Remove(partial)
	stderr.Reset()
	if code := a.run([]string{"install", "--stores", "system"}); code != exitOK {
		t.Errorf("install once it is gone = %d, want 0; stderr %s", code, stderr)
	}
}

// fakeJDK puts a JDK with its own JKS cacerts, and a keytool that fails if
// run for real, under d; the function it returns writes that cacerts with
// the certificates given.
func fakeJDK(t *testing.T, d *fakeDebian) (write func(...*x509.Certificate), cacerts string) {
	t.Helper()
	cacerts = filepath.Join(d.root, "/usr/lib/jvm/fake-jdk/lib/security/cacerts")
	keytool := filepath.Join(d.root, "/usr/lib/jvm/fake-jdk/bin/keytool")
	for _, dir := range []string{filepath.Dir(cacerts), filepath.Dir(keytool)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(keytool, []byte("#!/bin/sh\nexit 99\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return func(cs ...*x509.Certificate) {
		ks := keystore.New()
		for i, c := range cs {
			if err := ks.SetTrustedCertificateEntry(fmt.Sprint("e", i), keystore.TrustedCertificateEntry{
				CreationTime: time.Now(), Certificate: keystore.Certificate{Type: "X509", Content: c.Raw},
			}); err != nil {
				t.Fatal(err)
			}
		}
		var jks bytes.Buffer
		if err := ks.Store(&jks, []byte("changeit")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cacerts, jks.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}, cacerts
}

func TestStatusJSONShape(t *testing.T) {
	_, a, stdout, stderr := installedApp(t)
	stdout.Reset()
	if code := a.run([]string{"status", "--json"}); code != exitOK {
		t.Fatalf("status --json = %d; stderr %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, stdout)
	}
	keys := func(m map[string]any) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	if k := keys(got); k != "ca,stores,trusted,trusted_for_others" {
		t.Errorf("top-level keys = %s", k)
	}
	ca := got["ca"].(map[string]any)
	if k := keys(ca); k != "constrained,constraints,fingerprint_sha256,folder,intermediate_not_after,mkcert,permitted_domains,permitted_ip_ranges,root_key_on_disk,root_not_after,subject" {
		t.Errorf("ca keys = %s", k)
	}
	if ca["constrained"] != true || ca["root_key_on_disk"] != false || len(ca["permitted_domains"].([]any)) != 7 {
		t.Errorf("ca = %v", ca)
	}
	stores := got["stores"].([]any)
	st := stores[0].(map[string]any)
	if k := keys(st); k != "checked,reason,state,store,where" || st["state"] != "trusted" || st["store"] != "system" || st["where"] != "debian" {
		t.Errorf("store entry = %v (keys %s)", st, k)
	}
	if got["trusted"] != true {
		t.Errorf("trusted = %v", got["trusted"])
	}
	if others, ok := got["trusted_for_others"].([]any); !ok || len(others) != 0 {
		t.Errorf("trusted_for_others = %#v, want []", got["trusted_for_others"])
	}

	// An mkcert CA has no intermediate: no intermediate_not_after (it
	// had been there as 0001-01-01T00:00:00Z).
	mk := t.TempDir()
	mkcertFolder(t, mk)
	stdout.Reset()
	a.run([]string{"status", "--json", "--caroot", mk})
	got = nil
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("status --json for an mkcert CA is not JSON: %v\n%s", err, stdout)
	}
	ca = got["ca"].(map[string]any)
	if k := keys(ca); k != "constrained,constraints,fingerprint_sha256,folder,mkcert,permitted_domains,permitted_ip_ranges,root_key_on_disk,root_not_after,subject" || ca["mkcert"] != true {
		t.Errorf("mkcert ca keys = %s; ca = %v", k, ca)
	}
}

func TestInstallNeedsRoot(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	d.fail = &platform.NeedRootError{Reason: "sudo is not installed"}
	a, _, stderr := testApp(t, false)
	if code := a.run([]string{"install"}); code != exitFail {
		t.Fatalf("install without root = %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var pasted []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "vouch:") {
			pasted = append(pasted, l)
		}
	}
	caDir := a.getenv("VOUCH_CAROOT")
	if len(pasted) != 2 || !strings.HasPrefix(pasted[0], "install -m 0644 "+filepath.Join(caDir, "rootCA.pem")+" /usr/local/share/ca-certificates/vouch-") || pasted[1] != "/usr/sbin/update-ca-certificates" {
		t.Errorf("commands to paste = %q\nstderr:\n%s", pasted, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(d.root, "/usr/local/share/ca-certificates")); len(entries) != 0 {
		t.Errorf("a refused install left %d anchor files", len(entries))
	}
}

func TestStoresSelection(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	if code := a.run([]string{"install", "--stores", "macos"}); code != exitUsage || !strings.Contains(stderr.String(), `vouch: error: unknown store "macos"`) {
		t.Errorf("install --stores macos = %d, %q", code, stderr)
	}
	// Named, a store that is not on this machine is an error; by default it
	// is left out.
	stderr.Reset()
	if code := a.run([]string{"install", "--stores", "java"}); code != exitFail || !strings.Contains(stderr.String(), "vouch: error: java: no Java found") {
		t.Errorf("install --stores java with no Java = %d, %q", code, stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"install"}); code != exitOK || strings.Contains(stderr.String(), "java") || strings.Contains(stderr.String(), "nss") {
		t.Errorf("install with no Java and no browser = %d, %q; want 0 and neither mentioned", code, stderr)
	}
	stderr.Reset()
	env := map[string]string{"VOUCH_CAROOT": a.getenv("VOUCH_CAROOT"), "TRUST_STORES": "bogus"}
	a.getenv = func(k string) string { return env[k] }
	if code := a.run([]string{"status"}); code != exitUsage || !strings.Contains(stderr.String(), `vouch: error: TRUST_STORES="bogus": unknown store "bogus"`) {
		t.Errorf("TRUST_STORES=bogus status = %d, %q", code, stderr)
	}
}

// TestInstallWithoutCertutil: a browser database but no certutil. Left
// unnamed, the nss store is a warning with the command that installs
// certutil, and the system store is still installed and uninstalled.
func TestInstallWithoutCertutil(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	if err := os.MkdirAll(filepath.Join(a.home, ".pki", "nssdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(a.home, ".pki", "nssdb", "cert9.db")
	if err := os.WriteFile(db, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())

	for _, verb := range []string{"install", "uninstall"} {
		stderr.Reset()
		code := a.run([]string{verb})
		out := stderr.String()
		if code != exitOK || !strings.Contains(out, "vouch: warning: nss: certutil not found") ||
			!regexp.MustCompile(`(?m)^vouch: hint: sudo (apt|dnf|pacman|zypper|apk)`).MatchString(out) || strings.Contains(out, "error") {
			t.Errorf("%s without certutil = exit %d, stderr:\n%s\nwant 0, a warning naming certutil, the hint that installs it, no error", verb, code, out)
		}
		want := map[string]string{"install": "system: trusted now", "uninstall": "system: removed"}[verb]
		if !strings.Contains(out, want) {
			t.Errorf("%s without certutil: stderr lacks %q (the other stores go on):\n%s", verb, want, out)
		}
	}
	if data, _ := os.ReadFile(db); string(data) != "not a database" {
		t.Errorf("the database changed: %q", data)
	}
}

// TestInstallPutsAnchorBack: with vouch's anchor deleted by hand and the
// bundle not refreshed since, the root is trusted only until the next
// refresh; install does not call that "already trusted" but puts the
// anchor back.
func TestInstallPutsAnchorBack(t *testing.T) {
	d, a, stdout, stderr := installedApp(t, "--stores", "system")
	anchors, _ := filepath.Glob(filepath.Join(d.root, debianAnchors, "vouch-*.crt"))
	if len(anchors) != 1 {
		t.Fatalf("anchors after install: %q", anchors)
	}
	if err := os.Remove(anchors[0]); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := a.run([]string{"status", "--json", "--stores", "system"}); code != exitOK || !strings.Contains(stdout.String(), `"fragile": true`) {
		t.Errorf("status --json with the anchor gone = %d, want fragile: true:\n%s", code, stdout)
	}
	stderr.Reset()
	d.ran = nil
	if code := a.run([]string{"install", "--stores", "system"}); code != exitOK {
		t.Fatalf("install = %d: %s", code, stderr)
	}
	if _, err := os.Stat(anchors[0]); err != nil || !strings.Contains(stderr.String(), "vouch: system: trusted now (anchored in ") || len(d.ran) == 0 {
		t.Errorf("install with the anchor gone: %v, ran %q, stderr %s", err, d.ran, stderr)
	}
}

// TestMkcertInstallThenIssue: mkcert's -install with host names (or a
// -csr) installs, then issues, as mkcert does; it had been refused with
// "unexpected argument". mkcert's --flag spellings work too, and -CAROOT
// prints the folder whatever other flags come with it.
func TestMkcertInstallThenIssue(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	out := t.TempDir()
	c, k := filepath.Join(out, "c.pem"), filepath.Join(out, "k.pem")
	if code := a.run([]string{"-install", "-cert-file", c, "-key-file", k, "a.test"}); code != exitOK {
		t.Fatalf("-install -cert-file … a.test = %d; stderr %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || !slices.Equal(d.ran, []string{"/usr/sbin/update-ca-certificates"}) {
		t.Errorf("-install with a host: anchors %q, ran %q; want the root installed", got, d.ran)
	}
	if stdout.String() != c+"\n"+k+"\n" || !strings.Contains(stderr.String(), "vouch: certificate for a.test") {
		t.Errorf("-install with a host: stdout %q, stderr %s; want the certificate issued", stdout, stderr)
	}
	// The CA made for the certificate is installed right after it: no
	// hint to install it comes first.
	if strings.Contains(stderr.String(), "(trust it on this machine") {
		t.Errorf("-install with a host hinted the install it was about to run:\n%s", stderr)
	}

	stdout.Reset()
	d.ran = nil
	if code := a.run([]string{"--install", "--cert-file", c, "--key-file", k, "b.test"}); code != exitOK || len(d.ran) != 0 || stdout.String() != c+"\n"+k+"\n" {
		t.Errorf("--install again with a host = %d, ran %q, stdout %q; want the no-op install, then the certificate", code, d.ran, stdout)
	}

	// A mistake in the certificate's half stops it before the stores
	// change (install had run first, and trusted a CA made without the
	// --permit asked for); mkcert's refusals of -install with -uninstall
	// or -CAROOT are vouch's too.
	fresh, _, _ := testApp(t, true)
	d.ran = nil
	for _, args := range [][]string{
		{"-install", "--stores", "nss", "a.test"},
		{"-install", "-pkcs12", "-csr", "r.csr"},
		{"-install", "-uninstall"},
		{"-install", "-CAROOT"},
		{"-CAROOT", "-uninstall"},
	} {
		if code := fresh.run(args); code != exitUsage || len(d.ran) != 0 {
			t.Errorf("vouch %q = %d, ran %q; want a usage error and nothing run", args, code, d.ran)
		}
	}
	if _, err := os.Stat(fresh.getenv("VOUCH_CAROOT")); err == nil {
		t.Errorf("a refused -install made a CA")
	}
	if code := fresh.run([]string{"-install", "--permit", "corp.acme.test", "--cert-file", c, "--key-file", k, "a.corp.acme.test"}); code != exitOK || len(d.ran) != 1 {
		t.Errorf("-install --permit with a name under it = %d, ran %q; want the CA made with it, issued for and trusted", code, d.ran)
	}

	for _, args := range [][]string{{"-pkcs12", "-CAROOT"}, {"--CAROOT"}, {"-CAROOT", "-cert-file", c}, {"-CAROOT", "-key-file=" + k, "host.test"}} {
		stdout.Reset()
		if code := a.run(args); code != exitOK || stdout.String() != a.getenv("VOUCH_CAROOT")+"\n" {
			t.Errorf("vouch %q = %d, stdout %q; want the CA folder", args, code, stdout)
		}
	}
	// Other flags are still checked, as mkcert checks them.
	for _, args := range [][]string{{"-CAROOT", "--bogus"}, {"-CAROOT", "--caroot"}} {
		stdout.Reset()
		if code := a.run(args); code != exitUsage || stdout.Len() != 0 {
			t.Errorf("vouch %q = %d, stdout %q; want a usage error", args, code, stdout)
		}
	}
}

// TestMkcertIgnoredFlags: mkcert's -install with no host name ignores the
// certificate's flags, and -uninstall ignores them and host names too;
// vouch refused both with a usage error naming --cert-file, a spelling
// the user had not typed.
func TestMkcertIgnoredFlags(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"-install", "-cert-file", "x.pem"}, []string{"install"}},
		{[]string{"-install", "-pkcs12", "-ecdsa", "--stores", "system"}, []string{"install", "--stores", "system"}},
		{[]string{"-uninstall", "localhost", "-key-file=k.pem"}, []string{"uninstall", "--mkcert"}},
		{[]string{"--caroot", "x", "-uninstall", "a.test", "b.test"}, []string{"uninstall", "--mkcert", "--caroot", "x"}},
		// An explicit cert is the command word, not a host name for
		// install to refuse.
		{[]string{"cert", "-install"}, []string{"install"}},
		{[]string{"--caroot", "x", "cert", "-install", "--stores", "system"}, []string{"install", "--caroot", "x", "--stores", "system"}},
	} {
		if got := translateMkcert(c.in); !slices.Equal(got, c.want) {
			t.Errorf("translateMkcert(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	dir := t.TempDir()
	c := filepath.Join(dir, "x.pem")
	if code := a.run([]string{"-install", "-cert-file", c}); code != exitOK || len(anchors(t, d)) != 1 {
		t.Errorf("-install -cert-file x.pem = %d, anchors %q; want the install; stderr %s", code, anchors(t, d), stderr)
	}
	if _, err := os.Stat(c); err == nil {
		t.Errorf("-install with no host wrote %s", c)
	}
	if code := a.run([]string{"-uninstall", "localhost"}); code != exitOK || len(anchors(t, d)) != 0 {
		t.Errorf("-uninstall localhost = %d, anchors %q; want the uninstall; stderr %s", code, anchors(t, d), stderr)
	}
}

func TestSplitMkcertInstall(t *testing.T) {
	for _, c := range []struct {
		args          []string
		install, cert []string // nil: not split
	}{
		{[]string{"-install"}, nil, nil},
		{[]string{"-install", "--stores", "system"}, nil, nil},
		{[]string{"-uninstall", "a.test"}, nil, nil},
		{[]string{"-install", "a.test"}, []string{"install"}, []string{"cert", "a.test"}},
		{[]string{"--caroot", "x", "-install", "-csr", "r.csr"}, []string{"install", "--caroot", "x"}, []string{"cert", "--caroot", "x", "-csr", "r.csr"}},
		{[]string{"-install", "--caroot=x", "-cert-file", "c.pem", "a.test"}, []string{"install", "--caroot", "x"}, []string{"cert", "--caroot=x", "-cert-file", "c.pem", "a.test"}},
		{[]string{"-install", "-csr=r.csr"}, []string{"install"}, []string{"cert", "-csr=r.csr"}},
		{[]string{"-install", "--", "a.test"}, []string{"install"}, []string{"cert", "--", "a.test"}},
		// A host named like a command is a host, as for mkcert.
		{[]string{"-install", "status"}, []string{"install"}, []string{"cert", "status"}},
		// An explicit cert before -install is the command word: it had
		// been taken for a host name (cert cert a.test).
		{[]string{"cert", "-install", "a.test"}, []string{"install"}, []string{"cert", "a.test"}},
		{[]string{"--caroot", "x", "cert", "-install", "a.test"}, []string{"install", "--caroot", "x"}, []string{"cert", "--caroot", "x", "a.test"}},
		{[]string{"cert", "-install"}, nil, nil},
	} {
		install, cert, ok := splitMkcertInstall(c.args)
		if ok != (c.install != nil) || !slices.Equal(install, c.install) || !slices.Equal(cert, c.cert) {
			t.Errorf("splitMkcertInstall(%q) = %q, %q, %v; want %q, %q", c.args, install, cert, ok, c.install, c.cert)
		}
	}
}

// TestPermitWideExistingCA: a CA made with a public suffix permitted
// (before vouch refused to make one) is used as it is, with the same
// --permit flags, by cert and install; a new one is refused.
func TestPermitWideExistingCA(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	c := certs.DefaultConstraints()
	if err := c.Permit("co.uk"); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "wide")
	if _, _, err := certs.LoadOrCreate(dir, true, certs.CreateOptions{Constraints: c, Owner: "tester@host"}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if code := a.run([]string{"cert", "--caroot", dir, "--permit", "co.uk", "--cert-file", filepath.Join(out, "c.pem"), "--key-file", filepath.Join(out, "k.pem"), "shop.example.co.uk"}); code != exitOK {
		t.Errorf("cert --permit co.uk with the CA made so = %d; %s", code, stderr)
	}
	if code := a.run([]string{"install", "--caroot", dir, "--permit", "co.uk", "--stores", "system"}); code != exitOK {
		t.Errorf("install --permit co.uk with the CA made so = %d; %s", code, stderr)
	}
	stderr.Reset()
	fresh := filepath.Join(t.TempDir(), "new")
	if code := a.run([]string{"install", "--caroot", fresh, "--permit", "co.uk", "--stores", "system"}); code != exitUsage || !strings.Contains(stderr.String(), "--permit co.uk would let this CA vouch for every site under co.uk") {
		t.Errorf("install --permit co.uk making a CA = %d, %s; want it refused", code, stderr)
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("the refused install made %s", fresh)
	}
}

// TestCertBeforeInstall: vouch cert -install HOST issues for HOST and
// installs, as vouch -install HOST does.
func TestCertBeforeInstall(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	dir := t.TempDir()
	c := filepath.Join(dir, "c.pem")
	if code := a.run([]string{"cert", "-install", "-cert-file", c, "-key-file", filepath.Join(dir, "k.pem"), "a.test"}); code != exitOK || len(anchors(t, d)) != 1 {
		t.Fatalf("cert -install a.test = %d, anchors %q; stderr %s", code, anchors(t, d), stderr)
	}
	data, err := os.ReadFile(c)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(leaf.DNSNames, []string{"a.test"}) {
		t.Errorf("cert -install a.test issued for %q, want [a.test]; stdout %s", leaf.DNSNames, stdout)
	}
}

// The user is looked up (the user database read) only for a CA install
// makes, whose subjects name them: a no-op install, the CA there, has no
// use for it.
func TestInstallLooksUserUpOnlyToMakeCA(t *testing.T) {
	_, a, _, stderr := installedApp(t)
	ca, err := certs.Load(a.getenv("VOUCH_CAROOT"))
	if err != nil {
		t.Fatal(err)
	}
	if ou := ca.Root.Subject.OrganizationalUnit; !slices.Equal(ou, []string{"tester@host"}) {
		t.Errorf("the CA install made names %q, want tester@host", ou)
	}
	a.owner = ""
	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("second install = %d: %s", code, stderr)
	}
	if a.owner != "" {
		t.Errorf("install with the CA there looked the user up (%q)", a.owner)
	}
}
