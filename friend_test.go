package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
)

// ownerCA is someone else's vouch CA, limited to their names.
func ownerCA(t *testing.T, owner string, permit ...string) *certs.CA {
	t.Helper()
	c := certs.DefaultConstraints()
	for _, p := range permit {
		if err := c.Permit(p); err != nil {
			t.Fatal(err)
		}
	}
	ca, _, err := certs.LoadOrCreate(filepath.Join(t.TempDir(), "owner"), true, certs.CreateOptions{Constraints: c, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func anchors(t *testing.T, d *fakeDebian) []string {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(d.root, "/usr/local/share/ca-certificates"))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestTrustUntrust(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	alice := ownerCA(t, "alice@nas", "photos.alice.org")
	rootFile := rootFileOf(alice)
	fp := certs.FingerprintOf(alice.Root)
	state := platform.StateDir("linux", a.home, a.getenv)

	// A wrong fingerprint: refused, and nothing written anywhere.
	wrong := certs.FingerprintOf(ownerCA(t, "mallory@x").Root)
	if code := a.run([]string{"trust", rootFile, "--fingerprint", wrong.Words()}); code != exitFail {
		t.Fatalf("trust with a wrong fingerprint = %d, want 1; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr.String(), wrong.Voice()) || !strings.Contains(stderr.String(), fp.Voice()) || !strings.Contains(stderr.String(), "nothing was installed") {
		t.Errorf("mismatch stderr does not show both fingerprints and say nothing was installed:\n%s", stderr)
	}
	if _, err := os.Stat(state); err == nil || len(d.ran) > 0 || len(anchors(t, d)) > 0 {
		t.Errorf("a refused trust left the state folder (%v), ran %q, anchors %q", err, d.ran, anchors(t, d))
	}

	stderr.Reset()
	if code := a.run([]string{"trust", rootFile, "--fingerprint", fp.Voice()}); code != exitOK {
		t.Fatalf("trust = %d; stderr %s", code, stderr)
	}
	for _, want := range []string{"the fingerprint matches", "photos.alice.org", "system: trusted now", `trusted "alice@nas"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("trust stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(alice.Root) {
		t.Errorf("anchors after trust = %q", got)
	}
	if _, err := os.Stat(a.getenv("VOUCH_CAROOT")); err == nil {
		t.Errorf("vouch trust made a CA for the friend")
	}
	book, err := record.Load(state)
	if err != nil || len(book.Roots) != 1 || book.Roots[0].Label != "alice@nas" || book.Roots[0].Source != rootFile || book.Roots[0].Fingerprint != fp.Hex() {
		t.Fatalf("record after trust = %+v, %v", book, err)
	}

	// Again: recorded already, no store changes.
	d.ran, stderr = nil, new(bytes.Buffer)
	a.stderr = stderr
	if code := a.run([]string{"trust", rootFile, "--fingerprint", fp.Hex()}); code != exitOK || len(d.ran) != 0 || !strings.Contains(stderr.String(), "already trusted as") {
		t.Errorf("trust again = %d, ran %q, stderr %s", code, d.ran, stderr)
	}

	// The record's copy of the root lost: trusting it again writes it
	// back (untrust and status need it), where it had failed.
	if err := os.Remove(book.RootFile(fp.Hex())); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := a.run([]string{"trust", rootFile, "--fingerprint", fp.Hex()}); code != exitOK || !strings.Contains(stderr.String(), "its copy in the record was missing or damaged; wrote it again to "+book.RootFile(fp.Hex())) {
		t.Errorf("trust again with the record's copy gone = %d, stderr %s", code, stderr)
	}
	if c, err := book.ReadRoot(fp.Hex()); err != nil || !c.Equal(alice.Root) {
		t.Errorf("the record's copy after trusting again: %v", err)
	}

	// Its anchor gone without a refresh: status says what puts it back,
	// which is its own trust (install would make the user a CA) and what
	// takes it out, its untrust.
	anchor := filepath.Join(d.root, "/usr/local/share/ca-certificates", platform.AnchorName(alice.Root))
	kept, err := os.ReadFile(anchor)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(anchor)
	stdout.Reset()
	a.run([]string{"status"})
	fix := platform.Cmd{Argv: []string{"vouch", "trust", book.RootFile(fp.Hex()), "--fingerprint", fp.Hex(), "--name", "alice@nas"}}.String()
	if out := stdout.String(); !strings.Contains(out, fix+" puts the anchor back, vouch untrust alice@nas refreshes the bundle") || strings.Contains(out, "vouch install") {
		t.Errorf("status of alice's root without its anchor says\n%s\nwant %q to put it back, and no vouch install", out, fix)
	}
	if err := os.WriteFile(anchor, kept, 0o644); err != nil {
		t.Fatal(err)
	}

	// Status works with no CA of one's own, and lists the root.
	stdout.Reset()
	if code := a.run([]string{"status", "--json"}); code != exitOK {
		t.Errorf("status with only a friend's root = %d; stderr %s", code, stderr)
	}
	var st statusJSON
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.CA != nil || len(st.Others) != 1 || st.Others[0].Label != "alice@nas" || st.Others[0].FingerprintSHA256 != fp.Voice() ||
		len(st.Others[0].Stores) != 1 || st.Others[0].Stores[0].State != "trusted" || !strings.Contains(st.Others[0].Permits, "photos.alice.org") {
		t.Errorf("status --json = %s", stdout)
	}

	// Past the root's end every store still holds it, and no client takes
	// it: status fails and says what to do.
	now := a.now
	a.now = func() time.Time { return alice.Root.NotAfter.Add(time.Hour) }
	stdout.Reset()
	stderr.Reset()
	code := a.run([]string{"status", "--json"})
	st = statusJSON{}
	json.Unmarshal(stdout.Bytes(), &st)
	if code != exitFail || len(st.Others) != 1 || !st.Others[0].Expired || st.Trusted ||
		!strings.Contains(stderr.String(), `vouch: error: "alice@nas": this root expired on `+day(alice.Root.NotAfter)) ||
		!strings.Contains(stderr.String(), "trust that one with vouch trust, and take this one out with vouch untrust alice@nas") {
		t.Errorf("status with alice's root expired = %d, stdout %s\nstderr %s\nwant 1, expired, not trusted, and what to do", code, stdout, stderr)
	}
	a.now = now

	// The friend's own CA, installed and uninstalled with
	// --all-vouch-roots, leaves alice's root alone and never calls it stale.
	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("install = %d; stderr %s", code, stderr)
	}
	stdout.Reset()
	a.run([]string{"status", "--json"})
	st = statusJSON{}
	json.Unmarshal(stdout.Bytes(), &st)
	if st.CA == nil || len(st.Stores) == 0 || st.Stores[0].Store != "system" || st.Stores[0].State != "trusted" || len(st.Stores[0].Stale) != 0 {
		t.Errorf("own CA's status counts alice's root stale: %s", stdout)
	}
	if code := a.run([]string{"uninstall", "--all-vouch-roots"}); code != exitOK {
		t.Fatalf("uninstall --all-vouch-roots = %d; stderr %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(alice.Root) {
		t.Errorf("uninstall --all-vouch-roots left %q, want alice's anchor only", got)
	}

	// untrust with an unknown label names the known ones.
	stderr.Reset()
	if code := a.run([]string{"untrust", "bob"}); code != exitFail || !strings.Contains(stderr.String(), "alice@nas") {
		t.Errorf("untrust bob = %d, stderr %s", code, stderr)
	}
	if code := a.run([]string{"untrust", "alice@nas"}); code != exitOK {
		t.Fatalf("untrust = %d; stderr %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 0 {
		t.Errorf("anchors after untrust = %q", got)
	}
	book, _ = record.Load(state)
	if len(book.Roots) != 0 {
		t.Errorf("record after untrust = %+v", book.Roots)
	}
	if _, err := os.Stat(book.RootFile(fp.Hex())); err == nil {
		t.Errorf("untrust left the root's PEM in the record folder")
	}
}

// aliceTrusted is a root app on a fake Debian that trusts alice@nas's
// root as "alice"; next is the CA of her next root, the same user@host's.
func aliceTrusted(t *testing.T) (d *fakeDebian, a *app, stderr *bytes.Buffer, old, next *certs.CA) {
	t.Helper()
	d = newFakeDebian(t)
	withFake(t, d)
	a, _, stderr = testApp(t, true)
	old, next = ownerCA(t, "alice@nas"), ownerCA(t, "alice@nas")
	if code := a.run([]string{"trust", rootFileOf(old), "--fingerprint", certs.Fingerprint(old.Root), "--name", "alice"}); code != exitOK {
		t.Fatalf("trust = %d; %s", code, stderr)
	}
	return d, a, stderr, old, next
}

func rootFileOf(ca *certs.CA) string { return filepath.Join(ca.Dir, certs.RootCertFile) }

func TestTrustRotation(t *testing.T) {
	d, a, stderr, old, next := aliceTrusted(t)
	// The same derived label for a different root is not taken for a rotation.
	if code := a.run([]string{"trust", rootFileOf(next), "--fingerprint", certs.Fingerprint(next.Root)}); code != exitOK {
		t.Fatalf("trust of a second root under its own label = %d; %s", code, stderr)
	}
	if code := a.run([]string{"untrust", "alice@nas"}); code != exitOK {
		t.Fatal(stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"trust", rootFileOf(next), "--fingerprint", certs.Fingerprint(next.Root), "--name", "alice"}); code != exitOK {
		t.Fatalf("rotation = %d; %s", code, stderr)
	}
	book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv))
	r, err := book.Find("alice")
	if err != nil || r.Fingerprint != certs.Fingerprint(next.Root) || r.Replaces != certs.Fingerprint(old.Root) {
		t.Fatalf("after rotation, alice = %+v, %v", r, err)
	}
	if len(anchors(t, d)) != 2 || !strings.Contains(stderr.String(), "stays trusted as") {
		t.Errorf("the old root should stay trusted until untrust: anchors %q, stderr %s", anchors(t, d), stderr)
	}
	if code := a.run([]string{"untrust", certs.FingerprintOf(old.Root).Words()}); code != exitOK {
		t.Fatalf("untrust of the old root by its words = %d; %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(next.Root) {
		t.Errorf("anchors = %q, want the new root's only", got)
	}

	// Someone else's root under the same label (two people both called
	// alice, whose exports both say --name alice) is no rotation: refused,
	// nothing changed, with a command for another label.
	dave := ownerCA(t, "alice@pc")
	stderr.Reset()
	d.ran = nil
	if code := a.run([]string{"trust", rootFileOf(dave), "--fingerprint", certs.Fingerprint(dave.Root), "--name", "alice"}); code != exitFail {
		t.Errorf("trust of alice@pc's root as alice, which names alice@nas's = %d, want 1", code)
	}
	for _, want := range []string{
		`vouch: error: "alice" already names a root made by alice@nas, and this one was made by alice@pc, so it is not that root's successor; nothing was installed`,
		"vouch: hint: vouch trust " + rootFileOf(dave) + " --fingerprint " + certs.Fingerprint(dave.Root) + " --name alice-2   (another label)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv)); len(book.Roots) != 1 || book.Roots[0].Label != "alice" || book.Roots[0].Fingerprint != certs.Fingerprint(next.Root) {
		t.Errorf("record after the refused trust = %+v, want alice's root alone, as it was", book.Roots)
	}
	if got := anchors(t, d); len(got) != 1 || len(d.ran) != 0 {
		t.Errorf("the refused trust left anchors %q and ran %q", got, d.ran)
	}
	// --replace says it does replace that root.
	if code := a.run([]string{"trust", rootFileOf(dave), "--fingerprint", certs.Fingerprint(dave.Root), "--name", "alice", "--replace"}); code != exitOK {
		t.Errorf("trust --replace of alice@pc's root as alice = %d; %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(dave.Root) {
		t.Errorf("anchors after --replace = %q, want alice@pc's root's only", got)
	}
}

// TestTrustLabelCase: a label in use is in use in any case, as untrust
// finds it. Before, "pal" for a different owner's root was trusted
// beside "Pal", and untrust PAL then found neither.
func TestTrustLabelCase(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	pal, other := ownerCA(t, "pal@nas"), ownerCA(t, "sam@pc")
	if code := a.run([]string{"trust", rootFileOf(pal), "--fingerprint", certs.Fingerprint(pal.Root), "--name", "Pal"}); code != exitOK {
		t.Fatalf("trust as Pal = %d; %s", code, stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"trust", rootFileOf(other), "--fingerprint", certs.Fingerprint(other.Root), "--name", "pal"}); code != exitFail {
		t.Errorf("trust of another owner's root as pal, beside Pal = %d, want 1", code)
	}
	wantSaid(t, stderr, "trust as pal beside Pal",
		`vouch: error: "Pal" already names a root made by pal@nas, and this one was made by sam@pc, so it is not that root's successor; nothing was installed`)
	if got := anchors(t, d); len(got) != 1 {
		t.Errorf("the refused trust left anchors %q", got)
	}
	// The same owner's new root under the label in another case is a
	// rotation of that root.
	next := ownerCA(t, "pal@nas")
	stderr.Reset()
	if code := a.run([]string{"trust", rootFileOf(next), "--fingerprint", certs.Fingerprint(next.Root), "--name", "PAL"}); code != exitOK {
		t.Fatalf("rotation as PAL = %d; %s", code, stderr)
	}
	oldLabel := "Pal-" + certs.Fingerprint(pal.Root)[:8]
	wantSaid(t, stderr, "rotation as PAL", `this replaces the root trusted as "Pal" on `, `which stays trusted as "`+oldLabel+`"`)
	book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv))
	if r := book.ByFingerprint(certs.Fingerprint(next.Root)); r == nil || r.Label != "PAL" || r.Replaces != certs.Fingerprint(pal.Root) {
		t.Errorf("after the rotation, the new root is recorded as %+v", r)
	}
	if r := book.ByFingerprint(certs.Fingerprint(pal.Root)); r == nil || r.Label != oldLabel {
		t.Errorf("after the rotation, the old root is recorded as %+v", r)
	}
	stderr.Reset()
	if code := a.run([]string{"untrust", "pal"}); code != exitOK {
		t.Errorf("untrust pal = %d; %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(pal.Root) {
		t.Errorf("anchors after untrust pal = %q, want the old root's only", got)
	}
}

// onlyCA is someone else's --only CA: limited to permit alone.
func onlyCA(t *testing.T, owner string, permit ...string) *certs.CA {
	t.Helper()
	c := &certs.Constraints{}
	for _, p := range permit {
		if err := c.Permit(p); err != nil {
			t.Fatal(err)
		}
	}
	ca, _, err := certs.LoadOrCreate(filepath.Join(t.TempDir(), "owner"), true, certs.CreateOptions{Constraints: c, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// TestTrustSameOwnerOtherCA: one owner's two CAs (one --only CA per
// server), both exported under the same label, are not a rotation: vouch
// rotate keeps a CA's limits. Before, the second was recorded as
// replacing the first, and the untrust it suggested broke the first
// server.
func TestTrustSameOwnerOtherCA(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	photos, wiki := onlyCA(t, "root@srv", "photos.example.org"), onlyCA(t, "root@srv", "wiki.example.org")
	if code := a.run([]string{"trust", rootFileOf(photos), "--fingerprint", certs.Fingerprint(photos.Root), "--name", "root"}); code != exitOK {
		t.Fatalf("trust of the photos CA = %d; %s", code, stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"trust", rootFileOf(wiki), "--fingerprint", certs.Fingerprint(wiki.Root), "--name", "root"}); code != exitFail {
		t.Errorf("trust of the wiki CA under the photos CA's label = %d, want 1", code)
	}
	wantSaid(t, stderr, "trust of the wiki CA as root",
		`vouch: error: "root" already names another CA of root@srv's, which may vouch for names under photos.example.org; this one may vouch for names under wiki.example.org, and vouch rotate keeps a CA's limits, so it is a CA beside that one, not its successor; nothing was installed`,
		"vouch: hint: vouch trust "+rootFileOf(wiki)+" --fingerprint "+certs.Fingerprint(wiki.Root)+" --name root-2   (another label)",
		"--name root --replace   (if it does replace that root)")
	if strings.Contains(stderr.String(), "this replaces") {
		t.Errorf("the refused trust said it replaces:\n%s", stderr)
	}
	book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv))
	if len(book.Roots) != 1 || book.Roots[0].Label != "root" || book.Roots[0].Fingerprint != certs.Fingerprint(photos.Root) {
		t.Errorf("record after the refused trust = %+v, want the photos root alone, as it was", book.Roots)
	}
	if got := anchors(t, d); len(got) != 1 {
		t.Errorf("the refused trust left anchors %q", got)
	}
	// Under another label, both are trusted.
	if code := a.run([]string{"trust", rootFileOf(wiki), "--fingerprint", certs.Fingerprint(wiki.Root), "--name", "root-2"}); code != exitOK {
		t.Errorf("trust of the wiki CA as root-2 = %d; %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 2 {
		t.Errorf("anchors = %q, want both roots'", got)
	}
}

func TestTrustRefusals(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	open := ownerCA(t, "eve@x")
	dir := t.TempDir()
	unconstrained, _, err := certs.LoadOrCreate(filepath.Join(dir, "u"), true, certs.CreateOptions{Owner: "eve@x"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := open.Issue(certs.LeafRequest{Names: mustNames(t, "photos.test")})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"two.pem":   certs.CertPEM(open.Root.Raw, open.Issuer.Raw),
		"inter.pem": certs.CertPEM(open.Issuer.Raw),
		"leaf.pem":  certs.CertPEM(leaf.Cert.Raw),
		"wide.pem":  certs.CertPEM(unconstrained.Root.Raw),
		"big.pem":   make([]byte, 95180),
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"trust", "two.pem", "--fingerprint", certs.Fingerprint(open.Root)}, exitFail, "holds 2 certificates"},
		{[]string{"trust", "inter.pem", "--fingerprint", certs.Fingerprint(open.Issuer)}, exitFail, "intermediate CA"},
		{[]string{"trust", "leaf.pem", "--fingerprint", certs.Fingerprint(leaf.Cert)}, exitFail, "leaf certificate (for photos.test)"},
		{[]string{"trust", "wide.pem", "--fingerprint", certs.Fingerprint(unconstrained.Root)}, exitFail, "could vouch for any site"},
		{[]string{"trust", "nope.pem", "--fingerprint", certs.Fingerprint(open.Root)}, exitFail, "no such file"},
		// Its size is not what was read (one byte past the limit).
		{[]string{"trust", "big.pem", "--fingerprint", certs.Fingerprint(open.Root)}, exitFail, "vouch: error: big.pem: it is more than 64 KiB, too much for a root certificate (a few KiB)\n"},
		{[]string{"trust", "ftp://x/y", "--fingerprint", certs.Fingerprint(open.Root)}, exitFail, "only https:// and http://"},
		{[]string{"trust", "two.pem"}, exitUsage, "--fingerprint is required"},
		{[]string{"trust", "two.pem", "--fingerprint", "12:34"}, exitUsage, "64 hex digits"},
		{[]string{"trust", "two.pem", "--fingerprint", certs.Fingerprint(open.Root), "--name", "has space"}, exitUsage, "letters, digits"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			a, _, stderr := testApp(t, true)
			wd, _ := os.Getwd()
			os.Chdir(dir)
			defer os.Chdir(wd)
			if code := a.run(tt.args); code != tt.code || !strings.Contains(stderr.String(), tt.err) {
				t.Errorf("run = %d, stderr %s; want %d and %q", code, stderr, tt.code, tt.err)
			}
			if _, err := os.Stat(platform.StateDir("linux", a.home, a.getenv)); err == nil || len(anchors(t, d)) > 0 {
				t.Errorf("a refused trust wrote the state folder or an anchor")
			}
		})
	}
	// The hint to allow it keeps the command's --name and --stores: it
	// had dropped them, so the root, once allowed, went under a label from
	// its subject into every store.
	a, _, stderr := testApp(t, true)
	wide := filepath.Join(dir, "wide.pem")
	if code := a.run([]string{"trust", wide, "--fingerprint", certs.FingerprintOf(unconstrained.Root).Words(), "--name", "eve", "--stores", "system"}); code != exitFail {
		t.Errorf("trust of an unconstrained root = %d, want 1", code)
	}
	wantSaid(t, stderr, "the refusal of an unconstrained root",
		"only if you trust them with every site you visit: vouch trust "+wide+" --fingerprint "+certs.Fingerprint(unconstrained.Root)+" --name eve --stores system --allow-unconstrained\n")
	// Allowed on request, with a warning.
	stderr.Reset()
	if code := a.run([]string{"trust", filepath.Join(dir, "wide.pem"), "--fingerprint", certs.Fingerprint(unconstrained.Root), "--allow-unconstrained"}); code != exitOK || !strings.Contains(stderr.String(), "could impersonate ANY site") {
		t.Errorf("--allow-unconstrained = %d, stderr %s", code, stderr)
	}
}

func mustNames(t *testing.T, names ...string) []certs.Name {
	t.Helper()
	ns, err := certs.ParseNames(names)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestTrustFromServer takes the root from a TLS handshake and from URLs,
// served on 127.0.0.1 by a server whose certificate the friend does not
// trust yet.
func TestTrustFromServer(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	owner := ownerCA(t, "alice@nas")
	leaf, err := owner.Issue(certs.LeafRequest{Names: mustNames(t, "127.0.0.1", "localhost")})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(chain ...[]byte) *httptest.Server {
		mux := http.NewServeMux()
		mux.HandleFunc("/root.pem", func(w http.ResponseWriter, r *http.Request) { w.Write(certs.CertPEM(owner.Root.Raw)) })
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>hello</html>"))
		})
		s := httptest.NewUnstartedServer(mux)
		s.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: leaf.Key}}}
		s.StartTLS()
		t.Cleanup(s.Close)
		return s
	}
	withRoot := serve(leaf.Cert.Raw, owner.Issuer.Raw, owner.Root.Raw)
	withoutRoot := serve(leaf.Cert.Raw, owner.Issuer.Raw)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(certs.CertPEM(owner.Root.Raw)) }))
	t.Cleanup(plain.Close)
	hostport := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "https://") }
	fp := certs.FingerprintOf(owner.Root).Voice()
	// A TLS server that is no web server: it hangs up after the handshake.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Cert.Raw, owner.Issuer.Raw, owner.Root.Raw}, PrivateKey: leaf.Key}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	notWeb := ln.Addr().String()
	for _, tt := range []struct {
		source string
		err    string
	}{
		{hostport(withRoot), ""},
		{hostport(withoutRoot), "does not send its root"},
		{withoutRoot.URL + "/root.pem", ""},
		{plain.URL, ""},
		{withRoot.URL + "/", "the page is HTML"},
		{withRoot.URL + "/missing.pem", ""}, // the mux's "/" serves HTML here too
		{"https://" + notWeb + "/", "; to take the root from the server's handshake instead, give " + notWeb},
		// A name that does not resolve gets no such hint: host:port would
		// fail the same way.
		{"https://nonexistent.invalid/root.pem", "can't fetch it: "},
	} {
		t.Run(tt.source, func(t *testing.T) {
			a, _, stderr := testApp(t, true)
			code := a.run([]string{"trust", tt.source, "--fingerprint", fp})
			want := tt.err
			if strings.HasSuffix(tt.source, "missing.pem") {
				want = "the page is HTML"
			}
			if want == "" && code != exitOK || want != "" && (code != exitFail || !strings.Contains(stderr.String(), want)) {
				t.Errorf("trust %s = %d, stderr %s; want error %q", tt.source, code, stderr, want)
			}
			if strings.Contains(tt.source, ".invalid") && strings.Contains(stderr.String(), "handshake instead") {
				t.Errorf("trust %s hinted host:port for a name that does not resolve: %s", tt.source, stderr)
			}
			if want == "" {
				if code := a.run([]string{"untrust", "alice@nas"}); code != exitOK {
					t.Errorf("untrust = %d; %s", code, stderr)
				}
			}
		})
	}
}

