package truststore

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/platform"
)

type named string

func (n named) Name() string                                        { return string(n) }
func (n named) Status(Root) Status                                  { return Status{Store: string(n)} }
func (n named) Install(context.Context, Root) (bool, error)         { return false, nil }
func (n named) Uninstall(context.Context, Root, bool) (bool, error) { return false, nil }

func TestSelect(t *testing.T) {
	avail := []Store{named("system"), named("nss")}
	tests := []struct {
		list    string
		want    string
		wantErr string
	}{
		{"", "system,nss", ""},
		{"nss,system", "system,nss", ""},
		{" system , system ", "system", ""},
		{"java", "", "not supported"},
		{"macos,system", "", `unknown store "macos": did you mean system?`},
		{"System,NSS", "system,nss", ""},
		{"firefox", "", `unknown store "firefox": did you mean nss? (known: system, nss, java, windows)`},
		{"banana", "", `unknown store "banana" (known: system, nss, java, windows)`},
		{"Edge", "", `unknown store "edge": did you mean nss?`},
		{",", "", "no stores"},
	}
	if _, err := Select("chrome", "darwin", avail); err == nil || !strings.Contains(err.Error(), "did you mean system?") {
		t.Errorf("Select(chrome) on macOS = %v, want the system store suggested", err)
	}
	for _, tt := range tests {
		got, err := Select(tt.list, "linux", avail)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Select(%q) error = %v, want %q", tt.list, err, tt.wantErr)
			}
			continue
		}
		var names []string
		for _, s := range got {
			names = append(names, s.Name())
		}
		if err != nil || strings.Join(names, ",") != tt.want {
			t.Errorf("Select(%q) = %v, %v; want %s", tt.list, names, err, tt.want)
		}
	}
}

// distro fakes a Debian machine under a temp root; its refresh tool
// rebuilds the bundle from the anchors, as update-ca-certificates does.
type distro struct {
	root string
	ran  []string
}

func (d *distro) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	d.ran = append(d.ran, strings.Join(c.Argv, " "))
	if filepath.Base(c.Argv[0]) == "update-ca-certificates" {
		var bundle []byte
		entries, _ := os.ReadDir(filepath.Join(d.root, "/usr/local/share/ca-certificates"))
		for _, e := range entries {
			data, _ := os.ReadFile(filepath.Join(d.root, "/usr/local/share/ca-certificates", e.Name()))
			bundle = append(bundle, data...)
		}
		os.WriteFile(filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt"), bundle, 0o644)
	}
	return nil, nil
}

