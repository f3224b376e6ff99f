package record

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
)

func testRoot(t *testing.T) *certs.CA {
	t.Helper()
	ca, _, err := certs.LoadOrCreate(filepath.Join(t.TempDir(), "ca"), true, certs.CreateOptions{Constraints: certs.DefaultConstraints()})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestBookRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	b, unlock, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Roots) != 0 || len(b.Seen) != 0 {
		t.Fatalf("new book not empty: %+v", b)
	}
	ca := testRoot(t)
	fp := certs.Fingerprint(ca.Root)
	path, err := b.WriteRoot(ca.Root)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	b.Add(Root{Label: "alice", Fingerprint: fp, Source: "photos.test:443", TrustedAt: now, NotAfter: ca.Root.NotAfter})
	b.See(Seen{Host: "photos.test:443", Leaf: "aa", Root: fp, SeenAt: now})
	b.See(Seen{Host: "photos.test:443", Leaf: "bb", Root: fp, SeenAt: now.Add(time.Hour)})
	if err := b.Save(); err != nil {
		t.Fatal(err)
	}
	unlock()

	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := again.Find("alice")
	if err != nil || r.Fingerprint != fp || !r.TrustedAt.Equal(now) {
		t.Fatalf("Find(alice) = %+v, %v", r, err)
	}
	if r, err := again.Find(certs.FingerprintOf(ca.Root).Words()); err != nil || r.Label != "alice" {
		t.Fatalf("Find(words) = %+v, %v", r, err)
	}
	if s := again.LastSeen("photos.test:443"); s == nil || s.Leaf != "bb" || len(again.Seen) != 1 {
		t.Fatalf("LastSeen = %+v (all: %+v)", s, again.Seen)
	}
	got, err := again.ReadRoot(fp)
	if err != nil || !got.Equal(ca.Root) {
		t.Fatalf("ReadRoot = %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("root file mode %v", st.Mode())
	}
	if st, _ := os.Stat(filepath.Join(dir, trustedFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v", st.Mode())
	}

	if !again.Remove(fp) || again.Remove(fp) {
		t.Fatal("Remove should report the first removal only")
	}
	if err := again.DeleteRoot(fp); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("root file still there: %v", err)
	}
	if _, err := again.Find("alice"); err == nil || !strings.Contains(err.Error(), "no roots") {
		t.Fatalf("Find after remove: %v", err)
	}
}

func TestFindNamesKnownLabels(t *testing.T) {
	b := &Book{Roots: []Root{{Label: "alice", Fingerprint: strings.Repeat("a", 64)}, {Label: "bob", Fingerprint: strings.Repeat("b", 64)}}}
	_, err := b.Find("carol")
	if err == nil || !strings.Contains(err.Error(), "alice, bob") {
		t.Fatalf("Find(carol) = %v", err)
	}
	if r, err := b.Find(strings.Repeat("BB", 32)); err != nil || r.Label != "bob" {
		t.Fatalf("Find(hex) = %+v, %v", r, err)
	}
	// The label in another case; the start of the fingerprint as vouch's
	// anchor file and NSS nickname show it, when it names one root only.
	for _, q := range []string{"Alice", "ALICE", "vouch-" + strings.Repeat("a", 16), "vouch " + strings.Repeat("a", 16), strings.Repeat("a", 20)} {
		if r, err := b.Find(q); err != nil || r.Label != "alice" {
			t.Errorf("Find(%q) = %+v, %v; want alice", q, r, err)
		}
	}
	two := &Book{Roots: []Root{{Label: "pi", Fingerprint: strings.Repeat("a", 64)}, {Label: "PI", Fingerprint: strings.Repeat("a", 16) + strings.Repeat("c", 48)}}}
	for _, q := range []string{"Pi", strings.Repeat("a", 16), strings.Repeat("a", 15)} {
		if r, err := two.Find(q); err == nil {
			t.Errorf("Find(%q) = %+v; want an error, since it names both roots or is too short", q, r)
		}
	}
	// Labels that differ only in case are named as such, not as unknown.
	if _, err := two.Find("Pi"); err == nil || !strings.Contains(err.Error(), `"Pi" could be any of pi, PI`) {
		t.Errorf("Find(Pi) with pi and PI recorded = %v", err)
	}
	for _, tt := range []struct{ label, want string }{{"PI", "PI"}, {"pi", "pi"}, {"Pi", "pi"}, {"pj", ""}} {
		got := ""
		if r := two.Labelled(tt.label); r != nil {
			got = r.Label
		}
		if got != tt.want {
			t.Errorf("Labelled(%q) = %q, want %q", tt.label, got, tt.want)
		}
	}
}

func TestDamagedRecord(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, trustedFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "move it aside") {
		t.Fatalf("Load = %v", err)
	}
	if _, err := Load(""); err == nil {
		t.Fatal("Load(\"\") should fail")
	}
}

func TestReadRootRejectsWrongFile(t *testing.T) {
	b := &Book{Dir: t.TempDir()}
	ca := testRoot(t)
	other := testRoot(t)
	fp := certs.Fingerprint(ca.Root)
	if err := os.MkdirAll(filepath.Join(b.Dir, rootsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.RootFile(fp), certs.CertPEM(other.Root.Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadRoot(fp); err == nil {
		t.Fatal("ReadRoot accepted a file holding another root")
	}
}

// TestOpenSaysWhenItWaits: an Open kept waiting by another for over a
// second (a vouch trust at sudo's prompt holds the record) says so, once,
// then gets the record when the other lets go.
func TestOpenSaysWhenItWaits(t *testing.T) {
	dir := t.TempDir()
	_, unlock, err := Open(dir, func() { t.Error("Open on a free folder said it waits") })
	if err != nil {
		t.Fatal(err)
	}
	var told atomic.Int32
	got := make(chan error)
	go func() {
		_, second, err := Open(dir, func() { told.Add(1) })
		if err == nil {
			second()
		}
		got <- err
	}()
	time.Sleep(1500 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("the second Open returned (%v) while the first held the folder", err)
	default:
	}
	if n := told.Load(); n != 1 {
		t.Errorf("an Open kept waiting 1.5s said so %d times, want once", n)
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