// TestStatusKeepsCarootCA: status --caroot counts the CA it was given as
// the user's own for the friends' roots too: it had loaded the default
// folder's for them, so a friend's system line called the --caroot CA's
// anchor a stale root. The record is read once for both.
func TestStatusKeepsCarootCA(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	alice := ownerCA(t, "alice@nas", "photos.alice.org")
	fp := certs.FingerprintOf(alice.Root)
	if code := a.run([]string{"trust", rootFileOf(alice), "--fingerprint", fp.Voice()}); code != exitOK {
		t.Fatalf("trust = %d; stderr %s", code, stderr)
	}
	mine := filepath.Join(t.TempDir(), "mine")
	if code := a.run([]string{"install", "--caroot", mine}); code != exitOK {
		t.Fatalf("install --caroot = %d; stderr %s", code, stderr)
	}
	stdout.Reset()
	if code := a.run([]string{"status", "--caroot", mine, "--json"}); code != exitOK {
		t.Fatalf("status --caroot = %d; stderr %s", code, stderr)
	}
	var st statusJSON
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil || len(st.Others) != 1 || len(st.Others[0].Stores) == 0 {
		t.Fatalf("status --json = %s (%v)", stdout, err)
	}
	if r := st.Others[0].Stores[0].Reason; strings.Contains(r, "stale") {
		t.Errorf("alice's system line under status --caroot calls the --caroot CA stale: %s", r)
	}
}

