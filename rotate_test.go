package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
)

func TestRotate(t *testing.T) {
	d, a, stdout, stderr := installedApp(t, "--permit", "photos.alice.org")
	dir, first, err := a.loadCA("")
	if err != nil {
		t.Fatal(err)
	}
	anchors := filepath.Join(d.root, "/usr/local/share/ca-certificates")

	var retired []string
	fps := []string{first.Fingerprint()}
	for i := 0; i < 2; i++ {
		stdout.Reset()
		stderr.Reset()
		if code := a.run([]string{"rotate"}); code != exitOK {
			t.Fatalf("rotate #%d = %d: %s", i+1, code, stderr)
		}
		_, ca, err := a.loadCA("")
		if err != nil {
			t.Fatal(err)
		}
		if ca.Fingerprint() == fps[len(fps)-1] {
			t.Fatalf("rotate #%d kept the same CA", i+1)
		}
		if !ca.Constraints.Covers(first.Constraints) || !first.Constraints.Covers(ca.Constraints) {
			t.Errorf("rotate #%d: constraints %s, want %s", i+1, ca.Constraints, first.Constraints)
		}
		fp := certs.FingerprintOf(ca.Root)
		for _, want := range []string{
			"fingerprint    SHA-256 " + fp.Voice() + "\n",
			"in words       " + fp.Words() + "\n",
			"may vouch for  " + ca.Constraints.Describe() + "\n",
			"    vouch trust rootCA.pem --fingerprint \"" + fp.Voice() + "\" --name LABEL\n",
		} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("rotate #%d stdout lacks %q:\n%s", i+1, want, stdout)
			}
		}
		if parsed, err := certs.ParseFingerprint(fp.Words()); err != nil || !parsed.Equal(fp) {
			t.Errorf("the printed words do not read back as the fingerprint: %v", err)
		}
		m := regexp.MustCompile(`retired the old CA \(fingerprint [0-9A-F ]+, valid until \S+\) to (\S+)\n`).FindStringSubmatch(stderr.String())
		if m == nil {
			t.Fatalf("rotate #%d stderr does not say where the old CA went:\n%s", i+1, stderr)
		}
		old, err := certs.Load(m[1])
		if err != nil || old.Fingerprint() != fps[len(fps)-1] {
			t.Errorf("rotate #%d: %s holds %v, %v; want the previous CA", i+1, m[1], old, err)
		}
		if !strings.Contains(stderr.String(), "vouch: trusting the new root where the old one is trusted: system\n") {
			t.Errorf("rotate #%d does not say where it trusts the new root:\n%s", i+1, stderr)
		}
		if !strings.Contains(stderr.String(), "vouch: hint: when no server uses the old CA any more: vouch uninstall --caroot "+m[1]+" --purge") {
			t.Errorf("no uninstall hint for the retired CA:\n%s", stderr)
		}
		retired = append(retired, m[1])
		fps = append(fps, ca.Fingerprint())
	}

	// Every root is still trusted: the old ones until their uninstall.
	for _, fp := range fps {
		if _, err := os.Stat(filepath.Join(anchors, "vouch-"+fp[:16]+".crt")); err != nil {
			t.Errorf("root %s is not anchored after the rotations: %v", fp[:16], err)
		}
	}
	stdout.Reset()
	if code := a.run([]string{"status"}); code != exitOK {
		t.Errorf("status after rotate = %d: %s", code, stderr)
	}
	// The retired roots are named as such, with the command that takes
	// each out, not as stale anchors.
	for i, r := range retired {
		want := filepath.Join("/usr/local/share/ca-certificates", "vouch-"+fps[i][:16]+".crt") + " holds the root of the CA vouch rotate retired to " + r + ", trusted until vouch uninstall --caroot " + r + " --purge"
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("status after the rotations does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout.String(), "stale") {
		t.Errorf("status after the rotations calls a retired root stale:\n%s", stdout)
	}

	// The hint works: uninstalling a retired CA takes out only its root.
	if code := a.run([]string{"uninstall", "--caroot", retired[0], "--purge"}); code != exitOK {
		t.Fatalf("uninstall of the retired CA = %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(anchors, "vouch-"+fps[0][:16]+".crt")); err == nil {
		t.Errorf("the retired root is still anchored")
	}
	if _, err := os.Stat(filepath.Join(anchors, "vouch-"+fps[2][:16]+".crt")); err != nil {
		t.Errorf("uninstalling the retired CA took out the current root: %v", err)
	}
	if _, err := os.Stat(retired[0]); err == nil {
		t.Errorf("--purge left %s", retired[0])
	}
	if _, err := certs.Load(dir); err != nil {
		t.Errorf("the current CA is gone: %v", err)
	}
}

// TestRotateUntrusted: a CA that was never installed (a server's CA for
// friends, a CI's) rotates without touching a store; --stores asks for
// the new root's trust whatever the old one had.
func TestRotateUntrusted(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	if code := a.run([]string{"cert", "--cert-file", filepath.Join(t.TempDir(), "c.pem"), "--key-file", filepath.Join(t.TempDir(), "k.pem"), "a.test"}); code != exitOK {
		t.Fatalf("cert = %d: %s", code, stderr)
	}
	anchors := filepath.Join(d.root, debianAnchors)

	stderr.Reset()
	if code := a.run([]string{"rotate"}); code != exitOK {
		t.Fatalf("rotate = %d: %s", code, stderr)
	}
	wantSaid(t, stderr, "rotate of an untrusted CA",
		"vouch: the old root is trusted in no store on this machine, so the new one is left out of them too\n",
		"vouch: hint: vouch install   (to trust the new root on this machine)\n")
	if len(d.ran) != 0 {
		t.Errorf("rotate of an untrusted CA ran %q", d.ran)
	}
	if entries, _ := os.ReadDir(anchors); len(entries) != 0 {
		t.Errorf("rotate of an untrusted CA anchored %d file(s)", len(entries))
	}

	stderr.Reset()
	if code := a.run([]string{"rotate", "--stores", "system"}); code != exitOK {
		t.Fatalf("rotate --stores system = %d: %s", code, stderr)
	}
	_, ca, err := a.loadCA("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(anchors, "vouch-"+ca.Fingerprint()[:16]+".crt")); err != nil {
		t.Errorf("rotate --stores system did not anchor the new root: %v\n%s", err, stderr)
	}
	if entries, _ := os.ReadDir(anchors); len(entries) != 1 {
		t.Errorf("rotate --stores system: %d anchors, want only the new root's", len(entries))
	}
}

// TestRotateNextStepsKeepCA: what rotate prints to do next names the CA
// it rotated. Without --caroot, export --force pasted where a default CA
// exists wrote that other CA's root into the invitation; without
// --allow-unconstrained, the friend's trust of an unconstrained root is
// refused.
func TestRotateNextStepsKeepCA(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	dir := filepath.Join(t.TempDir(), "photos-ca")
	if code := a.run([]string{"--caroot", dir, "install", "--unconstrained"}); code != exitOK {
		t.Fatalf("install = %d: %s", code, stderr)
	}
	stdout.Reset()
	stderr.Reset()
	if code := a.run([]string{"--caroot", dir, "rotate"}); code != exitOK {
		t.Fatalf("rotate = %d: %s", code, stderr)
	}
	_, ca, err := a.loadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	fp := certs.FingerprintOf(ca.Root)
	wantSaid(t, stdout, "rotate's stdout",
		"    vouch trust rootCA.pem --fingerprint \""+fp.Voice()+"\" --name LABEL --allow-unconstrained\n",
		"For a new invitation page with these facts: vouch --caroot "+dir+" export --force\n")
	wantSaid(t, stderr, "rotate's stderr",
		"issue new certificates for your servers: vouch --caroot "+dir+" HOST...\n")
}

func TestRotateRefusals(t *testing.T) {
	a, stdout, stderr := testApp(t, true)
	withFake(t, newFakeDebian(t))
	if code := a.run([]string{"rotate"}); code != exitFail || !strings.Contains(stderr.String(), "vouch: error: there is no CA in") || !strings.Contains(stderr.String(), "vouch: hint: vouch install") {
		t.Errorf("rotate with no CA = %d, %q", code, stderr)
	}

	stderr.Reset()
	dir := filepath.Join(t.TempDir(), "mkcert")
	os.Mkdir(dir, 0o700)
	mkcertFolder(t, dir)
	if code := a.run([]string{"rotate", "--caroot", dir}); code != exitFail || !strings.Contains(stderr.String(), "is mkcert's") {
		t.Errorf("rotate of an mkcert CA = %d, %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("refusing touched the mkcert folder: %d entries", len(entries))
	}

	stderr.Reset()
	if code := a.run([]string{"rotate", "extra"}); code != exitUsage {
		t.Errorf("rotate extra = %d", code)
	}
	if code := a.run([]string{"rotate", "--stores", "nosuch"}); code != exitUsage {
		t.Errorf("rotate --stores nosuch = %d", code)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout: %s", stdout)
	}
}

// mkcertFolder writes an mkcert-style CA (root and its key, no
// intermediate) into dir.
func mkcertFolder(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "mkcert tester", Organization: []string{"mkcert development CA"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := certs.MarshalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.WriteFiles(
		certs.File{Path: filepath.Join(dir, certs.RootCertFile), Data: certs.CertPEM(der), Mode: 0o644},
		certs.File{Path: filepath.Join(dir, certs.RootKeyFile), Data: keyPEM, Mode: 0o400},
	); err != nil {
		t.Fatal(err)
	}
}

// TestUninstallPurgeRetired: uninstall --purge deletes the CA folder, and
// with it the CAs vouch rotate retired into it; their roots, still
// trusted, go first, so that none is left with no folder to uninstall it
// from.
func TestUninstallPurgeRetired(t *testing.T) {
	d, a, _, stderr := installedApp(t)
	for i := 0; i < 2; i++ {
		if code := a.run([]string{"rotate"}); code != exitOK {
			t.Fatalf("rotate = %d: %s", code, stderr)
		}
	}
	dir, _, err := a.loadCA("")
	if err != nil {
		t.Fatal(err)
	}
	retired := certs.Retired(dir)
	if len(retired) != 2 {
		t.Fatalf("%d retired CAs, want 2", len(retired))
	}
	anchors := filepath.Join(d.root, debianAnchors)
	if entries, _ := os.ReadDir(anchors); len(entries) != 3 {
		t.Fatalf("%d anchors before uninstall, want 3", len(entries))
	}

	stderr.Reset()
	if code := a.run([]string{"uninstall", "--purge"}); code != exitOK {
		t.Fatalf("uninstall --purge = %d: %s", code, stderr)
	}
	if entries, _ := os.ReadDir(anchors); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("uninstall --purge left anchors %q", names)
	}
	// Newest first: the reverse of the installs.
	var said []string
	for _, m := range regexp.MustCompile(`the CA vouch rotate retired to (\S+) goes with the folder; taking its root out too\n`).FindAllStringSubmatch(stderr.String(), -1) {
		said = append(said, m[1])
	}
	if want := []string{retired[1].Dir, retired[0].Dir}; !slices.Equal(said, want) {
		t.Errorf("uninstall --purge named the retired CAs %q, want %q (newest first):\n%s", said, want, stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the CA folder is still there: %v", err)
	}
}

// TestUninstallNamesRetired: uninstall takes out the current root only;
// a root rotate retired from the folder and still trusted is named, with
// the command that takes it out. Before, uninstall said only "removed",
// and the retired root stayed trusted unseen.
func TestUninstallNamesRetired(t *testing.T) {
	d, a, _, stderr := installedApp(t)
	if code := a.run([]string{"rotate"}); code != exitOK {
		t.Fatalf("rotate = %d: %s", code, stderr)
	}
	dir, _, err := a.loadCA("")
	if err != nil {
		t.Fatal(err)
	}
	retired := certs.Retired(dir)
	if len(retired) != 1 {
		t.Fatalf("%d retired CAs, want 1", len(retired))
	}
	stderr.Reset()
	if code := a.run([]string{"uninstall"}); code != exitOK {
		t.Fatalf("uninstall = %d: %s", code, stderr)
	}
	wantSaid(t, stderr, "uninstall after a rotate",
		"vouch: system: removed\n",
		"vouch: the root of the CA vouch rotate retired to "+retired[0].Dir+" is still trusted (system), until vouch uninstall --caroot "+retired[0].Dir+" --purge\n")
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(retired[0].Root) {
		t.Errorf("anchors after uninstall = %q, want the retired root's alone", got)
	}
	// Once that is run, nothing is left to name.
	if code := a.run([]string{"uninstall", "--caroot", retired[0].Dir, "--purge"}); code != exitOK {
		t.Fatalf("uninstall of the retired CA = %d: %s", code, stderr)
	}
	if _, err := certs.Load(dir); err != nil {
		t.Fatal(err)
	}
	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("install = %d: %s", code, stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"uninstall"}); code != exitOK || strings.Contains(stderr.String(), "retired") {
		t.Errorf("uninstall with no retired CA = %d:\n%s", code, stderr)
	}
}

// TestUninstallMkcertEntries: an mkcert CA that mkcert -install trusted.
// Its anchor is mkcert's, not vouch's: vouch uninstall leaves it, says so
// and hints --mkcert; mkcert's -uninstall (vouch uninstall --mkcert) takes
// it out, as mkcert -uninstall does. An anchor by that name for another
// root stays.
func TestUninstallMkcertEntries(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	anchors := filepath.Join(d.root, debianAnchors)
	// trustedByMkcert makes an mkcert CA folder and writes the anchor
	// mkcert -install writes for its root; it returns both paths.
	trustedByMkcert := func(name string) (dir, anchor string) {
		dir = filepath.Join(t.TempDir(), name)
		os.Mkdir(dir, 0o700)
		mkcertFolder(t, dir)
		ca, err := certs.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		anchor = filepath.Join(anchors, "mkcert_development_CA_"+ca.Root.SerialNumber.String()+".crt")
		if err := os.WriteFile(anchor, certs.CertPEM(ca.Root.Raw), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir, anchor
	}
	dir, mk := trustedByMkcert("mkcert")
	// Another mkcert root's anchor, from another CA folder.
	_, other := trustedByMkcert("other")
	if err := rebuildDebianBundle(d.root); err != nil {
		t.Fatal(err)
	}

	if code := a.run([]string{"uninstall", "--caroot", dir}); code != exitOK {
		t.Fatalf("uninstall = %d: %s", code, stderr)
	}
	wantSaid(t, stderr, "uninstall of an mkcert-installed CA",
		"which mkcert -install wrote, so only vouch uninstall --mkcert (or mkcert -uninstall) removes it",
		// The hint keeps --caroot: plain vouch uninstall --mkcert would be of
		// the CA in the default folder.
		"vouch: hint: vouch --caroot "+dir+" uninstall --mkcert   (takes out mkcert's own entries for this root too, as mkcert -uninstall does)\n")
	if _, err := os.Stat(mk); err != nil {
		t.Errorf("uninstall without --mkcert took mkcert's anchor out: %v", err)
	}

	stderr.Reset()
	d.ran = nil
	if code := a.run([]string{"-uninstall", "--caroot", dir}); code != exitOK {
		t.Fatalf("-uninstall = %d: %s", code, stderr)
	}
	if _, err := os.Stat(mk); !os.IsNotExist(err) {
		t.Errorf("-uninstall left mkcert's anchor: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("-uninstall took out another root's anchor: %v", err)
	}
	if want := "/usr/sbin/update-ca-certificates --fresh"; !slices.Contains(d.ran, want) {
		t.Errorf("-uninstall ran %q, want the refresh %q", d.ran, want)
	}
	if !strings.Contains(stderr.String(), "vouch: system: removed\n") || strings.Contains(stderr.String(), "hint") {
		t.Errorf("-uninstall said:\n%s", stderr)
	}
}

// wantSaid fails the test for each of wants that out lacks; what names
// the command that should have said it.
func wantSaid(t *testing.T, out *bytes.Buffer, what string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("%s does not say %q:\n%s", what, want, out)
		}
	}
}

// TestExpiryWarnings: a CA near its end, or past it, says so with the
// command that replaces it, wherever it is used; a CA past its end issues
// nothing.
func TestExpiryWarnings(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	ca := exportCA(t, a, "a.test")
	end := ca.Issuer.NotAfter
	dir := a.getenv("VOUCH_CAROOT")
	hint := "vouch: hint: vouch rotate   (a new CA, trusted wherever this one is)\n"
	out := t.TempDir()
	cert := []string{"cert", "--cert-file", filepath.Join(out, "c.pem"), "--key-file", filepath.Join(out, "k.pem"), "a.test"}
	cases := []struct {
		name     string
		before   time.Duration // now, before the CA's end
		args     []string
		code     int
		warnings []string // nil: none about the end
	}{
		{"cert, 91 days before", 91 * 24 * time.Hour, cert, exitOK, nil},
		{"cert, 30 days before", 30 * 24 * time.Hour, cert, exitOK, []string{"vouch: warning: this CA expires on " + day(end) + ", in 30 days: every certificate it issued stops working then\n" + hint}},
		{"cert, 2 hours before", 2 * time.Hour, cert, exitOK, []string{"vouch: warning: this CA expires on " + day(end) + ", within a day: every certificate it issued stops working then\n" + hint}},
		{"cert, after", -time.Hour, cert, exitFail, []string{"vouch: error: the CA in " + dir + " expired on " + day(end) + ": it can issue no more certificates\n" + hint}},
		{"install, after", -time.Hour, []string{"install"}, exitOK, []string{"vouch: warning: this CA expired on " + day(end) + ": clients reject every certificate it issued, and it can issue no more\n" + hint}},
		{"status, 30 days before", 30 * 24 * time.Hour, []string{"status"}, exitOK, []string{"in 30 days: every certificate it issued stops working then\n" + hint}},
		{"status, 91 days before", 91 * 24 * time.Hour, []string{"status"}, exitOK, nil},
		// Every store still holds the root; no client takes it.
		{"status, after", -time.Hour, []string{"status"}, exitFail, []string{"vouch: error: this CA expired on " + day(end) + ": clients reject every certificate it issued, whatever the stores hold\n" + hint}},
		{"status --json, after", -time.Hour, []string{"status", "--json"}, exitFail, []string{"vouch: error: this CA expired on"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.now = func() time.Time { return end.Add(-c.before) }
			stdout.Reset()
			stderr.Reset()
			os.Remove(filepath.Join(out, "c.pem"))
			if code := a.run(c.args); code != c.code {
				t.Fatalf("vouch %s = %d, want %d; stderr %s", strings.Join(c.args, " "), code, c.code, stderr)
			}
			for _, w := range c.warnings {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if slices.Contains(c.args, "--json") {
				var got struct {
					CA      struct{ Expired bool }
					Trusted bool
				}
				if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || !got.CA.Expired || got.Trusted {
					t.Errorf("status --json of an expired CA whose root every store holds = %+v, %v; want expired and not trusted\n%s", got, err, stdout)
				}
			}
			if c.warnings == nil && strings.Contains(stderr.String(), "rotate") {
				t.Errorf("a warning about the CA's end, %v before it:\n%s", c.before, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "c.pem")); (err == nil) != (c.code == exitOK && c.args[0] == "cert") {
				t.Errorf("c.pem: %v, after exit %d", err, c.code)
			}
		})
	}

	// An mkcert CA can't be rotated: the hint is a new vouch CA instead.
	mk := filepath.Join(t.TempDir(), "mkcert")
	if err := os.Mkdir(mk, 0o700); err != nil {
		t.Fatal(err)
	}
	mkcertFolder(t, mk)
	a.now = func() time.Time { return time.Now().AddDate(10, 0, 1) }
	stderr.Reset()
	if code := a.run(append([]string{"--caroot", mk}, cert...)); code != exitFail {
		t.Fatalf("cert with an expired mkcert CA = %d; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "vouch: hint: vouch --caroot NEW_FOLDER install   (a new vouch CA, limited to local names; vouch rotates only CAs it made)\n") {
		t.Errorf("stderr = %s", stderr)
	}
}
