package platform

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recorder is a Runner that records commands and runs a fake instead.
type recorder struct {
	cmds []Cmd
	fake func(c Cmd) error
}

func (r *recorder) Run(_ context.Context, c Cmd) ([]byte, error) {
	r.cmds = append(r.cmds, c)
	if r.fake != nil {
		return nil, r.fake(c)
	}
	return nil, nil
}

func (r *recorder) argvs() []string {
	var out []string
	for _, c := range r.cmds {
		out = append(out, strings.Join(c.Argv, " "))
	}
	return out
}

func testRoot(t *testing.T) (*x509.Certificate, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"vouch local CA"}, CommonName: "test root"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// fakeMachine lays out a distro's folders and tools under a temp root.
func fakeMachine(t *testing.T, l Layout) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p string) { os.MkdirAll(filepath.Join(root, p), 0o755) }
	mk(l.AnchorDir)
	mk(filepath.Dir(l.Bundle))
	mk("/usr/sbin")
	mk("/usr/bin")
	os.WriteFile(filepath.Join(root, "/usr/sbin", l.Tool), []byte("#!/bin/sh\n"), 0o755)
	if l.Requires != "" {
		os.WriteFile(filepath.Join(root, l.Requires), nil, 0o644)
	}
	os.WriteFile(filepath.Join(root, l.Bundle), []byte("# empty bundle\n"), 0o644)
	return root
}

func TestLayoutDetection(t *testing.T) {
	for _, l := range Layouts {
		t.Run(l.Name, func(t *testing.T) {
			s := &LinuxSystem{Root: fakeMachine(t, l)}
			got, err := s.Layout()
			if err != nil || got.Name != l.Name {
				t.Errorf("Layout() = %q, %v; want %q", got.Name, err, l.Name)
			}
		})
	}
	s := &LinuxSystem{Root: t.TempDir()}
	if _, err := s.Layout(); !errors.Is(err, ErrNoLayout) || !strings.Contains(err.Error(), "/etc/pki/ca-trust/source/anchors") {
		t.Errorf("Layout() on an empty machine = %v, want ErrNoLayout naming what was looked for", err)
	}
	// A Debian-style folder without its tool is not a layout.
	bare := t.TempDir()
	os.MkdirAll(filepath.Join(bare, "/usr/local/share/ca-certificates"), 0o755)
	if _, err := (&LinuxSystem{Root: bare}).Layout(); !errors.Is(err, ErrNoLayout) {
		t.Errorf("Layout() with a folder but no tool = %v, want ErrNoLayout", err)
	}
}

// TestPlans pins the exact command sequence for every distro: install on a
// fresh machine, nothing when trusted, uninstall.
func TestPlans(t *testing.T) {
	cert, pemData := testRoot(t)
	for _, l := range Layouts {
		t.Run(l.Name, func(t *testing.T) {
			fsRoot := fakeMachine(t, l)
			rec := &recorder{}
			s := &LinuxSystem{Root: fsRoot, Runner: rec}
			st, err := s.State(cert)
			if err != nil || st.Anchor != "" || st.InBundle {
				t.Fatalf("State on a fresh machine = %+v, %v", st, err)
			}
			anchor := filepath.Join(l.AnchorDir, AnchorName(cert))
			tool := func(argv ...string) string {
				return filepath.Join("/usr/sbin", argv[0]) + strings.Join(append([]string{""}, argv[1:]...), " ")
			}
			wantInstall := map[string][]string{
				"fedora":   {"install -m 0644 /ca/rootCA.pem " + anchor, tool("update-ca-trust", "extract")},
				"opensuse": {"install -m 0644 /ca/rootCA.pem " + anchor, tool("update-ca-certificates")},
				"alpine":   {"install -m 0644 /ca/rootCA.pem " + anchor, tool("update-ca-certificates")},
				"debian":   {"install -m 0644 /ca/rootCA.pem " + anchor, tool("update-ca-certificates")},
				"arch":     {tool("trust", "anchor", "--store", "/ca/rootCA.pem")},
			}[l.Name]
			wantUninstall := map[string][]string{
				"fedora":   {"rm -f -- " + anchor, tool("update-ca-trust", "extract")},
				"opensuse": {"rm -f -- " + anchor, tool("update-ca-certificates", "--fresh")},
				"alpine":   {"rm -f -- " + anchor, tool("update-ca-certificates")},
				"debian":   {"rm -f -- " + anchor, tool("update-ca-certificates", "--fresh")},
				"arch":     {tool("trust", "anchor", "--remove", anchor)},
			}[l.Name]
			plan := s.InstallPlan(cert, "/ca/rootCA.pem", st)
			if got := argvs(plan); strings.Join(got, "\n") != strings.Join(wantInstall, "\n") {
				t.Errorf("install plan = %q, want %q", got, wantInstall)
			}
			for _, c := range plan {
				if !c.Root {
					t.Errorf("%s is not marked as needing root", c)
				}
			}

			// What the distro's tool would do: the bundle gains the root.
			os.WriteFile(filepath.Join(fsRoot, anchor), pemData, 0o644)
			os.WriteFile(filepath.Join(fsRoot, l.Bundle), pemData, 0o644)
			st, _ = s.State(cert)
			if st.Anchor != anchor || !st.InBundle {
				t.Fatalf("State after install = %+v", st)
			}
			if plan := s.InstallPlan(cert, "/ca/rootCA.pem", st); len(plan) != 0 {
				t.Errorf("install plan when trusted = %q, want nothing", argvs(plan))
			}
			plan = s.UninstallPlan(cert, st, false)
			if got := argvs(plan); strings.Join(got, "\n") != strings.Join(wantUninstall, "\n") {
				t.Errorf("uninstall plan = %q, want %q", got, wantUninstall)
			}
		})
	}
}