// TestTrustUnquotedFingerprint: a fingerprint typed without quotes reaches
// --fingerprint as its first group alone; vouch says so, and gives the
// command with it quoted, where it had said only "give one SOURCE".
func TestTrustUnquotedFingerprint(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	alice := ownerCA(t, "alice@nas")
	voice := certs.FingerprintOf(alice.Root).Voice()
	groups := strings.Fields(voice)
	args := append([]string{"trust", "alice.pem", "--fingerprint"}, groups...)
	args = append(args, "--name", "alice", "--stores", "java", "--replace")
	if code := a.run(args); code != exitUsage {
		t.Errorf("trust with the fingerprint unquoted = %d, want 2", code)
	}
	want := "vouch: error: the fingerprint was not quoted, so only its first group (" + groups[0] + ") reached --fingerprint and the rest read as more sources\n" +
		"vouch: hint: vouch trust alice.pem --name alice --stores java --replace --fingerprint '" + voice + "'\n"
	if stderr.String() != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	if len(d.ran) != 0 || len(anchors(t, d)) != 0 {
		t.Errorf("ran %q, anchors %q; want nothing", d.ran, anchors(t, d))
	}

	// The flag before the file: the file is the last argument, not the
	// first, and the groups come before it. This had said only "give one
	// SOURCE". With no file at all, the hint names SOURCE for it.
	for _, tt := range []struct {
		name string
		args []string
		hint string
	}{
		{"flag first", append(append([]string{"trust", "--fingerprint"}, groups...), "alice-root.crt"),
			"vouch: hint: vouch trust alice-root.crt --fingerprint '" + voice + "'\n"},
		{"flag first, with --name", append(append([]string{"trust", "--name", "alice", "--fingerprint"}, groups...), "alice-root.crt", "--stores", "system"),
			"vouch: hint: vouch trust --name alice alice-root.crt --stores system --fingerprint '" + voice + "'\n"},
		{"no file", append([]string{"trust", "--fingerprint"}, groups...),
			"vouch: and no SOURCE was given: the root's file, a URL of it, or host:port of the server\nvouch: hint: vouch trust SOURCE --fingerprint '" + voice + "'\n"},
	} {
		stderr.Reset()
		if code := a.run(tt.args); code != exitUsage {
			t.Errorf("%s: trust with the fingerprint unquoted = %d, want 2", tt.name, code)
		}
		want := "vouch: error: the fingerprint was not quoted, so only its first group (" + groups[0] + ") reached --fingerprint and the rest read as more sources\n" + tt.hint
		if stderr.String() != want {
			t.Errorf("%s: stderr = %q, want %q", tt.name, stderr, want)
		}
	}
}

