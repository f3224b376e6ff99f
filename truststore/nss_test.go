package truststore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/platform"
)

func TestParseListing(t *testing.T) {
	out := "\nCertificate Nickname                                         Trust Attributes\n" +
		"                                                             SSL,S/MIME,JAR/XPI\n\n" +
		"vouch 0123456789abcdef                                       C,,  \n" +
		"mkcert development CA 123456789012345678901234567890          C,,  \n" +
		"a nickname that is longer than the sixty columns certutil pads to CT,C,C\n" +
		"DigiCert Global G2 TLS RSA SHA256 2020 CA1                   ,,   \n"
	got := parseListing([]byte(out))
	want := listing{
		"vouch 0123456789abcdef":                                            "C,,",
		"mkcert development CA 123456789012345678901234567890":              "C,,",
		"a nickname that is longer than the sixty columns certutil pads to": "CT,C,C",
		"DigiCert Global G2 TLS RSA SHA256 2020 CA1":                        ",,",
	}
	if len(got) != len(want) {
		t.Fatalf("parseListing() = %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("parseListing()[%q] = %q, want %q", k, got[k], v)
		}
	}
	for flags, want := range map[string]bool{"C,,": true, "CT,C,C": true, "c,,": false, ",C,": false, ",,": false, "": false, "TC,,": true, "p,,": false} {
		if got := trustsForTLS(flags); got != want {
			t.Errorf("trustsForTLS(%q) = %v, want %v", flags, got, want)
		}
	}
}

// recorder runs commands for real and remembers them.
type recorder struct {
	mu   sync.Mutex
	ran  []string
	real platform.Runner
}

func (r *recorder) Run(ctx context.Context, c platform.Cmd) ([]byte, error) {
	r.mu.Lock()
	r.ran = append(r.ran, strings.Join(c.Argv, " "))
	r.mu.Unlock()
	return r.real.Run(ctx, c)
}

// take returns the commands run since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ran := r.ran
	r.ran = nil
	return ran
}

// requireCertutil skips the test when certutil is missing, or fails it
// under VOUCH_E2E=1.
func requireCertutil(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("certutil"); err != nil {
		if os.Getenv("VOUCH_E2E") == "1" {
			t.Fatal("certutil not found; install it with: apt-get install libnss3-tools (VOUCH_E2E=1 makes this a failure)")
		}
		t.Skip("certutil not found; install it with: apt-get install libnss3-tools")
	}
}