func newDistro(t *testing.T) *distro {
	d := &distro{root: t.TempDir()}
	for _, p := range []string{"/usr/local/share/ca-certificates", "/etc/ssl/certs", "/usr/sbin"} {
		os.MkdirAll(filepath.Join(d.root, p), 0o755)
	}
	os.WriteFile(filepath.Join(d.root, "/usr/sbin/update-ca-certificates"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt"), nil, 0o644)
	return d
}

func testRoot(t *testing.T) Root {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "r"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	c, _ := x509.ParseCertificate(der)
	return Root{Cert: c, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), File: "/ca/rootCA.pem"}
}

func TestSystemInstallUninstall(t *testing.T) {
	d := newDistro(t)
	before, _ := os.ReadFile(filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt"))
	s := &System{Sys: &platform.LinuxSystem{Root: d.root, Runner: d, IsRoot: true}}
	r := testRoot(t)
	ctx := context.Background()

	if st := s.Status(r); st.State != NotTrusted || st.Where != "debian" {
		t.Fatalf("Status before install = %+v, want not trusted on debian", st)
	}
	if changed, err := s.Install(ctx, r); err != nil || !changed {
		t.Fatalf("Install = %v, %v; want a change", changed, err)
	}
	if st := s.Status(r); st.State != Trusted || !strings.Contains(st.Reason, "anchored in") {
		t.Fatalf("Status after install = %+v", st)
	}

	// Already trusted: no command at all (no sudo prompt, no refresh).
	d.ran = nil
	if changed, err := s.Install(ctx, r); err != nil || changed || len(d.ran) != 0 {
		t.Errorf("second Install = %v, %v, ran %q; want no change and no command", changed, err, d.ran)
	}
	s.Status(r)
	if len(d.ran) != 0 {
		t.Errorf("Status ran %q, want nothing", d.ran)
	}

	if changed, err := s.Uninstall(ctx, r, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	if st := s.Status(r); st.State != NotTrusted {
		t.Errorf("Status after uninstall = %+v", st)
	}
	after, _ := os.ReadFile(filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt"))
	if !bytes.Equal(before, after) {
		t.Errorf("bundle after install+uninstall differs from before")
	}
	d.ran = nil
	if changed, err := s.Uninstall(ctx, r, false); err != nil || changed || len(d.ran) != 0 {
		t.Errorf("second Uninstall = %v, %v, ran %q; want nothing", changed, err, d.ran)
	}
}

// TestSystemStaleBundle: vouch's anchor deleted by hand with no refresh
// after it. The bundle still trusts the root, until it is next rebuilt;
// status says so, install puts the anchor back so that the trust lasts,
// and uninstall's refresh drops it.
func TestSystemStaleBundle(t *testing.T) {
	d := newDistro(t)
	s := &System{Sys: &platform.LinuxSystem{Root: d.root, Runner: d, IsRoot: true}}
	r := testRoot(t)
	ctx := context.Background()
	anchor := filepath.Join(d.root, "/usr/local/share/ca-certificates", platform.AnchorName(r.Cert))
	if _, err := s.Install(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(anchor); err != nil {
		t.Fatal(err)
	}
	want := "present in /etc/ssl/certs/ca-certificates.crt only until it is next rebuilt: no anchor file holds it any more (one was removed without update-ca-certificates after it); vouch install puts the anchor back, vouch uninstall refreshes the bundle"
	if st := s.Status(r); st.State != Trusted || !st.Fragile || st.Reason != want {
		t.Errorf("Status with the anchor gone = %+v,\nwant trusted, fragile, %q", st, want)
	}
	d.ran = nil
	if changed, err := s.Install(ctx, r); err != nil || !changed || !slices.Equal(d.ran, []string{"/usr/sbin/update-ca-certificates"}) {
		t.Errorf("Install = %v, %v, ran %q; want the anchor put back and a refresh", changed, err, d.ran)
	}
	if _, err := os.Stat(anchor); err != nil {
		t.Errorf("Install did not put the anchor back: %v", err)
	}
	if st := s.Status(r); st.State != Trusted || st.Fragile || !strings.HasPrefix(st.Reason, "anchored in ") {
		t.Errorf("Status after install = %+v, want anchored", st)
	}
	if err := os.Remove(anchor); err != nil {
		t.Fatal(err)
	}
	d.ran = nil
	if changed, err := s.Uninstall(ctx, r, false); err != nil || !changed || !slices.Equal(d.ran, []string{"/usr/sbin/update-ca-certificates --fresh"}) {
		t.Errorf("Uninstall = %v, %v, ran %q; want only the refresh that drops removed anchors", changed, err, d.ran)
	}
	if st := s.Status(r); st.State != NotTrusted {
		t.Errorf("Status after uninstall = %+v, want not trusted", st)
	}
}

func TestSystemRefreshFails(t *testing.T) {
	d := newDistro(t)
	fail := runnerFunc(func(c platform.Cmd) error {
		return &platform.ExecError{Argv: c.Argv, Output: "E: broken", Err: os.ErrPermission}
	})
	s := &System{Sys: &platform.LinuxSystem{Root: d.root, Runner: fail, IsRoot: true}}
	_, err := s.Install(context.Background(), testRoot(t))
	if err == nil || !strings.Contains(err.Error(), "E: broken") || !strings.Contains(err.Error(), "update-ca-certificates") {
		t.Errorf("Install with a failing refresh = %v, want the command and its output", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(d.root, "/usr/local/share/ca-certificates")); len(entries) != 0 {
		t.Errorf("a failed install left %d files in the anchor folder, want none", len(entries))
	}
}

type runnerFunc func(platform.Cmd) error

func (f runnerFunc) Run(_ context.Context, c platform.Cmd) ([]byte, error) { return nil, f(c) }

func TestSystemNotPresent(t *testing.T) {
	s := &System{Sys: &platform.LinuxSystem{Root: t.TempDir()}}
	if st := s.Status(testRoot(t)); st.State != NotPresent || !strings.Contains(st.Reason, "looked for") {
		t.Errorf("Status on a machine with no layout = %+v", st)
	}
}