// TestRecordMovedAside: a damaged record says to move it aside and trust
// each root again; once it is moved aside, the roots whose copies are in
// its roots folder are still no stale roots of the user's own: status
// does not count them, and uninstall --all-vouch-roots leaves them, where
// it had taken out every friend's root.
func TestRecordMovedAside(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	// A root made under the same user@host as this user's own (another
	// of their machines, or two people with the same names), which only
	// the record tells from a stale root of their own.
	alice := ownerCA(t, a.who())
	fp := certs.Fingerprint(alice.Root)
	if code := a.run([]string{"trust", rootFileOf(alice), "--fingerprint", fp, "--name", "alice"}); code != exitOK {
		t.Fatalf("trust = %d; %s", code, stderr)
	}
	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("install = %d; %s", code, stderr)
	}
	state := platform.StateDir("linux", a.home, a.getenv)
	record := filepath.Join(state, "trusted.json")
	if err := os.WriteFile(record, []byte("{oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	a.run([]string{"status"})
	if want := "move it aside to start a new record, then run vouch trust again for each root in " + filepath.Join(state, "roots"); !strings.Contains(stderr.String(), want) {
		t.Errorf("status with a damaged record said\n%s\nwant %q", stderr, want)
	}
	if err := os.Rename(record, record+".damaged"); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	a.run([]string{"status", "--json"})
	var st statusJSON
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Stores) == 0 || len(st.Stores[0].Stale) != 0 {
		t.Errorf("status with the record moved aside counts alice's root as stale: %s", stdout)
	}
	// Status names the root the record lost, with the trust that lists
	// it again.
	copyFile := filepath.Join(state, "roots", fp+".pem")
	again := "vouch: hint: vouch trust " + copyFile + " --fingerprint " + fp + "   (records it again)"
	if !strings.Contains(stderr.String(), "which the record does not list") || !strings.Contains(stderr.String(), again) {
		t.Errorf("status with the record moved aside said\n%s\nwant the root named, and %q", stderr, again)
	}
	if code := a.run([]string{"uninstall", "--all-vouch-roots"}); code != exitOK {
		t.Fatalf("uninstall --all-vouch-roots = %d; %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(alice.Root) {
		t.Errorf("uninstall --all-vouch-roots with the record moved aside left %q, want alice's anchor", got)
	}
	// The hint's command records it again; untrust then finds it.
	if code := a.run([]string{"trust", copyFile, "--fingerprint", fp}); code != exitOK {
		t.Fatalf("the hint's trust = %d; %s", code, stderr)
	}
	if code := a.run([]string{"untrust", fp}); code != exitOK || len(anchors(t, d)) != 0 {
		t.Errorf("untrust after it = %d, anchors %q; %s", code, anchors(t, d), stderr)
	}
}

// TestTrustFromStdin: "-" reads the root from stdin, as /dev/stdin did.
func TestTrustFromStdin(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	alice := ownerCA(t, "alice@nas")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write(certs.CertPEM(alice.Root.Raw))
		w.Close()
	}()
	stdin := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = stdin }()
	if code := a.run([]string{"trust", "-", "--fingerprint", certs.Fingerprint(alice.Root), "--name", "alice"}); code != exitOK {
		t.Fatalf("trust - = %d; %s", code, stderr)
	}
	if got := anchors(t, d); len(got) != 1 || got[0] != platform.AnchorName(alice.Root) {
		t.Errorf("anchors after trust - = %q", got)
	}
	book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv))
	if r, err := book.Find("alice"); err != nil || r.Source != "stdin" {
		t.Errorf("record after trust - = %+v, %v; want the source stdin", r, err)
	}
}

