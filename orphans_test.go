package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

// TestLeftBehind: the CA folder deleted by hand leaves its root (and the
// one vouch rotate retired) trusted. status and uninstall say so and name
// --all-vouch-roots, which takes them out and leaves the root trusted for
// a friend; the bundle ends as it was before the install.
func TestLeftBehind(t *testing.T) {
	d, a, stderr, bundle, before := debianBefore(t)
	alice := ownerCA(t, "alice@nas", "photos.alice.org")
	if code := a.run([]string{"trust", filepath.Join(alice.Dir, certs.RootCertFile), "--fingerprint", certs.FingerprintOf(alice.Root).Hex()}); code != exitOK {
		t.Fatalf("trust = %d; stderr %s", code, stderr)
	}
	withFriend, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"install"}, {"rotate"}} {
		if code := a.run(args); code != exitOK {
			t.Fatalf("%q = %d; stderr %s", args, code, stderr)
		}
	}
	// bob, another user of this machine, installed a CA of his own.
	bob, _, bobErr := testApp(t, true)
	bob.owner = "bob@host"
	// tester's own root from before the machine was renamed is tester's.
	renamed, _, renamedErr := testApp(t, true)
	renamed.owner = "tester@oldname"
	if code := renamed.run([]string{"install"}); code != exitOK {
		t.Fatalf("install as tester@oldname = %d; stderr %s", code, renamedErr)
	}
	if code := bob.run([]string{"install"}); code != exitOK {
		t.Fatalf("bob's install = %d; stderr %s", code, bobErr)
	}
	bobs := bobRoot(t, bob)
	ours := anchors(t, d)
	if len(ours) != 5 {
		t.Fatalf("anchors after trust, installs, rotate and bob's install = %q, want alice's, tester@oldname's, the retired root's, the new one's and bob's", ours)
	}
	ca := a.getenv("VOUCH_CAROOT")
	if err := os.RemoveAll(ca); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, name := range ours {
		if name != platform.AnchorName(alice.Root) && name != platform.AnchorName(bobs) {
			left = append(left, "system: /usr/local/share/ca-certificates/"+name)
		}
	}
	warning := "vouch: the stores also trust vouch roots that bob@host made: theirs to take out (vouch uninstall, run by them), and left alone\n" +
		"vouch: warning: there is no CA in " + ca + ", yet the stores still trust 3 entries of vouch roots whose CA is gone (deleted, or made elsewhere): " + strings.Join(left, "; ") + "\n" +
		"vouch: hint: vouch uninstall --all-vouch-roots   (takes them out; the roots you trusted for other people stay)\n"

	for _, args := range [][]string{{"status"}, {"uninstall"}} {
		stderr.Reset()
		d.ran = nil
		a.run(args)
		if !strings.HasPrefix(stderr.String(), warning) {
			t.Errorf("%q with the CA folder gone said\n%s\nwant it to start with\n%s", args, stderr, warning)
		}
		if len(d.ran) != 0 || !slices.Equal(anchors(t, d), ours) {
			t.Errorf("%q ran %q and left anchors %q, want nothing run or removed", args, d.ran, anchors(t, d))
		}
	}

	stderr.Reset()
	if code := a.run([]string{"uninstall", "--all-vouch-roots"}); code != exitOK {
		t.Fatalf("uninstall --all-vouch-roots = %d; stderr %s", code, stderr)
	}
	if want := "vouch: there is no CA in " + ca + "; taking out the 3 entries of vouch roots whose CA is gone\n" +
		"vouch: left alone: the vouch roots that bob@host made, theirs to take out\nvouch: system: removed\n"; stderr.String() != want {
		t.Errorf("uninstall --all-vouch-roots said\n%s\nwant\n%s", stderr, want)
	}
	if got, want := anchors(t, d), []string{platform.AnchorName(alice.Root), platform.AnchorName(bobs)}; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("anchors after uninstall --all-vouch-roots = %q, want alice's and bob's", got)
	}
	if code := bob.run([]string{"uninstall"}); code != exitOK {
		t.Fatalf("bob's uninstall = %d; stderr %s", code, bobErr)
	}
	if now, _ := os.ReadFile(bundle); !bytes.Equal(now, withFriend) {
		t.Errorf("the bundle after uninstall --all-vouch-roots and bob's uninstall is not as it was with alice's root alone")
	}
	if code := a.run([]string{"untrust", "alice@nas"}); code != exitOK {
		t.Fatalf("untrust = %d; stderr %s", code, stderr)
	}
	if now, _ := os.ReadFile(bundle); !bytes.Equal(now, before) {
		t.Errorf("the bundle at the end is not as it was at the start")
	}

	// Nothing left: uninstall says so, as before.
	stderr.Reset()
	if code := a.run([]string{"uninstall"}); code != exitOK || stderr.String() != "vouch: there is no CA in "+ca+", so nothing to uninstall\n" {
		t.Errorf("uninstall with nothing left = %d, said %q", code, stderr)
	}
}