func argvs(plan []Cmd) []string {
	var out []string
	for _, c := range plan {
		out = append(out, strings.Join(c.Argv, " "))
	}
	return out
}

func TestApplyAsRootWritesItself(t *testing.T) {
	cert, pemData := testRoot(t)
	l := Layouts[3] // debian
	fsRoot := fakeMachine(t, l)
	rec := &recorder{}
	s := &LinuxSystem{Root: fsRoot, Runner: rec, IsRoot: true}
	st, _ := s.State(cert)
	if err := s.Apply(context.Background(), s.InstallPlan(cert, "/ca/rootCA.pem", st), pemData); err != nil {
		t.Fatal(err)
	}
	anchor := filepath.Join(fsRoot, l.AnchorDir, AnchorName(cert))
	if got, err := os.ReadFile(anchor); err != nil || string(got) != string(pemData) {
		t.Errorf("anchor = %q, %v; want the root PEM", got, err)
	}
	if got := rec.argvs(); len(got) != 1 || got[0] != "/usr/sbin/update-ca-certificates" {
		t.Errorf("commands run = %q, want only the refresh", got)
	}
}

func TestApplyNeedRootListsTheRest(t *testing.T) {
	cert, pemData := testRoot(t)
	l := Layouts[0] // fedora
	rec := &recorder{fake: func(c Cmd) error { return &NeedRootError{Reason: "sudo is not installed", Commands: []Cmd{c}} }}
	s := &LinuxSystem{Root: fakeMachine(t, l), Runner: rec}
	st, _ := s.State(cert)
	err := s.Apply(context.Background(), s.InstallPlan(cert, "/ca/rootCA.pem", st), pemData)
	var nr *NeedRootError
	if !errors.As(err, &nr) || len(nr.Commands) != 2 {
		t.Fatalf("Apply without root = %v, want a NeedRootError with both commands", err)
	}
	if got := nr.Commands[1].String(); got != "/usr/sbin/update-ca-trust extract" {
		t.Errorf("second command to paste = %s", got)
	}
	if re := (*RefreshError)(nil); errors.As(err, &re) {
		t.Errorf("Apply without root = %v, a RefreshError; no refresh ran", err)
	}
}

func TestStaleAnchors(t *testing.T) {
	cert, _ := testRoot(t)
	old, oldPEM := testRoot(t)
	l := Layouts[3]
	fsRoot := fakeMachine(t, l)
	stale := filepath.Join(l.AnchorDir, AnchorName(old))
	os.WriteFile(filepath.Join(fsRoot, stale), oldPEM, 0o644)
	os.WriteFile(filepath.Join(fsRoot, l.AnchorDir, "someone-else.crt"), oldPEM, 0o644)
	s := &LinuxSystem{Root: fsRoot}
	st, _ := s.State(cert)
	if len(st.Stale) != 1 || st.Stale[0] != stale {
		t.Fatalf("Stale = %q, want [%s]", st.Stale, stale)
	}
	if plan := s.UninstallPlan(cert, st, false); len(plan) != 0 {
		t.Errorf("uninstall without --all-vouch-roots touches stale anchors: %q", argvs(plan))
	}
	plan := s.UninstallPlan(cert, st, true)
	if len(plan) != 2 || strings.Join(plan[0].Argv, " ") != "rm -f -- "+stale {
		t.Errorf("uninstall --all-vouch-roots = %q, want rm of the stale anchor only", argvs(plan))
	}
}