// TestUntrustSomeStores: untrust --stores naming only some stores keeps
// the record while a store left out still trusts the root, so that a
// later untrust can take it out there; it had forgotten the root, and no
// vouch command could take it out of the system store any more.
func TestUntrustSomeStores(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	bob := ownerCA(t, "bob@pc")
	if code := a.run([]string{"trust", rootFileOf(bob), "--fingerprint", certs.Fingerprint(bob.Root), "--name", "bob"}); code != exitOK {
		t.Fatalf("trust = %d; %s", code, stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"untrust", "bob", "--stores", "nss"}); code != exitOK {
		t.Fatalf("untrust --stores nss = %d; %s", code, stderr)
	}
	if want := `vouch: "bob" stays recorded, since a store left out still trusts it (system); vouch untrust bob takes it out there too`; !strings.Contains(stderr.String(), want) {
		t.Errorf("untrust --stores nss said\n%s\nwant %q", stderr, want)
	}
	if code := a.run([]string{"untrust", "bob"}); code != exitOK || len(anchors(t, d)) != 0 {
		t.Errorf("untrust bob after it = %d, anchors %q; want it taken out; %s", code, anchors(t, d), stderr)
	}
}

// TestTrustRotationCopyLost: the owner check reads the recorded subject
// when the record's copy of the old root is gone, so a real rotation (the
// same user@host) is still taken as one.
func TestTrustRotationCopyLost(t *testing.T) {
	_, a, stderr, old, next := aliceTrusted(t)
	book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv))
	if err := os.Remove(book.RootFile(certs.Fingerprint(old.Root))); err != nil {
		t.Fatal(err)
	}
	if code := a.run([]string{"trust", rootFileOf(next), "--fingerprint", certs.Fingerprint(next.Root), "--name", "alice"}); code != exitOK || !strings.Contains(stderr.String(), "this replaces the root trusted as") {
		t.Errorf("rotation with the old copy gone = %d; %s", code, stderr)
	}
}