// debianBefore is a fake Debian machine and a root app on it, with the
// path of its bundle and the bundle's bytes before anything is installed.
func debianBefore(t *testing.T) (d *fakeDebian, a *app, stderr *bytes.Buffer, bundle string, before []byte) {
	t.Helper()
	d = newFakeDebian(t)
	withFake(t, d)
	a, _, stderr = testApp(t, true)
	bundle = filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt")
	before, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	return d, a, stderr, bundle, before
}

// bobRoot is the root of the CA in app b's folder.
func bobRoot(t *testing.T, b *app) *x509.Certificate {
	t.Helper()
	ca, err := certs.Load(b.getenv("VOUCH_CAROOT"))
	if err != nil {
		t.Fatal(err)
	}
	return ca.Root
}

// TestAllVouchRootsLeavesOtherUsers: with a CA of one's own,
// --all-vouch-roots still takes out this user's older root, and leaves the
// root bob's vouch installed on the same machine.
func TestAllVouchRootsLeavesOtherUsers(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	older, _, olderErr := testApp(t, true)
	bob, _, bobErr := testApp(t, true)
	bob.owner = "bob@host"
	a, stdout, stderr := testApp(t, true)
	for _, who := range []struct {
		a      *app
		stderr fmt.Stringer
	}{{older, olderErr}, {bob, bobErr}, {a, stderr}} {
		if code := who.a.run([]string{"install"}); code != exitOK {
			t.Fatalf("install as %s = %d; stderr %s", who.a.owner, code, who.stderr)
		}
	}
	olderAnchor := "/usr/local/share/ca-certificates/" + platform.AnchorName(bobRoot(t, older))
	if want := "; 1 stale anchor(s) from other vouch roots: " + olderAnchor + ")\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("tester's install said\n%s\nwant it to end with\n%s", stderr, want)
	}
	// status counts tester's older root as stale, and names bob's as his.
	stderr.Reset()
	stdout.Reset()
	if code := a.run([]string{"status", "--json"}); code != exitOK {
		t.Fatalf("status = %d; stderr %s", code, stderr)
	}
	var res statusJSON
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("status --json: %v\n%s", err, stdout)
	}
	if len(res.Stores) == 0 || res.Stores[0].Store != "system" {
		t.Fatalf("status --json stores = %+v, want the system store first", res.Stores)
	}
	if sys := res.Stores[0]; !slices.Equal(sys.Stale, []string{olderAnchor}) || !strings.HasSuffix(sys.Reason, "; 1 stale anchor(s) from other vouch roots: "+olderAnchor) {
		t.Errorf("status --json system store = %+v, want tester's older anchor alone stale", sys)
	}
	if !slices.Equal(res.OtherUsers, []string{"bob@host"}) {
		t.Errorf("status --json other_users = %q, want [bob@host]", res.OtherUsers)
	}
	if want := "vouch: the stores also trust vouch roots that bob@host made: theirs, not counted as stale here, and left alone by --all-vouch-roots\n"; stderr.String() != want {
		t.Errorf("status said\n%s\nwant\n%s", stderr, want)
	}

	stderr.Reset()
	if code := a.run([]string{"uninstall", "--all-vouch-roots"}); code != exitOK {
		t.Fatalf("uninstall --all-vouch-roots = %d; stderr %s", code, stderr)
	}
	if want := "vouch: left alone: the vouch roots that bob@host made, theirs to take out\nvouch: system: removed\n"; stderr.String() != want {
		t.Errorf("uninstall --all-vouch-roots said\n%s\nwant\n%s", stderr, want)
	}
	if got := anchors(t, d); !slices.Equal(got, []string{platform.AnchorName(bobRoot(t, bob))}) {
		t.Errorf("anchors after uninstall --all-vouch-roots = %q, want bob's alone (tester's own and older root gone)", got)
	}
}