func certutil(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("certutil", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// newDB makes an empty NSS database in dir, as a browser's first start does.
func newDB(t *testing.T, spec string) {
	t.Helper()
	_, dir, _ := strings.Cut(spec, ":")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	certutil(t, "-N", "-d", spec, "--empty-password")
}

// uniqueRoot is a test root with a random serial, as vouch makes them
// (NSS refuses a second certificate with the same issuer and serial), and
// the same subject every time, as one owner's vouch roots have.
func uniqueRoot(t *testing.T) Root {
	return namedRoot(t, "vouch test root")
}

func namedRoot(t testing.TB, cn string) Root {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: []string{"vouch"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return Root{Cert: c, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// fileRoot is a test root whose PEM is on disk, as rootCA.pem is.
func fileRoot(t *testing.T) Root {
	return withFile(t, uniqueRoot(t))
}

func withFile(t *testing.T, r Root) Root {
	r.File = filepath.Join(t.TempDir(), "rootCA.pem")
	if err := os.WriteFile(r.File, r.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nssHome is a temp home with a Chromium database, a Firefox profile from
// profiles.ini and a legacy (cert8.db) profile of an old Firefox, each
// already holding a certificate someone else trusted.
func nssHome(t *testing.T) (home string, specs []string) {
	home = t.TempDir()
	specs = []string{
		"sql:" + filepath.Join(home, ".pki", "nssdb"),
		"sql:" + filepath.Join(home, ".mozilla", "firefox", "abc.default-release"),
		"dbm:" + filepath.Join(home, ".mozilla", "firefox", "old.default"),
	}
	writeFile(t, filepath.Join(home, ".mozilla", "firefox", "profiles.ini"),
		"[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\n\n[Profile1]\nName=old\nIsRelative=1\nPath=old.default\n")
	other := withFile(t, namedRoot(t, "someone else"))
	for _, s := range specs {
		newDB(t, s)
		certutil(t, "-A", "-d", s, "-n", "someone else's root", "-t", "CT,C,C", "-i", other.File)
	}
	return home, specs
}

func newTestNSS(home string) (*NSS, *recorder) {
	rec := &recorder{real: &platform.Exec{IsRoot: true}}
	return NewNSS(rec, home, func(string) string { return "" }, "linux"), rec
}

// only reports whether every command in ran is certutil with one of verbs.
func only(ran []string, verbs ...string) bool {
	for _, c := range ran {
		f := strings.Fields(c)
		if len(f) < 2 || filepath.Base(f[0]) != "certutil" || !slices.Contains(verbs, f[1]) {
			return false
		}
	}
	return true
}

func TestNSSRealCertutil(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, rec := newTestNSS(home)
	r := fileRoot(t)
	ctx := context.Background()
	nick := NSSNickname(r.Cert)
	before := map[string]string{}
	for _, s := range specs {
		before[s] = certutil(t, "-L", "-d", s)
	}

	st := n.Status(r)
	if st.State != NotTrusted || !strings.Contains(st.Reason, "0 of 3 NSS databases trust it") || len(st.Checked) != 3 {
		t.Fatalf("Status before install = %+v, want not trusted, 0 of 3, three databases checked", st)
	}
	// One listing per database, and, where vouch's entry is missing, one
	// read of each other entry's certificate (each has one: someone
	// else's root), to find this root under another nickname.
	if ran := rec.take(); len(ran) != 6 || !only(ran, "-L") || countOf(ran, " -r") != 3 {
		t.Errorf("Status ran %q, want one certutil -L per database and one -L -n … -r per other entry", ran)
	}

	changed, err := n.Install(ctx, r)
	if err != nil || !changed {
		t.Fatalf("Install = %v, %v; want a change", changed, err)
	}
	if ran := rec.take(); !slices.ContainsFunc(ran, func(c string) bool { return strings.Contains(c, " -A ") && strings.Contains(c, "-t C,,") }) {
		t.Errorf("Install ran %q, want certutil -A … -t C,,", ran)
	}
	st = n.Status(r)
	if st.State != Trusted || !strings.Contains(st.Reason, "3 of 3 NSS databases trust it") {
		t.Fatalf("Status after install = %+v, want trusted in all 3", st)
	}
	for _, c := range st.Checked {
		if !strings.Contains(c, ": trusted") {
			t.Errorf("Status after install checked %q, want trusted", c)
		}
	}
	for _, s := range specs {
		if got := parseListing([]byte(certutil(t, "-L", "-d", s))); got[nick] != "C,," {
			t.Errorf("certutil -L -d %s after install: %q has flags %q, want C,,", s, nick, got[nick])
		}
		// The certificate vouch added is the root, byte for byte.
		der, err := exec.Command("certutil", "-L", "-d", s, "-n", nick, "-r").Output()
		if err != nil || string(der) != string(r.Cert.Raw) {
			t.Errorf("certutil -L -d %s -n %q -r = %d bytes, %v; want the root", s, nick, len(der), err)
		}
	}

	// Trusted everywhere already: install runs nothing but certutil -L.
	rec.take()
	if changed, err := n.Install(ctx, r); err != nil || changed {
		t.Errorf("second Install = %v, %v; want no change", changed, err)
	}
	if ran := rec.take(); !only(ran, "-L") {
		t.Errorf("second Install ran %q, want only certutil -L", ran)
	}

	if changed, err := n.Uninstall(ctx, r, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v; want a change", changed, err)
	}
	if ran := rec.take(); !only(ran, "-L", "-D") || len(ran) != 6 {
		t.Errorf("Uninstall ran %q, want certutil -L and -D once per database", ran)
	}
	if st := n.Status(r); st.State != NotTrusted {
		t.Errorf("Status after uninstall = %+v, want not trusted", st)
	}
	for _, s := range specs {
		if got := certutil(t, "-L", "-d", s); got != before[s] {
			t.Errorf("certutil -L -d %s after install and uninstall =\n%s\nwant as before:\n%s", s, got, before[s])
		}
	}
	rec.take()
	if changed, err := n.Uninstall(ctx, r, false); err != nil || changed {
		t.Errorf("second Uninstall = %v, %v; want no change", changed, err)
	}
	if ran := rec.take(); !only(ran, "-L") {
		t.Errorf("second Uninstall ran %q, want only certutil -L", ran)
	}
}

// A root given without a file goes to certutil on stdin.
func TestNSSInstallFromPEM(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home := t.TempDir()
	newDB(t, "sql:"+filepath.Join(home, ".local", "share", "pki", "nssdb"))
	n, _ := newTestNSS(home)
	r := uniqueRoot(t)
	if _, err := n.Install(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if st := n.Status(r); st.State != Trusted {
		t.Errorf("Status after installing from PEM = %+v", st)
	}
}

func TestNSSEntryWithoutTrust(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, rec := newTestNSS(home)
	r := fileRoot(t)
	nick := NSSNickname(r.Cert)
	certutil(t, "-A", "-d", specs[0], "-n", nick, "-t", ",,", "-i", r.File)
	if st := n.Status(r); st.State != NotTrusted || !strings.Contains(strings.Join(st.Checked, "\n"), "not trusted for TLS") {
		t.Errorf("Status with an untrusted vouch entry = %+v", st)
	}
	rec.take()
	if _, err := n.Install(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if ran := rec.take(); !slices.ContainsFunc(ran, func(c string) bool { return strings.Contains(c, " -M -d "+specs[0]) }) {
		t.Errorf("Install ran %q, want certutil -M on %s", ran, specs[0])
	}
	if st := n.Status(r); st.State != Trusted {
		t.Errorf("Status after install = %+v", st)
	}
}

// TestNSSMkcertEntry: mkcert's own entry for a root counts as trusted,
// is left alone by install and by uninstall (even with all), and goes
// only with Mkcert, as mkcert -uninstall takes it out.
func TestNSSMkcertEntry(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, rec := newTestNSS(home)
	r := fileRoot(t)
	for _, s := range specs {
		certutil(t, "-A", "-d", s, "-n", platform.MkcertName(r.Cert), "-t", "C,,", "-i", r.File)
	}
	st := n.Status(r)
	if st.State != Trusted || !strings.Contains(st.Reason, "mkcert") || !strings.Contains(st.Reason, "which only vouch uninstall --mkcert (or mkcert -uninstall) removes") {
		t.Errorf("Status with mkcert's entries = %+v, want trusted through mkcert's", st)
	}
	rec.take()
	if changed, err := n.Install(context.Background(), r); changed || err != nil || !only(rec.take(), "-L") {
		t.Errorf("Install over mkcert's entries = %v, %v; want nothing done", changed, err)
	}
	if changed, err := n.Uninstall(context.Background(), r, true); changed || err != nil {
		t.Errorf("Uninstall over mkcert's entries = %v, %v; want nothing removed", changed, err)
	}
	if st := n.Status(r); st.State != Trusted {
		t.Errorf("Status after uninstall = %+v, want mkcert's entries still trusted", st)
	}
	// With Mkcert (vouch uninstall --mkcert, mkcert's -uninstall) they go,
	// as mkcert -uninstall takes them out.
	r.Mkcert = true
	if changed, err := n.Uninstall(context.Background(), r, false); !changed || err != nil {
		t.Errorf("Uninstall with Mkcert = %v, %v; want mkcert's entries removed", changed, err)
	}
	for _, s := range specs {
		if l := parseListing([]byte(certutil(t, "-L", "-d", s))); l[platform.MkcertName(r.Cert)] != "" {
			t.Errorf("%s after Uninstall with Mkcert = %q, want mkcert's entry gone", s, l)
		}
	}
	if st := n.Status(r); st.State != NotTrusted {
		t.Errorf("Status after Uninstall with Mkcert = %+v, want not trusted", st)
	}
}

func TestNSSAlias(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, _ := newTestNSS(home)
	r := fileRoot(t)
	// Imported by hand, e.g. in Firefox's certificate manager, not trusted.
	certutil(t, "-A", "-d", specs[1], "-n", "my dev root", "-t", ",,", "-i", r.File)
	before := certutil(t, "-L", "-d", specs[1])
	_, err := n.Install(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), `"my dev root"`) || !strings.Contains(err.Error(), specs[1]) {
		t.Fatalf("Install over a hand-made entry = %v, want an error naming it", err)
	}
	if got := certutil(t, "-L", "-d", specs[1]); got != before {
		t.Errorf("the database with the hand-made entry changed:\n%s\nwant\n%s", got, before)
	}
	// The other databases were still done.
	for _, s := range []string{specs[0], specs[2]} {
		if got := parseListing([]byte(certutil(t, "-L", "-d", s))); got[NSSNickname(r.Cert)] != "C,," {
			t.Errorf("%s after install = %q, want vouch's entry", s, got)
		}
	}
	if st := n.Status(r); st.State != NotTrusted || !strings.Contains(st.Reason, "not trusted in "+specs[1]) {
		t.Errorf("Status with the hand-made entry untrusted = %+v, want not trusted there", st)
	}
}

// TestNSSTrustedAlias: the root imported by hand and trusted for websites
// (an invitation's Firefox steps) is trusted, and status says so, naming
// the entry; install leaves it and changes nothing; uninstall can't take
// it out, and status after it still says trusted, so vouch warns. Before,
// status said "not trusted", install failed, and uninstall said nothing
// of vouch's was there while the browser went on trusting the root.
func TestNSSTrustedAlias(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, rec := newTestNSS(home)
	r := fileRoot(t)
	ctx := context.Background()
	if _, err := n.Install(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	certutil(t, "-A", "-d", specs[1], "-n", "My dev CA", "-t", "C,,", "-i", r.File)
	if _, err := n.Install(ctx, r); err != nil {
		t.Fatal(err)
	}
	before := certutil(t, "-L", "-d", specs[1])
	rec.take()

	st := n.Status(r)
	if st.State != Trusted || !strings.Contains(st.Reason, `"My dev CA" in `+specs[1]) ||
		!strings.Contains(st.Reason, `certutil -D -d `+specs[1]+` -n 'My dev CA'`) {
		t.Errorf("Status = %+v, want trusted, naming the hand-made entry and how to take it out", st)
	}
	if changed, err := n.Install(ctx, r); err != nil || changed {
		t.Errorf("Install = %v, %v; want nothing to do", changed, err)
	}
	if ran := rec.take(); !only(ran, "-L") {
		t.Errorf("Install ran %q, want only reads", ran)
	}
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if got := certutil(t, "-L", "-d", specs[1]); got != before {
		t.Errorf("uninstall changed the database with the hand-made entry:\n%s\nwant\n%s", got, before)
	}
	// The other databases no longer trust it; this one does, and Held
	// says so, for uninstall's warning.
	if st := n.Status(r); st.State != NotTrusted || len(st.Held) != 1 || !strings.Contains(st.Held[0], `"My dev CA" in `+specs[1]) {
		t.Errorf("Status after uninstall = %+v, want 1 of 3, Held naming the hand-made entry", st)
	}
}

func TestNSSStale(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home := t.TempDir()
	specs := []string{"sql:" + filepath.Join(home, ".pki", "nssdb"), "sql:" + filepath.Join(home, ".mozilla", "firefox", "a.default")}
	for _, s := range specs {
		newDB(t, s)
	}
	n, _ := newTestNSS(home)
	// A rotated CA: a new root with the old one's subject.
	old, r := fileRoot(t), fileRoot(t)
	ctx := context.Background()
	for _, root := range []Root{old, r} {
		if _, err := n.Install(ctx, root); err != nil {
			t.Fatal(err)
		}
	}
	st := n.Status(r)
	if st.State != Trusted || len(st.Stale) != 2 || !strings.Contains(st.Reason, "2 stale entries") {
		t.Fatalf("Status with an older vouch root's entries = %+v, want 2 stale", st)
	}
	// The same root, retired by vouch rotate from r's folder: still
	// listed (--all-vouch-roots takes it out), but named as retired, with
	// what takes it out, and not counted stale.
	retired := r
	retired.Retired = []RetiredRoot{{Cert: old.Cert, Dir: "/ca/retired/2026-01-02-x"}}
	st = n.Status(retired)
	want := " holds the root of the CA vouch rotate retired to /ca/retired/2026-01-02-x, trusted until vouch uninstall --caroot /ca/retired/2026-01-02-x --purge"
	if len(st.Stale) != 2 || !strings.Contains(st.Reason, specs[0]) || !strings.Contains(st.Reason, want) || strings.Contains(st.Reason, "stale") {
		t.Errorf("Status with a retired root's entries = %+v; want them listed, and named as retired (%q), not stale", st, want)
	}
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if st := n.Status(old); st.State != Trusted {
		t.Errorf("Uninstall without all removed another root's entries: %+v", st)
	}
	if _, err := n.Uninstall(ctx, r, true); err != nil {
		t.Fatal(err)
	}
	for _, s := range specs {
		if l := parseListing([]byte(certutil(t, "-L", "-d", s))); len(l) != 0 {
			t.Errorf("%s after uninstall --all-vouch-roots = %q, want empty", s, l)
		}
	}
}

// TestNSSKeep: an entry of a root the user keeps (trusted for someone else)
// is not stale and survives uninstall with all.
func TestNSSKeep(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home := t.TempDir()
	spec := "sql:" + filepath.Join(home, ".pki", "nssdb")
	newDB(t, spec)
	n, _ := newTestNSS(home)
	friend, old, r := fileRoot(t), fileRoot(t), fileRoot(t)
	ctx := context.Background()
	for _, root := range []Root{friend, old, r} {
		if _, err := n.Install(ctx, root); err != nil {
			t.Fatal(err)
		}
	}
	r.Keep = []*x509.Certificate{friend.Cert}
	st := n.Status(r)
	if want := []string{spec + ": " + NSSNickname(old.Cert)}; !slices.Equal(st.Stale, want) {
		t.Fatalf("Stale keeping the friend's root = %q, want %q", st.Stale, want)
	}
	if _, err := n.Uninstall(ctx, r, true); err != nil {
		t.Fatal(err)
	}
	if st := n.Status(friend); st.State != Trusted {
		t.Errorf("Uninstall with all removed a kept root: %+v", st)
	}
	if st := n.Status(old); st.State == Trusted {
		t.Errorf("Uninstall with all left the stale root: %+v", st)
	}
}

// In a legacy database a new root with an older root's subject would land
// in the older root's entry; vouch refuses and changes nothing.
func TestNSSLegacySameSubject(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home := t.TempDir()
	spec := "dbm:" + filepath.Join(home, ".mozilla", "firefox", "old.default")
	newDB(t, spec)
	n, _ := newTestNSS(home)
	old, r := fileRoot(t), fileRoot(t)
	ctx := context.Background()
	if _, err := n.Install(ctx, old); err != nil {
		t.Fatal(err)
	}
	before := certutil(t, "-L", "-d", spec)
	_, err := n.Install(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "cert8.db") || !strings.Contains(err.Error(), NSSNickname(old.Cert)) {
		t.Errorf("Install of a second root with the same subject into cert8.db = %v, want a refusal naming the older entry", err)
	}
	if got := certutil(t, "-L", "-d", spec); got != before {
		t.Errorf("the legacy database changed:\n%s\nwant\n%s", got, before)
	}
}

// passwordHome is nssHome plus a Firefox profile "locked" whose database
// has a primary password; ini is the profiles.ini to write.
func passwordHome(t *testing.T, ini string) (home string, specs []string, locked string) {
	t.Helper()
	home, specs = nssHome(t)
	locked = "sql:" + filepath.Join(home, ".mozilla", "firefox", "locked")
	pw := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pw, "secret\n")
	if err := os.MkdirAll(locked[4:], 0o700); err != nil {
		t.Fatal(err)
	}
	certutil(t, "-N", "-d", locked, "-f", pw)
	writeFile(t, filepath.Join(home, ".mozilla", "firefox", "profiles.ini"), ini)
	return home, specs, locked
}

func TestNSSPrimaryPassword(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, _, locked := passwordHome(t, "[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\n\n[Profile1]\nName=locked\nIsRelative=1\nPath=locked\n")
	before := certutil(t, "-L", "-d", locked)
	n, _ := newTestNSS(home)
	r := fileRoot(t)
	changed, err := n.Install(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), "primary password") || !strings.Contains(err.Error(), "certutil -A -d "+locked) {
		t.Fatalf("Install on a password-protected database = %v, want the command to run by hand", err)
	}
	if !changed {
		t.Errorf("Install = no change, want the other databases changed")
	}
	// certutil -A leaves the certificate without trust when it can't log
	// in; vouch takes it out again.
	if got := certutil(t, "-L", "-d", locked); got != before {
		t.Errorf("the password-protected database changed:\n%s\nwant\n%s", got, before)
	}
	if st := n.Status(r); st.State != NotTrusted || !strings.Contains(st.Reason, "2 of 3") {
		t.Errorf("Status = %+v, want 2 of 3 trusted", st)
	}
}

func TestNSSBrokenDatabase(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, _ := nssHome(t)
	// A cert9.db that is not a database.
	writeFile(t, filepath.Join(home, ".local", "share", "pki", "nssdb", "cert9.db"), "not sqlite")
	n, _ := newTestNSS(home)
	r := fileRoot(t)
	st := n.Status(r)
	if st.State != Failed || !strings.Contains(st.Reason, "could not read 1 of 4") || !strings.Contains(st.Reason, ".local/share/pki/nssdb") {
		t.Errorf("Status with a broken database = %+v, want an error naming it", st)
	}
	changed, err := n.Install(context.Background(), r)
	if err == nil || !changed {
		t.Errorf("Install with a broken database = %v, %v; want the others changed and an error", changed, err)
	}
}

func TestNSSMissingCertutil(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".pki", "nssdb", "cert9.db"), "")
	writeFile(t, filepath.Join(home, ".mozilla", "firefox", "a.default", "cert9.db"), "")
	osRelease := filepath.Join(t.TempDir(), "os-release")
	writeFile(t, osRelease, "NAME=\"Fedora Linux\"\nID=fedora\n")
	ran := 0
	n := NewNSS(runnerFunc(func(platform.Cmd) error { ran++; return nil }), home, func(string) string { return "" }, "linux")
	n.LookPath = func(string) (string, error) { return "", exec.ErrNotFound }
	n.OSRelease = osRelease
	r := testRoot(t)

	_, err := n.Install(context.Background(), r)
	var mt *MissingToolError
	if !errors.As(err, &mt) || mt.Tool != "certutil" || mt.Hint != "sudo dnf install nss-tools" || !strings.Contains(mt.Error(), "2 NSS databases of chromium, firefox") {
		t.Fatalf("Install without certutil = %v (%+v), want a *MissingToolError with the dnf hint", err, mt)
	}
	if _, err := n.Uninstall(context.Background(), r, false); !errors.As(err, &mt) {
		t.Errorf("Uninstall without certutil = %v, want a *MissingToolError", err)
	}
	st := n.Status(r)
	if st.State != Failed || !strings.Contains(st.Reason, "dnf install nss-tools") || len(st.Checked) != 2 {
		t.Errorf("Status without certutil = %+v", st)
	}
	if ran != 0 {
		t.Errorf("ran %d commands without certutil, want none", ran)
	}
}

func TestNSSNotPresent(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".mozilla", "firefox", "profiles.ini"), "[Profile0]\nName=fresh\nIsRelative=1\nPath=x.fresh\n")
	if err := os.MkdirAll(filepath.Join(home, ".mozilla", "firefox", "x.fresh"), 0o700); err != nil {
		t.Fatal(err)
	}
	ran := 0
	n := NewNSS(runnerFunc(func(platform.Cmd) error { ran++; return nil }), home, func(string) string { return "" }, "linux")
	r := testRoot(t)
	st := n.Status(r)
	if st.State != NotPresent || !strings.Contains(st.Reason, "looked in ~/.pki/nssdb, ~/.local/share/pki/nssdb") || !slices.Contains(st.Checked, filepath.Join(home, ".mozilla", "firefox")) || !strings.Contains(st.Reason, `profile "fresh"`) {
		t.Errorf("Status with no database = %+v", st)
	}
	// The snap and Flatpak folders are counted in the reason, listed in
	// Checked.
	sandboxed := 0
	for _, d := range st.Checked {
		if strings.Contains(d, "/snap/") || strings.Contains(d, "/.var/app/") {
			sandboxed++
		}
	}
	if want := fmt.Sprintf("~/.librewolf, %d snap and Flatpak folders (vouch status --json lists them)", sandboxed); sandboxed < 10 || !strings.Contains(st.Reason, want) || strings.Contains(st.Reason, "/.var/app/") {
		t.Errorf("Status reason %q, want the %d snap and Flatpak folders of Checked counted: %q", st.Reason, sandboxed, want)
	}
	if changed, err := n.Install(context.Background(), r); changed || err != nil {
		t.Errorf("Install with no database = %v, %v; want nothing", changed, err)
	}
	if changed, err := n.Uninstall(context.Background(), r, true); changed || err != nil {
		t.Errorf("Uninstall with no database = %v, %v; want nothing", changed, err)
	}
	if ran != 0 {
		t.Errorf("ran %d commands with no database, want none", ran)
	}
}

// BenchmarkNSSStatus is what vouch status costs for the NSS store: one
// certutil -L per database found (here three: Chromium's, a Firefox
// profile's and a legacy cert8.db profile's).
func BenchmarkNSSStatus(b *testing.B) {
	if _, err := exec.LookPath("certutil"); err != nil {
		b.Skip("certutil not found")
	}
	home := b.TempDir()
	specs := []string{
		"sql:" + filepath.Join(home, ".pki", "nssdb"),
		"sql:" + filepath.Join(home, ".mozilla", "firefox", "a.default"),
		"dbm:" + filepath.Join(home, ".mozilla", "firefox", "b.default"),
	}
	for _, s := range specs {
		_, dir, _ := strings.Cut(s, ":")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		if out, err := exec.Command("certutil", "-N", "-d", s, "--empty-password").CombinedOutput(); err != nil {
			b.Fatalf("certutil -N: %v\n%s", err, out)
		}
	}
	n := NewNSS(&platform.Exec{IsRoot: true}, home, func(string) string { return "" }, "linux")
	r := namedRoot(b, "vouch bench root")
	b.ResetTimer()
	for b.Loop() {
		if st := n.Status(r); st.State != NotTrusted {
			b.Fatalf("Status = %+v", st)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(specs))/1e6, "ms/db")
}

// With a cache file, a database whose file has not changed is answered
// without certutil; any change to it, by vouch or by anyone else, is read
// again.
func TestNSSListingCache(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, rec := newTestNSS(home)
	n.CacheFile = filepath.Join(t.TempDir(), "state", "nss-listings.json")
	r := fileRoot(t)
	ctx := context.Background()

	if st := n.Status(r); st.State != NotTrusted {
		t.Fatalf("first Status = %+v", st)
	}
	if ran := rec.take(); len(ran) != 6 || countOf(ran, " -r") != 3 {
		t.Fatalf("first Status ran %q, want certutil -L three times, and each other entry read once", ran)
	}
	if st := n.Status(r); st.State != NotTrusted {
		t.Fatalf("second Status = %+v", st)
	}
	if ran := rec.take(); len(ran) != 0 {
		t.Fatalf("second Status on unchanged databases ran %q, want nothing", ran)
	}
	if _, err := n.Install(ctx, r); err != nil {
		t.Fatal(err)
	}
	rec.take()
	// A new NSS value reads the cache from disk, as the next vouch run does.
	fresh, rec2 := newTestNSS(home)
	fresh.CacheFile = n.CacheFile
	if st := fresh.Status(r); st.State != Trusted {
		t.Fatalf("Status after install = %+v, want trusted", st)
	}
	first := rec2.take()
	if st := fresh.Status(r); st.State != Trusted {
		t.Fatalf("Status again = %+v", st)
	}
	if ran := rec2.take(); len(ran) != 0 {
		t.Fatalf("Status on unchanged databases ran %q (first read ran %q), want nothing", ran, first)
	}
	if changed, err := fresh.Install(ctx, r); err != nil || changed {
		t.Fatalf("no-op Install = %v, %v", changed, err)
	}
	if ran := rec2.take(); len(ran) != 0 {
		t.Fatalf("no-op Install on unchanged databases ran %q, want nothing", ran)
	}

	// Someone else takes the root out of one database behind vouch's back:
	// that database is read again and status tells the truth.
	certutil(t, "-D", "-d", specs[1], "-n", NSSNickname(r.Cert))
	st := fresh.Status(r)
	if st.State != NotTrusted || !strings.Contains(st.Reason, "2 of 3") {
		t.Fatalf("Status after an outside change = %+v, want 2 of 3", st)
	}
	if ran := rec2.take(); len(ran) != 2 || !strings.Contains(ran[0], specs[1]) || !strings.Contains(ran[1], specs[1]) {
		t.Fatalf("Status after an outside change ran %q, want certutil -L of %s and a read of its other entry", ran, specs[1])
	}

	// A damaged cache is ignored, not trusted.
	if err := os.WriteFile(n.CacheFile, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, rec3 := newTestNSS(home)
	again.CacheFile = n.CacheFile
	if st := again.Status(r); st.State != NotTrusted {
		t.Fatalf("Status with a damaged cache = %+v", st)
	}
	if ran := rec3.take(); len(ran) != 4 || countOf(ran, specs[1]+" -n") != 1 {
		t.Fatalf("Status with a damaged cache ran %q, want three listings, and the other entry of %s read", ran, specs[1])
	}
}

// countOf counts the commands containing sub.
func countOf(ran []string, sub string) int {
	k := 0
	for _, c := range ran {
		if strings.Contains(c, sub) {
			k++
		}
	}
	return k
}

// TestExplainCertutilReadOnly: certutil's SEC_ERROR_READ_ONLY (the
// database's files are root's, made under sudo) is explained, with the
// commands that show and fix it; before, certutil's words were all.
func TestExplainCertutilReadOnly(t *testing.T) {
	dir := "/home/u/.pki/nssdb"
	raw := errors.New("certutil: could not add certificate to token or database: SEC_ERROR_READ_ONLY: security library: read-only database.")
	err := explainCertutil(raw, []string{"/usr/bin/certutil", "-A", "-d", "sql:" + dir, "-n", "vouch 0011223344556677", "-t", "C,,", "-f", os.DevNull})
	want := fmt.Sprintf("the database is read-only to vouch: see who owns its files (ls -l %s); one made under sudo is root's, and sudo chown -R %d:%d %s gives it back", dir, os.Getuid(), os.Getgid(), dir)
	if !errors.Is(err, raw) || !strings.Contains(err.Error(), want) {
		t.Errorf("explainCertutil = %v, want it to wrap certutil's error and say %q", err, want)
	}
}

// failingReads fails every certutil -L … -r while fail is set.
type failingReads struct {
	platform.Runner
	fail bool
}

func (f *failingReads) Run(ctx context.Context, c platform.Cmd) ([]byte, error) {
	if f.fail && slices.Contains(c.Argv, "-r") {
		return nil, errors.New("certutil: function failed")
	}
	return f.Runner.Run(ctx, c)
}

// TestNSSAliasFailureNotCached: when reading an entry fails, "no such
// entry" is not cached: the next status reads again and finds the root
// under its hand-made nickname. Before, the failed search was cached as
// "none" until the database changed (found by review).
func TestNSSAliasFailureNotCached(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs := nssHome(t)
	r := fileRoot(t)
	certutil(t, "-A", "-d", specs[1], "-n", "My dev CA", "-t", "C,,", "-i", r.File)
	run := &failingReads{Runner: &platform.Exec{IsRoot: true}, fail: true}
	n := NewNSS(run, home, func(string) string { return "" }, "linux")
	n.CacheFile = filepath.Join(t.TempDir(), "nss-listings.json")
	if st := n.Status(r); st.State != NotTrusted || strings.Contains(st.Reason, "My dev CA") {
		t.Fatalf("Status with reads failing = %+v", st)
	}
	run.fail = false
	again := NewNSS(run, home, func(string) string { return "" }, "linux")
	again.CacheFile = n.CacheFile
	if st := again.Status(r); !strings.Contains(st.Reason, `"My dev CA" in `+specs[1]) {
		t.Errorf("Status once reads work = %+v, want the hand-made entry found", st)
	}
}
