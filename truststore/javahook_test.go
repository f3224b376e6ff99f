package truststore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// hookedJava is a fake Debian machine whose JDK uses the shared keystore
// /etc/ssl/certs/java/cacerts, which the tests rewrite as Debian's
// ca-certificates-java hook does: the whole file, with new dates.
type hookedJava struct {
	f       *fakeJava
	cacerts string
	j       *Java
	rec     *javaRec
}

func newHookedJava(t *testing.T, orig []byte) *hookedJava {
	t.Helper()
	f := newFakeJava(t)
	cacerts := f.write(t, "/etc/ssl/certs/java/cacerts", orig)
	f.link(t, "/usr/lib/jvm/jdk/lib/security/cacerts", "/etc/ssl/certs/java/cacerts")
	f.write(t, "/usr/lib/jvm/jdk/bin/keytool", []byte("#!/bin/sh\nexit 99\n"))
	rec := &javaRec{}
	return &hookedJava{f: f, cacerts: cacerts, j: f.store(rec, t.TempDir()), rec: rec}
}

func (h *hookedJava) hook(t *testing.T, data []byte) {
	t.Helper()
	if err := os.WriteFile(h.cacerts, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestJavaPrepareThenHook: Prepare keeps the keystore's bytes before the
// system store's refresh; the hook imports the root (so Install finds it
// trusted and keeps nothing), then rebuilds the keystore without it on
// uninstall. Uninstall puts the kept bytes back when the entries are
// exactly those kept, and otherwise leaves the hook's file alone.
func TestJavaPrepareThenHook(t *testing.T) {
	root := javaRoot(t, "vouch root hooked")
	a, b, c := javaRoot(t, "debian root a"), javaRoot(t, "debian root b"), javaRoot(t, "debian root c")
	base := []jksEntry{{"debian:a.pem", a.Cert}, {"debian:b.pem", b.Cert}}
	hookAlias := "debian:" + JavaAlias(root.Cert) + ".pem"
	day := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	orig := jksBytesAt(t, day, base...)
	ctx := context.Background()

	for _, tt := range []struct {
		name    string
		rebuilt []jksEntry // what the hook's --fresh run leaves
		putBack bool
	}{
		{"same entries", base, true},
		{"a root added meanwhile", append(slices.Clone(base), jksEntry{"debian:c.pem", c.Cert}), false},
		{"a root gone meanwhile", base[:1], false},
		{"an alias renamed", []jksEntry{{"debian:a.pem", a.Cert}, {"debian:b-renamed.pem", b.Cert}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHookedJava(t, orig)
			if _, err := h.j.Prepare(ctx, root); err != nil {
				t.Fatalf("Prepare = %v", err)
			}
			backup := h.j.backupPath(h.cacerts, root.Cert)
			if got, err := os.ReadFile(backup); err != nil || !bytes.Equal(got, orig) {
				t.Fatalf("after Prepare, the copy %s = %d bytes, %v; want the keystore's %d bytes", backup, len(got), err, len(orig))
			}
			if !bytes.Equal(mustRead(t, h.cacerts), orig) {
				t.Errorf("Prepare changed the keystore")
			}

			// update-ca-certificates: the hook imports the anchor.
			h.hook(t, jksBytesAt(t, day.Add(time.Hour), append(slices.Clone(base), jksEntry{hookAlias, root.Cert})...))
			if changed, err := h.j.Install(ctx, root); changed || err != nil {
				t.Errorf("Install after the hook = %v, %v; want nothing to do", changed, err)
			}
			if got := mustRead(t, backup); !bytes.Equal(got, orig) {
				t.Errorf("Install replaced the copy Prepare kept")
			}

			// update-ca-certificates --fresh and jks-keystore --fresh: the
			// keystore rebuilt without the root, new bytes.
			rebuilt := jksBytesAt(t, day.Add(2*time.Hour), tt.rebuilt...)
			if bytes.Equal(rebuilt, orig) {
				t.Fatal("the hook's rebuild has the original bytes; the test would prove nothing")
			}
			h.hook(t, rebuilt)
			if st := h.j.Status(root); st.State != NotTrusted {
				t.Fatalf("Status after the hook's rebuild = %+v, want not trusted", st)
			}

			changed, err := h.j.Uninstall(ctx, root, false)
			if err != nil || changed != tt.putBack {
				t.Errorf("Uninstall = %v, %v; want %v, nil", changed, err, tt.putBack)
			}
			want, what := rebuilt, "the hook's rebuild, left alone"
			if tt.putBack {
				want, what = orig, "byte-identical to before install"
			}
			if !bytes.Equal(mustRead(t, h.cacerts), want) {
				t.Errorf("after Uninstall, %s is not %s", h.cacerts, what)
			}
			if st := h.j.Status(root); st.State != NotTrusted {
				t.Errorf("Status after Uninstall = %+v, want not trusted", st)
			}
			if _, err := os.Stat(backup); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Uninstall left the copy: %v", err)
			}
			if len(h.rec.cmds) != 0 {
				t.Errorf("ran %q; a JKS keystore needs no keytool for this", h.rec.argvs())
			}
			// The copy served once: a second uninstall changes nothing.
			if changed, err := h.j.Uninstall(ctx, root, false); changed || err != nil {
				t.Errorf("second Uninstall = %v, %v; want nothing to do", changed, err)
			}
		})
	}
}

// TestJavaPrepareThenHookPKCS12: the same with a PKCS#12 keystore and the
// real keytool, whose aliases go-pkcs12 does not give: Uninstall lists
// them with keytool before putting the copy back.
func TestJavaPrepareThenHookPKCS12(t *testing.T) {
	for _, tt := range []struct {
		name    string
		putBack bool
	}{{"same entries", true}, {"a root added meanwhile", false}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := javaRoot(t, "vouch root hooked p12")
			other := javaRoot(t, "added meanwhile")
			f, cacerts, kt := realCopy(t, "PKCS12", true)
			orig := mustRead(t, cacerts)
			rec := realRunner()
			j := f.store(rec, t.TempDir())
			ctx := context.Background()
			hookAlias := "debian:" + JavaAlias(root.Cert) + ".pem"
			if _, err := j.Prepare(ctx, root); err != nil {
				t.Fatalf("Prepare = %v", err)
			}
			keytool(t, kt, "-importcert", "-noprompt", "-alias", hookAlias, "-file", root.File, "-keystore", cacerts, "-storepass", "changeit")
			if changed, err := j.Install(ctx, root); changed || err != nil {
				t.Errorf("Install after the hook = %v, %v; want nothing to do", changed, err)
			}
			keytool(t, kt, "-delete", "-alias", hookAlias, "-keystore", cacerts, "-storepass", "changeit")
			if !tt.putBack {
				keytool(t, kt, "-importcert", "-noprompt", "-alias", "meanwhile", "-file", other.File, "-keystore", cacerts, "-storepass", "changeit")
			}
			rebuilt := mustRead(t, cacerts)
			if bytes.Equal(rebuilt, orig) {
				t.Fatal("keytool rewrote the PKCS#12 keystore to the same bytes; the test would prove nothing")
			}
			rec.cmds = nil
			changed, err := j.Uninstall(ctx, root, false)
			if err != nil || changed != tt.putBack {
				t.Errorf("Uninstall = %v, %v; want %v, nil", changed, err, tt.putBack)
			}
			want := rebuilt
			if tt.putBack {
				want = orig
			}
			if !bytes.Equal(mustRead(t, cacerts), want) {
				t.Errorf("after Uninstall, %s is not what it should be (put back: %v)", cacerts, tt.putBack)
			}
			for _, c := range rec.argvs() {
				if !strings.Contains(c, " -list -rfc ") {
					t.Errorf("Uninstall ran %q; want only keytool -list", c)
				}
			}
			if _, err := os.Stat(j.backupPath(cacerts, root.Cert)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Uninstall left the copy: %v", err)
			}
		})
	}
}