// TestLeftBehindAdoptedMkcert: an mkcert CA folder that vouch install
// trusted, then deleted. Its anchor is vouch's (named after the root, which
// mkcert made): status names it with the NSS and Java entries, and
// --all-vouch-roots takes it out, so the bundle ends as it began.
func TestLeftBehindAdoptedMkcert(t *testing.T) {
	d, a, stderr, bundle, before := debianBefore(t)
	dir := filepath.Join(t.TempDir(), "mkcert")
	os.Mkdir(dir, 0o700)
	mkcertFolder(t, dir)
	if code := a.run([]string{"install", "--caroot", dir}); code != exitOK {
		t.Fatalf("install --caroot %s = %d; stderr %s", dir, code, stderr)
	}
	ours := anchors(t, d)
	if len(ours) != 1 || !strings.HasPrefix(ours[0], "vouch-") {
		t.Fatalf("anchors after install = %q, want vouch's one", ours)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	a.run([]string{"status", "--caroot", dir})
	// The hint names the folder: plain --all-vouch-roots would uninstall
	// the CA in the default folder, its root too.
	if want := "yet the stores still trust 1 entry of vouch roots whose CA is gone (deleted, or made elsewhere): system: /usr/local/share/ca-certificates/" + ours[0] + "\n" +
		"vouch: hint: vouch --caroot " + dir + " uninstall --all-vouch-roots   (takes them out; the roots you trusted for other people stay)\n"; !strings.Contains(stderr.String(), want) {
		t.Errorf("status with the mkcert CA folder gone said\n%s\nwant it to contain\n%s", stderr, want)
	}
	stderr.Reset()
	if code := a.run([]string{"uninstall", "--caroot", dir, "--all-vouch-roots"}); code != exitOK {
		t.Fatalf("uninstall --all-vouch-roots = %d; stderr %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 0 {
		t.Errorf("anchors after uninstall --all-vouch-roots = %q, want none", got)
	}
	if now, _ := os.ReadFile(bundle); !bytes.Equal(now, before) {
		t.Errorf("the bundle after uninstall --all-vouch-roots is not as it was before the install")
	}
}

// TestHeldBy: a stale NSS or Java entry is tied to its root by the name
// each store gives it, Debian's hook's Java alias (debian:vouch-<16
// hex>.pem) included, so that another user's root is not reported as this
// user's leftover through that alias.
func TestHeldBy(t *testing.T) {
	c := newTestCA(t, time.Now()).Root
	other := newTestCA(t, time.Now()).Root
	for _, e := range []string{
		"nss: sql:/h/.pki/nssdb: " + truststore.NSSNickname(c),
		"java: /etc/ssl/certs/java/cacerts: " + truststore.JavaAlias(c),
		"java: /etc/ssl/certs/java/cacerts: debian:" + truststore.JavaAlias(c) + ".pem",
	} {
		if !heldBy(e, []*x509.Certificate{other, c}) {
			t.Errorf("heldBy(%q) = false, want true", e)
		}
		if heldBy(e, []*x509.Certificate{other}) {
			t.Errorf("heldBy(%q) with another root only = true", e)
		}
	}
}
