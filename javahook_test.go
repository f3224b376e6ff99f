package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

// hookStore is a store for installIn: the system store (or any other by
// name) that says trusted or not, and, as a truststore.Preparer, a store
// another store's change can reach. It logs what is asked of it.
type hookStore struct {
	name       string
	trusted    bool
	prepareErr error
	log        *[]string
}

type preparingStore struct{ *hookStore }

func (s *hookStore) Name() string { return s.name }

func (s *hookStore) Status(truststore.Root) truststore.Status {
	if s.trusted {
		return truststore.Status{Store: s.name, State: truststore.Trusted, Reason: "fake"}
	}
	return truststore.Status{Store: s.name, State: truststore.NotTrusted, Reason: "fake"}
}

func (s *hookStore) Install(context.Context, truststore.Root) (bool, error) {
	*s.log = append(*s.log, "install "+s.name)
	s.trusted = true
	return true, nil
}

func (s *hookStore) Uninstall(context.Context, truststore.Root, bool) (bool, error) {
	return false, nil
}

func (s preparingStore) Prepare(context.Context, truststore.Root) (bool, error) {
	*s.log = append(*s.log, "prepare "+s.name)
	return !s.trusted, s.prepareErr
}

func (s preparingStore) PutBack(context.Context, truststore.Root) (bool, error) {
	*s.log = append(*s.log, "put back "+s.name)
	return false, nil
}

var _ truststore.Preparer = preparingStore{}

// TestInstallPreparesBeforeSystem: the stores the system store's refresh
// can reach prepare just before it changes, and only then: not when it
// already trusts the root (the no-op install), not when it is not
// selected. A failed Prepare installs nothing.
func TestInstallPreparesBeforeSystem(t *testing.T) {
	for _, tt := range []struct {
		name        string
		system      bool // selected
		sysTrusted  bool
		javaTrusted bool
		prepareErr  error
		code        int
		want        []string
	}{
		{"system changes", true, false, false, nil, exitOK, []string{"prepare java", "install system", "install java"}},
		{"system changes, java trusted", true, false, true, nil, exitOK, []string{"prepare java", "install system"}},
		{"no-op install", true, true, true, nil, exitOK, nil},
		{"system already trusted", true, true, false, nil, exitOK, []string{"install java"}},
		{"system not selected", false, false, false, nil, exitOK, []string{"install java"}},
		{"prepare fails", true, false, false, errors.New("disk full"), exitFail, []string{"prepare java"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, _, stderr := testApp(t, true)
			var log []string
			java := preparingStore{&hookStore{name: "java", trusted: tt.javaTrusted, prepareErr: tt.prepareErr, log: &log}}
			stores := []truststore.Store{java}
			if tt.system {
				stores = []truststore.Store{&hookStore{name: "system", trusted: tt.sysTrusted, log: &log}, java}
			}
			code, _ := a.installIn(stores, false, truststore.Root{}, sameCommand)
			if code != tt.code || !slices.Equal(log, tt.want) {
				t.Errorf("installIn = %d, did %q; want %d, %q\nstderr:\n%s", code, log, tt.code, tt.want, stderr)
			}
			if tt.prepareErr != nil && !strings.Contains(stderr.String(), "vouch: error: java: the system store's refresh may change it too, and it could not keep a copy first, so nothing was installed: disk full") {
				t.Errorf("stderr = %q, want the Prepare error and that nothing was installed", stderr)
			}
		})
	}
}

// javaHookDebian is fakeDebian with Debian's Java hook: every run of
// update-ca-certificates, and jks-keystore, rebuilds
// /etc/ssl/certs/java/cacerts from the Debian roots (base) and the local
// anchors, as a whole new file with new dates.
type javaHookDebian struct {
	*fakeDebian
	t      *testing.T
	base   map[string]*x509.Certificate
	builds int
}

const debianCacerts = "/etc/ssl/certs/java/cacerts"