// TestJavaPutBackListsOnce: with --all-vouch-roots, every copy kept of a
// PKCS#12 keystore (one per vouch root) is weighed against the keystore's
// entries, which keytool lists once, not once per copy; here no copy
// matches (an entry was added meanwhile), so the keystore stays.
func TestJavaPutBackListsOnce(t *testing.T) {
	t.Parallel()
	a, b := javaRoot(t, "vouch root a"), javaRoot(t, "vouch root b")
	other := javaRoot(t, "added meanwhile")
	f, cacerts, kt := realCopy(t, "PKCS12", true)
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()
	for _, r := range []Root{a, b} {
		if _, err := j.Prepare(ctx, r); err != nil {
			t.Fatalf("Prepare = %v", err)
		}
	}
	keytool(t, kt, "-importcert", "-noprompt", "-alias", "meanwhile", "-file", other.File, "-keystore", cacerts, "-storepass", "changeit")
	rebuilt := mustRead(t, cacerts)
	rec.cmds = nil
	if changed, err := j.Uninstall(ctx, b, true); changed || err != nil {
		t.Errorf("Uninstall with all = %v, %v; want the keystore left alone", changed, err)
	}
	if !bytes.Equal(mustRead(t, cacerts), rebuilt) {
		t.Errorf("Uninstall changed %s, whose entries match no copy", cacerts)
	}
	var lists int
	for _, c := range rec.argvs() {
		if strings.Contains(c, " -list ") && strings.Contains(c, " -keystore "+cacerts+" ") {
			lists++
		}
	}
	if lists != 1 {
		t.Errorf("Uninstall listed %s with keytool %d times, want once:\n%s", cacerts, lists, strings.Join(rec.argvs(), "\n"))
	}
}