func TestUninstallRunsJavaHookFresh(t *testing.T) {
	cert, pemData := testRoot(t)
	l := Layouts[3] // debian
	fsRoot := fakeMachine(t, l)
	hook := "/etc/ca-certificates/update.d/jks-keystore"
	os.MkdirAll(filepath.Join(fsRoot, filepath.Dir(hook)), 0o755)
	os.WriteFile(filepath.Join(fsRoot, hook), []byte("#!/bin/sh\n"), 0o755)
	anchor := filepath.Join(l.AnchorDir, AnchorName(cert))
	os.WriteFile(filepath.Join(fsRoot, anchor), pemData, 0o644)
	os.WriteFile(filepath.Join(fsRoot, l.Bundle), pemData, 0o644)
	s := &LinuxSystem{Root: fsRoot}
	st, _ := s.State(cert)
	want := []string{"rm -f -- " + anchor, "/usr/sbin/update-ca-certificates --fresh", hook + " --fresh"}
	if got := argvs(s.UninstallPlan(cert, st, false)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("uninstall plan with Java's hook = %q, want %q", got, want)
	}
}

// A refresh that failed after the anchor was removed left the root in the
// bundle with no anchor: uninstall refreshes again rather than give up.
func TestUninstallStaleBundle(t *testing.T) {
	cert, pemData := testRoot(t)
	l := Layouts[3]
	fsRoot := fakeMachine(t, l)
	os.WriteFile(filepath.Join(fsRoot, l.Bundle), pemData, 0o644)
	s := &LinuxSystem{Root: fsRoot}
	st, _ := s.State(cert)
	if got := argvs(s.UninstallPlan(cert, st, false)); strings.Join(got, "\n") != "/usr/sbin/update-ca-certificates --fresh" {
		t.Errorf("uninstall plan for a stale bundle = %q, want only the refresh", got)
	}
	// Held by someone else's anchor: not vouch's to remove.
	os.WriteFile(filepath.Join(fsRoot, l.AnchorDir, "mkcert_development_CA_1.crt"), pemData, 0o644)
	st, _ = s.State(cert)
	if plan := s.UninstallPlan(cert, st, false); len(plan) != 0 || len(st.Others) != 1 {
		t.Errorf("uninstall plan with another tool's anchor = %q (others %q), want nothing", argvs(plan), st.Others)
	}
}

func TestFailedUninstallPutsAnchorBack(t *testing.T) {
	cert, pemData := testRoot(t)
	l := Layouts[3]
	fsRoot := fakeMachine(t, l)
	anchor := filepath.Join(l.AnchorDir, AnchorName(cert))
	os.WriteFile(filepath.Join(fsRoot, anchor), pemData, 0o644)
	os.WriteFile(filepath.Join(fsRoot, l.Bundle), pemData, 0o644)
	rec := &recorder{fake: func(c Cmd) error { return &ExecError{Argv: c.Argv, Output: "boom", Err: errors.New("exit status 3")} }}
	s := &LinuxSystem{Root: fsRoot, Runner: rec, IsRoot: true}
	st, _ := s.State(cert)
	err := s.Apply(context.Background(), s.UninstallPlan(cert, st, false), pemData)
	if err == nil {
		t.Fatal("Apply with a failing refresh succeeded")
	}
	var re *RefreshError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Apply with a failing refresh = %v (%T), want a RefreshError with the refresh's output", err, err)
	}
	if got, err := os.ReadFile(filepath.Join(fsRoot, anchor)); err != nil || string(got) != string(pemData) {
		t.Errorf("anchor after a failed uninstall = %q, %v; want it put back", got, err)
	}
}