// certutilDebian runs certutil for real and the rest as the fake Debian.
type certutilDebian struct{ *fakeDebian }

// certutilApp is a root app on a fake Debian whose certutil is the real
// one (the test is skipped without it, or fails under VOUCH_E2E=1).
func certutilApp(t *testing.T) (*fakeDebian, *app, *bytes.Buffer) {
	t.Helper()
	if _, err := exec.LookPath("certutil"); err != nil {
		if os.Getenv("VOUCH_E2E") == "1" {
			t.Fatal("certutil not found (VOUCH_E2E=1 makes this a failure)")
		}
		t.Skip("certutil not found")
	}
	d := newFakeDebian(t)
	testOnlyFSRoot, testOnlyRunner = d.root, certutilDebian{d}
	t.Cleanup(func() { testOnlyFSRoot, testOnlyRunner = "", nil })
	a, _, stderr := testApp(t, true)
	return d, a, stderr
}

func (c certutilDebian) Run(ctx context.Context, cmd platform.Cmd) ([]byte, error) {
	if filepath.Base(cmd.Argv[0]) == "certutil" {
		return (&platform.Exec{IsRoot: true}).Run(ctx, cmd)
	}
	return c.fakeDebian.Run(ctx, cmd)
}

// TestHandEntryStillTrusted: a friend's root imported into Firefox by hand
// (the invitation's steps) and then trusted with vouch: status calls the
// browser's database trusted, through that entry; untrust takes out what
// vouch added, warns that the entry still trusts it, naming the certutil
// command, and does not say "no longer trusted". Before, status said the
// database did not trust it, trust failed there, and untrust said the
// root was no longer trusted while Firefox went on trusting it.
func TestHandEntryStillTrusted(t *testing.T) {
	d, a, stderr := certutilApp(t)
	alice := ownerCA(t, "alice@nas", "photos.alice.org")
	fp := certs.FingerprintOf(alice.Root)
	db := "sql:" + filepath.Join(a.home, ".pki", "nssdb")
	if err := os.MkdirAll(filepath.Join(a.home, ".pki", "nssdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-N", "-d", db, "--empty-password"}, {"-A", "-d", db, "-n", "alice's root", "-t", "C,,", "-i", rootFileOf(alice)}} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %q: %v\n%s", args, err, out)
		}
	}

	if code := a.run([]string{"trust", rootFileOf(alice), "--fingerprint", fp.Hex(), "--name", "alice"}); code != exitOK {
		t.Fatalf("trust over a hand-made trusted entry = %d; stderr %s", code, stderr)
	}
	stderr.Reset()
	if code := a.run([]string{"status", "--stores", "nss"}); code != exitOK {
		t.Errorf("status --stores nss = %d, want 0 (trusted through the hand-made entry); stderr %s", code, stderr)
	}
	stderr.Reset()
	code := a.run([]string{"untrust", "alice"})
	out := stderr.String()
	if code != exitOK || !strings.Contains(out, "vouch: warning: nss: still trusted through entries vouch did not add") ||
		!strings.Contains(out, `certutil -D -d `+db+` -n 'alice'\''s root'`) || strings.Contains(out, "no longer trusted:") ||
		!strings.Contains(out, `no longer recorded: "alice"`) {
		t.Errorf("untrust = %d, stderr:\n%s\nwant exit 0, a warning naming the entry and the certutil that takes it out, and not \"no longer trusted\"", code, out)
	}
	if len(anchors(t, d)) != 0 {
		t.Errorf("untrust left anchors %q", anchors(t, d))
	}
}