// TestJavaPrepare: Prepare keeps a copy only of keystores that lack the
// root (and says whether there were any), skips those it can't read, runs
// nothing, changes no keystore, and fails, naming the keystore, when it
// can't keep a copy.
func TestJavaPrepare(t *testing.T) {
	root := javaRoot(t, "vouch root prepare")
	other := javaRoot(t, "other")
	ctx := context.Background()
	f := newFakeJava(t)
	lacks := f.jdk(t, "/usr/lib/jvm/lacks", jksBytes(t, jksEntry{"other", other.Cert}), "fake")
	holds := f.jdk(t, "/usr/lib/jvm/holds", jksBytes(t, jksEntry{"debian:x.pem", root.Cert}), "fake")
	broken := f.jdk(t, "/usr/lib/jvm/broken", []byte("garbage!"), "fake")
	before := map[string][]byte{}
	for _, p := range []string{lacks, holds, broken} {
		before[p] = mustRead(t, p)
	}
	rec := &javaRec{}
	j := f.store(rec, t.TempDir())
	if lacking, err := j.Prepare(ctx, root); !lacking || err != nil {
		t.Fatalf("Prepare = %v, %v; want lacking (%s), and nil (a keystore it can't read is Install's to report)", lacking, err, lacks)
	}
	if got, err := os.ReadFile(j.backupPath(lacks, root.Cert)); err != nil || !bytes.Equal(got, before[lacks]) {
		t.Errorf("copy of %s = %d bytes, %v; want its bytes", lacks, len(got), err)
	}
	for _, p := range []string{holds, broken} {
		if _, err := os.Stat(j.backupPath(p, root.Cert)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Prepare kept a copy of %s: %v; want none", p, err)
		}
	}
	for p, data := range before {
		if !bytes.Equal(mustRead(t, p), data) {
			t.Errorf("Prepare changed %s", p)
		}
	}
	if len(rec.cmds) != 0 {
		t.Errorf("Prepare ran %q, want nothing", rec.argvs())
	}

	// Every keystore it can read holds the root: not lacking.
	g := newFakeJava(t)
	g.jdk(t, "/usr/lib/jvm/holds", jksBytes(t, jksEntry{"debian:x.pem", root.Cert}), "fake")
	g.jdk(t, "/usr/lib/jvm/broken", []byte("garbage!"), "fake")
	if lacking, err := g.store(rec, t.TempDir()).Prepare(ctx, root); lacking || err != nil {
		t.Errorf("Prepare where every readable keystore holds the root = %v, %v; want not lacking", lacking, err)
	}

	// No state folder: nothing to keep, nothing to fail.
	if _, err := f.store(rec, "").Prepare(ctx, root); err != nil {
		t.Errorf("Prepare with no state folder = %v, want nil", err)
	}

	// A state folder where no copy can be written.
	state := filepath.Join(t.TempDir(), "state")
	if err := os.WriteFile(state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := f.store(rec, state).Prepare(ctx, root)
	if err == nil || !strings.Contains(err.Error(), lacks) || !strings.Contains(err.Error(), "failed to keep a copy") {
		t.Errorf("Prepare with a file for a state folder = %v, want an error naming %s", err, lacks)
	}
	if !bytes.Equal(mustRead(t, lacks), before[lacks]) {
		t.Errorf("a failed Prepare changed %s", lacks)
	}
}

// TestJavaPutBackNeedsKeytoolForPKCS12: without a keytool to list a
// PKCS#12 keystore's aliases, Uninstall can't tell that its entries are
// the copy's, and leaves the keystore as it is.
func TestJavaPutBackNeedsKeytoolForPKCS12(t *testing.T) {
	root := javaRoot(t, "vouch root nokeytool")
	other := javaRoot(t, "other")
	f := newFakeJava(t)
	orig := p12Bytes(t, jksEntry{"other", other.Cert})
	cacerts := f.jdk(t, "/usr/lib/jvm/jre", orig, "")
	rec := &javaRec{}
	j := f.store(rec, t.TempDir())
	ctx := context.Background()
	if _, err := j.Prepare(ctx, root); err != nil {
		t.Fatal(err)
	}
	rebuilt := p12Bytes(t, jksEntry{"other", other.Cert})
	if bytes.Equal(rebuilt, orig) {
		t.Fatal("two PKCS#12 encodings are the same bytes; the test would prove nothing")
	}
	if err := os.WriteFile(cacerts, rebuilt, 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, err := j.Uninstall(ctx, root, false); changed || err != nil {
		t.Errorf("Uninstall = %v, %v; want the keystore left alone", changed, err)
	}
	if !bytes.Equal(mustRead(t, cacerts), rebuilt) {
		t.Errorf("Uninstall changed %s without being able to compare its aliases", cacerts)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("ran %q", rec.argvs())
	}
}

// TestJavaHookTwoRootsInInstallOrder: roots A then B trusted through the
// hook (vouch rotate, or a friend's root after your own), then taken out
// in the same order. Taking out A leaves B, so no copy matches and the
// hook's file stays; A's copy, from before either, is kept, and once B is
// out it gives the keystore back byte for byte.
func TestJavaHookTwoRootsInInstallOrder(t *testing.T) {
	a, b := javaRoot(t, "vouch root old"), javaRoot(t, "vouch root new")
	deb := javaRoot(t, "debian root")
	base := []jksEntry{{"debian:deb.pem", deb.Cert}}
	hooked := func(r Root) jksEntry { return jksEntry{"debian:" + JavaAlias(r.Cert) + ".pem", r.Cert} }
	day := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	orig := jksBytesAt(t, day, base...)
	ctx := context.Background()
	h := newHookedJava(t, orig)

	if _, err := h.j.Prepare(ctx, a); err != nil {
		t.Fatal(err)
	}
	h.hook(t, jksBytesAt(t, day.Add(1*time.Hour), append(slices.Clone(base), hooked(a))...))
	if _, err := h.j.Prepare(ctx, b); err != nil {
		t.Fatal(err)
	}
	h.hook(t, jksBytesAt(t, day.Add(2*time.Hour), append(slices.Clone(base), hooked(a), hooked(b))...))

	// A out: the hook's rebuild still holds B.
	withB := jksBytesAt(t, day.Add(3*time.Hour), append(slices.Clone(base), hooked(b))...)
	h.hook(t, withB)
	if changed, err := h.j.Uninstall(ctx, a, false); changed || err != nil {
		t.Errorf("Uninstall of A = %v, %v; want the hook's file left alone (it holds B)", changed, err)
	}
	if !bytes.Equal(mustRead(t, h.cacerts), withB) {
		t.Errorf("Uninstall of A changed the keystore")
	}
	if _, err := os.Stat(h.j.backupPath(h.cacerts, a.Cert)); err != nil {
		t.Errorf("Uninstall of A dropped A's copy, the only one from before both roots: %v", err)
	}

	// B out: A's copy is the keystore's entries, and goes back.
	h.hook(t, jksBytesAt(t, day.Add(4*time.Hour), base...))
	if changed, err := h.j.Uninstall(ctx, b, false); !changed || err != nil {
		t.Errorf("Uninstall of B = %v, %v; want the bytes from before A put back", changed, err)
	}
	if !bytes.Equal(mustRead(t, h.cacerts), orig) {
		t.Errorf("after both uninstalls, %s differs from before both installs", h.cacerts)
	}
	for _, r := range []Root{a, b} {
		if _, err := os.Stat(h.j.backupPath(h.cacerts, r.Cert)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a copy is left once no vouch root is in the keystore: %v", err)
		}
	}
	if len(h.rec.cmds) != 0 {
		t.Errorf("ran %q; a JKS keystore needs no keytool for this", h.rec.argvs())
	}
}