func newJavaHookDebian(t *testing.T) *javaHookDebian {
	t.Helper()
	d := &javaHookDebian{fakeDebian: newFakeDebian(t), t: t, base: map[string]*x509.Certificate{}}
	for _, name := range []string{"a", "b"} {
		d.base["debian:"+name+".pem"] = newTestCA(t, time.Now()).Root
	}
	for p, data := range map[string][]byte{
		"/usr/lib/jvm/jdk/bin/keytool":               []byte("#!/bin/sh\nexit 99\n"),
		"/etc/ca-certificates/update.d/jks-keystore": []byte("#!/bin/sh\n"),
	} {
		full := filepath.Join(d.root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(d.root, "/usr/lib/jvm/jdk/lib/security/cacerts")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(debianCacerts, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(d.root, filepath.Dir(debianCacerts)), 0o755); err != nil {
		t.Fatal(err)
	}
	d.rebuild()
	return d
}

func (d *javaHookDebian) Run(ctx context.Context, c platform.Cmd) ([]byte, error) {
	out, err := d.fakeDebian.Run(ctx, c)
	if err == nil && (filepath.Base(c.Argv[0]) == "update-ca-certificates" || filepath.Base(c.Argv[0]) == "jks-keystore") {
		d.rebuild()
	}
	return out, err
}

func (d *javaHookDebian) rebuild() {
	t := d.t
	t.Helper()
	d.builds++
	made := time.Date(2026, 1, 1, 0, d.builds, 0, 0, time.UTC)
	ks := keystore.New(keystore.WithCaseExactAliases())
	add := func(alias string, c *x509.Certificate) {
		err := ks.SetTrustedCertificateEntry(alias, keystore.TrustedCertificateEntry{
			CreationTime: made, Certificate: keystore.Certificate{Type: "X509", Content: c.Raw},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for alias, c := range d.base {
		add(alias, c)
	}
	anchors, _ := os.ReadDir(filepath.Join(d.root, debianAnchors))
	for _, e := range anchors {
		cs, err := certs.ParseCertificates(mustReadFile(t, filepath.Join(d.root, debianAnchors, e.Name())))
		if err != nil || len(cs) != 1 {
			t.Fatalf("anchor %s: %d certificates, %v", e.Name(), len(cs), err)
		}
		add("debian:"+strings.TrimSuffix(e.Name(), ".crt")+".pem", cs[0])
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte("changeit")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.root, debianCacerts), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestInstallUninstallDebianJavaHook runs install and uninstall on a fake
// Debian whose update-ca-certificates runs the Java hook: the hook, not
// vouch's keytool, adds the root to cacerts, and rebuilds the file without
// it on uninstall. cacerts must end byte-identical, and left alone when
// its entries changed meanwhile; with every store and with --stores system
// alone, where the java store is left out but the hook reaches cacerts all
// the same.
func TestInstallUninstallDebianJavaHook(t *testing.T) {
	for _, tt := range []struct {
		name      string
		stores    []string
		meanwhile bool // a Debian root added between install and uninstall
	}{
		{"nothing else changed", nil, false},
		{"a Debian root added meanwhile", nil, true},
		{"system alone, nothing else changed", []string{"--stores", "system"}, false},
		{"system alone, a Debian root added meanwhile", []string{"--stores", "system"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, a, stderr := hookedApp(t)
			cacerts := filepath.Join(d.root, debianCacerts)
			before := mustReadFile(t, cacerts)
			backups := filepath.Join(a.home, ".local", "state", "vouch", "java")

			if code := a.run(append([]string{"install"}, tt.stores...)); code != exitOK {
				t.Fatalf("install = %d\n%s", code, stderr)
			}
			if tt.stores == nil && !strings.Contains(stderr.String(), "java: trusted now, by the system store's refresh") {
				t.Errorf("install: stderr %q, want the hook to have trusted it before the java store looked, and said so", stderr)
			}
			if tt.stores != nil && strings.Contains(stderr.String(), "java:") {
				t.Errorf("install %q: stderr %q, want nothing said of the java store", tt.stores, stderr)
			}
			if kept, _ := filepath.Glob(filepath.Join(backups, "*.cacerts")); len(kept) != 1 || !bytes.Equal(mustReadFile(t, kept[0]), before) {
				t.Errorf("after install, %s holds %d copies; want one, of cacerts from before install", backups, len(kept))
			}
			if slices.ContainsFunc(d.ran, func(c string) bool { return strings.Contains(c, "keytool") }) {
				t.Errorf("install ran %q, want no keytool", d.ran)
			}

			if tt.meanwhile {
				d.base["debian:c.pem"] = newTestCA(t, time.Now()).Root
				d.rebuild()
			}
			rebuilt := d.builds
			d.ran = nil
			stderr.Reset()
			if code := a.run(append([]string{"uninstall"}, tt.stores...)); code != exitOK {
				t.Fatalf("uninstall = %d\n%s", code, stderr)
			}
			if d.builds == rebuilt {
				t.Fatalf("uninstall ran %q, which did not run the hook; the test proves nothing", d.ran)
			}
			after := mustReadFile(t, cacerts)
			if tt.meanwhile {
				ks := keystoreAliases(t, after)
				if bytes.Equal(after, before) || !slices.Equal(ks, []string{"debian:a.pem", "debian:b.pem", "debian:c.pem"}) {
					t.Errorf("after uninstall, cacerts has aliases %q; want the hook's rebuild with the new root, left alone", ks)
				}
			} else if !bytes.Equal(after, before) {
				t.Errorf("after install and uninstall, cacerts is not byte-identical to before\nuninstall ran %q\nstderr:\n%s", d.ran, stderr)
			}
			if !strings.Contains(stderr.String(), "system: removed") {
				t.Errorf("uninstall: stderr %q, want system: removed", stderr)
			}
			// With every store, the java store says it lost the root:
			// put back byte for byte ("removed"), or, with a Debian root
			// added meanwhile, by the hook's rebuild alone.
			javaSaid := map[bool]string{false: "vouch: java: removed\n", true: "vouch: java: removed, by the system store's refresh\n"}[tt.meanwhile]
			if tt.stores == nil && !strings.Contains(stderr.String(), javaSaid) {
				t.Errorf("uninstall: stderr %q, want %q", stderr, javaSaid)
			}
			putBack := "java: the system store's refresh rewrote it; put back as it was before install"
			if said := strings.Contains(stderr.String(), putBack); said != (tt.stores != nil && !tt.meanwhile) {
				t.Errorf("uninstall %q: stderr %q; saying %q is %v, want %v", tt.stores, stderr, putBack, said, !said)
			}
			if kept, _ := os.ReadDir(backups); len(kept) != 0 {
				t.Errorf("uninstall left %d copies in %s", len(kept), backups)
			}
			if slices.ContainsFunc(d.ran, func(c string) bool { return strings.Contains(c, "keytool") }) {
				t.Errorf("uninstall ran %q, want no keytool (JKS is read in Go)", d.ran)
			}
		})
	}
}

// TestDebianJavaHookAllVouchRoots: three CAs installed one after the
// other, then --all-vouch-roots from the last. The hook's rebuild takes
// every root out; the copies kept for the later ones hold the earlier, so
// only the first's copy, from before any, matches, and cacerts ends
// byte-identical to before the installs, with no copy left behind.
func TestDebianJavaHookAllVouchRoots(t *testing.T) {
	for _, stores := range [][]string{nil, {"--stores", "system"}} {
		t.Run(fmt.Sprintf("stores %q", stores), func(t *testing.T) {
			d, a, stderr := hookedApp(t)
			cacerts := filepath.Join(d.root, debianCacerts)
			before := mustReadFile(t, cacerts)
			backups := filepath.Join(a.home, ".local", "state", "vouch", "java")
			// Three roots: the copies kept for the two older ones serve
			// or go, and none is left behind.
			caA, caB, caC := filepath.Join(a.home, "ca-a"), filepath.Join(a.home, "ca-b"), filepath.Join(a.home, "ca-c")
			for _, dir := range []string{caA, caB, caC} {
				if code := a.run(append([]string{"install", "--caroot", dir}, stores...)); code != exitOK {
					t.Fatalf("install --caroot %s = %d\n%s", dir, code, stderr)
				}
			}
			if kept, _ := filepath.Glob(filepath.Join(backups, "*.cacerts")); len(kept) != 3 {
				t.Fatalf("after three installs, %s holds %d copies, want 3 (one per root)", backups, len(kept))
			}
			stderr.Reset()
			args := append([]string{"uninstall", "--caroot", caC, "--all-vouch-roots"}, stores...)
			if code := a.run(args); code != exitOK {
				t.Fatalf("uninstall %q = %d\n%s", args, code, stderr)
			}
			if got := keystoreAliases(t, mustReadFile(t, cacerts)); !slices.Equal(got, []string{"debian:a.pem", "debian:b.pem"}) {
				t.Fatalf("after uninstall %q, cacerts has aliases %q, want only the Debian roots", args, got)
			}
			if !bytes.Equal(mustReadFile(t, cacerts), before) {
				t.Errorf("after uninstall %q, cacerts has the same entries as before but not the same bytes\nstderr:\n%s", args, stderr)
			}
			if kept, _ := os.ReadDir(backups); len(kept) != 0 {
				t.Errorf("uninstall left %d copies in %s, want none", len(kept), backups)
			}
		})
	}
}

// TestInstallStopsWhenJavaCantPrepare: when no copy of cacerts can be
// kept, install changes no store, and says why. With --stores system the
// java store was not asked for, so that is only a warning, and the system
// store is trusted.
func TestInstallStopsWhenJavaCantPrepare(t *testing.T) {
	for _, tt := range []struct {
		stores []string
		code   int
		msg    string
	}{
		{nil, exitFail, "vouch: error: java: the system store's refresh may change it too, and it could not keep a copy first, so nothing was installed: "},
		{[]string{"--stores", "system"}, exitOK, "vouch: warning: java: the system store's refresh may change it too, and it could not keep a copy first, so uninstall may leave it with the same entries but not the same bytes: "},
	} {
		t.Run(fmt.Sprintf("stores %q", tt.stores), func(t *testing.T) {
			d, a, stderr := hookedApp(t)
			cacerts := filepath.Join(d.root, debianCacerts)
			before := mustReadFile(t, cacerts)
			// A file where the folder of copies would go.
			state := filepath.Join(a.home, ".local", "state", "vouch")
			if err := os.MkdirAll(state, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(state, "java"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if code := a.run(append([]string{"install"}, tt.stores...)); code != tt.code {
				t.Fatalf("install %q = %d, want %d\n%s", tt.stores, code, tt.code, stderr)
			}
			if !strings.Contains(stderr.String(), tt.msg+cacerts) {
				t.Errorf("stderr = %q, want %q naming %s", stderr, tt.msg, cacerts)
			}
			anchors, _ := os.ReadDir(filepath.Join(d.root, debianAnchors))
			if tt.code == exitOK {
				if len(anchors) != 1 || !strings.Contains(stderr.String(), "system: trusted now") {
					t.Errorf("install %q wrote %d anchors, stderr %q; want one, and the system store trusted", tt.stores, len(anchors), stderr)
				}
				return
			}
			if len(d.ran) != 0 {
				t.Errorf("install ran %q, want nothing", d.ran)
			}
			if len(anchors) != 0 {
				t.Errorf("install wrote %d anchors, want none", len(anchors))
			}
			if !bytes.Equal(mustReadFile(t, cacerts), before) {
				t.Errorf("install changed cacerts")
			}
		})
	}
}

// TestInstallStopsOnDamagedDebianCacerts: Debian's Java hook, which the
// system store's refresh runs, fails on a cacerts it can't read and leaves
// its package half-configured. So install runs nothing, picked java or
// not, and says how to make the file anew.
func TestInstallStopsOnDamagedDebianCacerts(t *testing.T) {
	for _, stores := range [][]string{nil, {"--stores", "system"}} {
		t.Run(fmt.Sprintf("stores %q", stores), func(t *testing.T) {
			d, a, stderr := hookedApp(t)
			cacerts := filepath.Join(d.root, debianCacerts)
			damaged := []byte("\xfe\xed\xfe\xed\x00\x00\x00\x02\x00\x00\x00\x01")
			if err := os.WriteFile(cacerts, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			if code := a.run(append([]string{"install"}, stores...)); code != exitFail {
				t.Fatalf("install %q = %d, want %d\n%s", stores, code, exitFail, stderr)
			}
			for _, want := range []string{
				"vouch: error: java: the system store's refresh runs Debian's Java hook, which would fail on " + cacerts + " and leave the package ca-certificates-java half-configured: failed to read " + cacerts + ": a damaged JKS keystore: ",
				"sudo dpkg --configure -a && sudo update-ca-certificates --fresh makes it anew (entries added by hand are lost); nothing was installed\n",
			} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("install %q said\n%s\nwant it to contain %q", stores, stderr, want)
				}
			}
			if anchors, _ := os.ReadDir(filepath.Join(d.root, debianAnchors)); len(d.ran) != 0 || len(anchors) != 0 {
				t.Errorf("install ran %q and wrote %d anchors, want nothing", d.ran, len(anchors))
			}
			if !bytes.Equal(mustReadFile(t, cacerts), damaged) {
				t.Errorf("install changed cacerts")
			}
		})
	}
}

// TestReachedOnlyOnLinux: the stores the system store's change can reach
// are, on Linux, the java store, picked or left out of --stores; elsewhere
// none, picked or not (there the keychain or the Root store changes no
// Java keystore, and on macOS preparing would mean running java_home).
func TestReachedOnlyOnLinux(t *testing.T) {
	var log []string
	system := &hookStore{name: "system", log: &log}
	java := preparingStore{&hookStore{name: "java", log: &log}}
	for _, tt := range []struct {
		goos           string
		stores         []truststore.Store
		picked, others []string
	}{
		{"linux", []truststore.Store{system}, nil, []string{"java"}},
		{"linux", []truststore.Store{system, java}, []string{"java"}, nil},
		{"darwin", []truststore.Store{system}, nil, nil},
		{"darwin", []truststore.Store{system, java}, nil, nil},
		{"windows", []truststore.Store{system, java}, nil, nil},
		{"freebsd", []truststore.Store{system}, nil, nil},
	} {
		t.Run(fmt.Sprintf("%s %d stores", tt.goos, len(tt.stores)), func(t *testing.T) {
			a, _, _ := testApp(t, true)
			a.goos = tt.goos
			picked, others := a.reached(tt.stores)
			if got, want := [][]string{names(picked), names(others)}, [][]string{tt.picked, tt.others}; !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("with goos %s, reached = picked %q, others %q; want %q, %q", tt.goos, got[0], got[1], tt.picked, tt.others)
			}
		})
	}
}

func names(ps []truststore.Preparer) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name())
	}
	return out
}

// hookedApp is an app on a fake Debian with the Java hook (javaHookDebian).
func hookedApp(t *testing.T) (*javaHookDebian, *app, *bytes.Buffer) {
	t.Helper()
	d := newJavaHookDebian(t)
	testOnlyFSRoot, testOnlyRunner = d.root, d
	t.Cleanup(func() { testOnlyFSRoot, testOnlyRunner = "", nil })
	a, _, stderr := testApp(t, true)
	return d, a, stderr
}

// keystoreAliases reads a JKS keystore's aliases, sorted.
func keystoreAliases(t *testing.T, data []byte) []string {
	t.Helper()
	ks := keystore.New(keystore.WithCaseExactAliases(), keystore.WithOrderedAliases())
	if err := ks.Load(bytes.NewReader(data), []byte("changeit")); err != nil {
		t.Fatal(err)
	}
	return ks.Aliases()
}

// TestInstallNeedsRootJavaHook: without root or sudo on Debian, install
// prints the system store's commands and leaves the java store for the
// next install: the refresh among those commands runs the Java hook,
// which adds the root to cacerts, so keytool's command would add it a
// second time under another alias.
func TestInstallNeedsRootJavaHook(t *testing.T) {
	d, a, stderr := hookedApp(t)
	a.isRoot = false
	d.fail = &platform.NeedRootError{Reason: "sudo is not installed"}
	if code := a.run([]string{"install"}); code != exitFail {
		t.Fatalf("install without root = %d, want 1\n%s", code, stderr)
	}
	out := stderr.String()
	if !strings.Contains(out, "vouch: error: system: can't install") || !strings.Contains(out, "vouch: java: left for now: the system store's refresh, in the commands above, may trust it here too; after running them, run the same vouch command again") {
		t.Errorf("stderr %q, want the system store's error and the java store left for the next install", out)
	}
	if strings.Contains(out, "java: can't install") || slices.ContainsFunc(d.ran, func(c string) bool { return strings.Contains(c, "keytool") }) {
		t.Errorf("install ran %q and said %q; want no keytool command run or printed", d.ran, out)
	}
}

// TestRotateNeedsRootJavaHook: rotate without root or sudo leaves the java
// store for later as install does, but what to run again is vouch
// install: running rotate again would make yet another CA.
func TestRotateNeedsRootJavaHook(t *testing.T) {
	d, a, stderr := hookedApp(t)
	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("install = %d\n%s", code, stderr)
	}
	stderr.Reset()
	a.isRoot = false
	d.fail = &platform.NeedRootError{Reason: "sudo is not installed"}
	if code := a.run([]string{"rotate"}); code != exitFail {
		t.Fatalf("rotate without root = %d, want 1\n%s", code, stderr)
	}
	wantSaid(t, stderr, "rotate without root",
		"vouch: trusting the new root where the old one is trusted: system, java\n",
		"vouch: java: left for now: the system store's refresh, in the commands above, may trust it here too; after running them, run vouch install again for what is left\n",
		"vouch: hint: vouch install\n")
	if strings.Contains(stderr.String(), "the same vouch command") {
		t.Errorf("rotate without root tells the user to run rotate again:\n%s", stderr)
	}
}