// TestInstallInPart: of two browser databases, one has a primary
// password and can't take the root; the other does. Install fails, and
// says where the root is trusted now and that running browsers must be
// restarted; before, it said only "can't install", though Firefox's
// database had changed.
func TestInstallInPart(t *testing.T) {
	_, a, stderr := certutilApp(t)
	locked := filepath.Join(a.home, ".pki", "nssdb")
	open := filepath.Join(a.home, ".mozilla", "firefox", "abc.default")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{locked, open} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"-N", "-d", "sql:" + locked, "-f", pw}, {"-N", "-d", "sql:" + open, "--empty-password"}} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %q: %v\n%s", args, err, out)
		}
	}
	code := a.run([]string{"install", "--stores", "nss"})
	out := stderr.String()
	if code != exitFail || !strings.Contains(out, "vouch: error: nss: can't install") ||
		!strings.Contains(out, "nss: trusted now where it could be (1 of 2 NSS databases trust it") ||
		!strings.Contains(out, "restart running browsers") {
		t.Errorf("install = %d, stderr:\n%s\nwant exit 1, the error, where it is trusted now, and the browsers' restart", code, out)
	}
}

// limitedRoot writes a self-signed root with the given name constraints, as
// openssl or another CA tool makes one, and returns its file.
func limitedRoot(t *testing.T, dns, ranges, emails, uris []string) (string, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Limited Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		PermittedDNSDomainsCritical: true, PermittedDNSDomains: dns,
		PermittedEmailAddresses: emails, PermittedURIDomains: uris,
	}
	for _, r := range ranges {
		_, n, err := net.ParseCIDR(r)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.PermittedIPRanges = append(tmpl.PermittedIPRanges, n)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	file := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(file, certs.CertPEM(der), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, c
}

// TestTrustIPHalves: permitted IP ranges that each stop short of /0 but
// together cover every address are refused, as 0.0.0.0/0 is; email and
// URI limits that reach other people's names are warned of, not refused,
// as a root with no limit on them is not. Before, the first was trusted
// (only a literal /0 counted) and the second refused.
func TestTrustIPHalves(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	halves, hc := limitedRoot(t, []string{"a.test"}, []string{"0.0.0.0/1", "128.0.0.0/1"}, nil, nil)
	if code := a.run([]string{"trust", halves, "--fingerprint", certs.Fingerprint(hc), "--stores", "system"}); code != exitFail ||
		!strings.Contains(stderr.String(), "refused: this root could vouch for any site") || !strings.Contains(stderr.String(), "0.0.0.0/1, 128.0.0.0/1") {
		t.Errorf("trust of a root permitting both halves of IPv4 = %d, stderr:\n%s\nwant it refused, naming the ranges", code, stderr)
	}
	if len(anchors(t, d)) != 0 {
		t.Errorf("a refused trust left anchors %q", anchors(t, d))
	}
	stderr.Reset()
	loose, lc := limitedRoot(t, []string{"a.test"}, []string{"10.1.0.0/16"}, []string{"com", ".com"}, []string{""})
	if code := a.run([]string{"trust", loose, "--fingerprint", certs.Fingerprint(lc), "--stores", "system"}); code != exitOK ||
		!strings.Contains(stderr.String(), "vouch: warning: it permits email addresses under com, a public suffix (anyone can register a name under it); it permits URIs under every host name") {
		t.Errorf("trust of a root with loose email and URI limits = %d, stderr:\n%s\nwant it trusted, with a warning naming them", code, stderr)
	}
}

// TestTrustJavaIgnoresLimits: Java ignores a trusted root's own name
// constraints, so a limited root not made by vouch (whose key its owner
// may keep) is trusted with a warning that in Java its limits hold only if
// nobody kept the key; a vouch root, whose key is gone, gets none, and
// neither does a store set without Java.
func TestTrustJavaIgnoresLimits(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	write, _ := fakeJDK(t, d)
	write()
	file, c := limitedRoot(t, []string{"a.test"}, []string{"10.1.0.0/16"}, nil, nil)
	alice := ownerCA(t, "alice@nas", "photos.alice.org")
	const warning = "vouch: warning: java: Java applies no limits to a root it trusts"
	for _, tt := range []struct {
		file, fp, stores string
		warn             bool
	}{
		{file, certs.Fingerprint(c), "system,java", true},
		{file, certs.Fingerprint(c), "system", false},
		{rootFileOf(alice), certs.Fingerprint(alice.Root), "system,java", false},
	} {
		a, _, stderr := testApp(t, true)
		a.run([]string{"trust", tt.file, "--fingerprint", tt.fp, "--stores", tt.stores})
		if got := strings.Contains(stderr.String(), warning); got != tt.warn {
			t.Errorf("trust %s --stores %s: warned %v, want %v; stderr:\n%s", filepath.Base(tt.file), tt.stores, got, tt.warn, stderr)
		}
		// The way out is a hint: the same command without Java (the
		// fake Debian's system store feeds no Java).
		if hint := "vouch: hint: vouch trust " + tt.file + " --fingerprint " + tt.fp + " --stores system,nss   (leaves Java out)"; tt.warn && !strings.Contains(stderr.String(), hint) {
			t.Errorf("trust %s --stores %s: stderr:\n%s\nwant the hint %q", filepath.Base(tt.file), tt.stores, stderr, hint)
		}
	}
}

// TestUntrustCopyLost: with the record's copy of a root gone, untrust
// reads the root from the file it was trusted from, or, that gone too,
// from vouch's anchor in the system store, says so, and takes it out.
// Before, it asked for the root's file from its owner though both were
// on the machine.
func TestUntrustCopyLost(t *testing.T) {
	for _, sourceGone := range []bool{false, true} {
		d, a, stderr, old, _ := aliceTrusted(t)
		fp := certs.Fingerprint(old.Root)
		book, err := record.Load(platform.StateDir("linux", a.home, a.getenv))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(book.RootFile(fp)); err != nil {
			t.Fatal(err)
		}
		from := rootFileOf(old)
		if sourceGone {
			if err := os.Remove(from); err != nil {
				t.Fatal(err)
			}
			from = filepath.Join(d.root, debianAnchors, "vouch-"+fp[:16]+".crt")
		}
		// Status says where it read the root, and how to write the copy
		// again from there.
		stderr.Reset()
		a.run([]string{"status", "--stores", "system"})
		if out := stderr.String(); !strings.Contains(out, `read the root of "alice" from `+from+" instead") || !strings.Contains(out, "vouch trust "+from+" --fingerprint "+fp+" --name alice   (writes the record's copy again)") {
			t.Errorf("status with the copy lost (source gone %v): stderr:\n%s\nwant where the root was read, and the trust that writes the copy again", sourceGone, out)
		}
		// Untrust takes it out, and hints no trust from a file it is
		// about to remove (the anchor).
		stderr.Reset()
		code := a.run([]string{"untrust", "alice"})
		out := stderr.String()
		if code != exitOK || !strings.Contains(out, `read the root of "alice" from `+from+" instead") || !strings.Contains(out, `no longer trusted: "alice"`) || strings.Contains(out, "writes the record's copy again") {
			t.Errorf("untrust with the copy lost (source gone %v) = %d, stderr:\n%s\nwant 0, the root read from %s, no hint to trust it again", sourceGone, code, out, from)
		}
		if len(anchors(t, d)) != 0 {
			t.Errorf("untrust left anchors %q", anchors(t, d))
		}
	}
}

// TestUninstallMkcertHintOnlyForMkcert: uninstall of an adopted mkcert CA
// whose root is left only in an entry someone made by hand warns of that
// entry, but does not hint uninstall --mkcert, which would not take it
// out; before, any entry left brought the hint (found by review).
func TestUninstallMkcertHintOnlyForMkcert(t *testing.T) {
	_, a, stderr := certutilApp(t)
	dir := a.getenv("VOUCH_CAROOT")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mkcertFolder(t, dir)
	db := "sql:" + filepath.Join(a.home, ".pki", "nssdb")
	if err := os.MkdirAll(db[4:], 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-N", "-d", db, "--empty-password"}, {"-A", "-d", db, "-n", "My dev CA", "-t", "C,,", "-i", filepath.Join(dir, certs.RootCertFile)}} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %q: %v\n%s", args, err, out)
		}
	}
	stderr.Reset()
	code := a.run([]string{"uninstall"})
	out := stderr.String()
	if code != exitOK || !strings.Contains(out, `"My dev CA"`) || strings.Contains(out, "--mkcert   (takes out mkcert's own entries") {
		t.Errorf("uninstall = %d, stderr:\n%s\nwant 0, the hand-made entry named, and no --mkcert hint", code, out)
	}
}