// A root kept on purpose (trusted for someone else with vouch trust) is
// another vouch root's anchor, but never stale: --all-vouch-roots leaves it.
func TestKeptAnchorsAreNotStale(t *testing.T) {
	cert, _ := testRoot(t)
	old, oldPEM := testRoot(t)
	friend, friendPEM := testRoot(t)
	l := Layouts[3]
	fsRoot := fakeMachine(t, l)
	stale := filepath.Join(l.AnchorDir, AnchorName(old))
	kept := filepath.Join(l.AnchorDir, AnchorName(friend))
	os.WriteFile(filepath.Join(fsRoot, stale), oldPEM, 0o644)
	os.WriteFile(filepath.Join(fsRoot, kept), friendPEM, 0o644)
	s := &LinuxSystem{Root: fsRoot}
	st, _ := s.State(cert)
	if len(st.Stale) != 2 {
		t.Fatalf("without keep, Stale = %q, want both other anchors", st.Stale)
	}
	st, _ = s.State(cert, friend)
	if len(st.Stale) != 1 || st.Stale[0] != stale {
		t.Fatalf("State(keep friend).Stale = %q, want [%s]", st.Stale, stale)
	}
	plan := s.UninstallPlan(cert, st, true)
	if len(plan) == 0 || strings.Join(plan[0].Argv, " ") != "rm -f -- "+stale {
		t.Errorf("uninstall --all-vouch-roots keeping friend = %q, want rm of %s only", argvs(plan), stale)
	}
}

// An adopted mkcert CA's root is anchored under vouch's name too: once its
// CA folder is gone it is left behind like any vouch root's, as its NSS and
// Java entries already were. An anchor vouch did not name stays alone.
func TestAdoptedMkcertAnchorIsStale(t *testing.T) {
	cert, _ := testRoot(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{Organization: []string{"mkcert development CA"}, OrganizationalUnit: []string{"alice@box"}, CommonName: "mkcert alice@box"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	mk, _ := x509.ParseCertificate(der)
	mkPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})

	l := Layouts[3] // debian
	fsRoot := fakeMachine(t, l)
	ours := filepath.Join(l.AnchorDir, AnchorName(mk))
	os.WriteFile(filepath.Join(fsRoot, ours), mkPEM, 0o644)
	os.WriteFile(filepath.Join(fsRoot, l.AnchorDir, "mkcert_development_CA_7.crt"), mkPEM, 0o644)
	os.WriteFile(filepath.Join(fsRoot, l.AnchorDir, "vouch-0123456789abcdef.crt"), mkPEM, 0o644)
	s := &LinuxSystem{Root: fsRoot}
	st, _ := s.State(cert)
	if len(st.Stale) != 1 || st.Stale[0] != ours {
		t.Fatalf("Stale = %q, want only the anchor vouch named, %s", st.Stale, ours)
	}
	if st, _ = s.State(cert, mk); len(st.Stale) != 0 {
		t.Errorf("State(keep the mkcert root).Stale = %q, want none", st.Stale)
	}

	// Arch's trust store names anchors after the label, as mkcert's are:
	// there only a root vouch made is known for vouch's.
	for _, a := range Layouts {
		if a.Store == nil {
			continue
		}
		fsRoot := fakeMachine(t, a)
		os.WriteFile(filepath.Join(fsRoot, a.AnchorDir, AnchorName(mk)), mkPEM, 0o644)
		st, _ := (&LinuxSystem{Root: fsRoot}).State(cert)
		if len(st.Stale) != 0 {
			t.Errorf("%s: Stale = %q, want none", a.Name, st.Stale)
		}
	}
}

// TestContainsBody: the body is found where it starts, in the middle and at
// the end, past a decoy that shares its first 63 bytes, and not where only
// part of it is.
func TestContainsBody(t *testing.T) {
	body := []byte(strings.Repeat("A", 63) + "\n" + strings.Repeat("B", 64) + "\nCC\n")
	decoy := []byte(strings.Repeat("A", 63) + "\n" + strings.Repeat("B", 63) + "X\n")
	filler := []byte(strings.Repeat("Z", 5000))
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"at the start", cat(body, filler), true},
		{"in the middle", cat(filler, body, filler), true},
		{"at the end", cat(filler, body), true},
		{"after a decoy", cat(filler, decoy, filler, body), true},
		{"a decoy only", cat(filler, decoy, filler), false},
		{"cut short", cat(filler, body[:len(body)-2]), false},
		{"absent", filler, false},
	} {
		if got := containsBody(c.data, body); got != c.want {
			t.Errorf("%s: containsBody = %v, want %v", c.name, got, c.want)
		}
		if got := bytes.Contains(c.data, body); got != c.want {
			t.Errorf("%s: the case itself is wrong: bytes.Contains = %v", c.name, got)
		}
	}
	if !containsBody([]byte("xxshortxx"), []byte("short")) || containsBody([]byte("xxshorxx"), []byte("short")) {
		t.Errorf("a body of one short line is not looked for as a whole")
	}
}
