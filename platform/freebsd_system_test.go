package platform

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// fakeCertctl does what certctl rehash does to a FreeBSD file tree under
// root, in the three behaviours vouch has to live with:
//
//	"14"   the shell script of 12.2-14.x: reads *.pem/*.crt/*.cer/*.crl in
//	       TRUSTPATH, replaces every link in /etc/ssl/certs with a link per
//	       certificate, writes no bundle;
//	"15.0" the C rewrite: reads every file in TRUSTPATH *and* the copies
//	       already in /etc/ssl/certs, writes 0444 copies and /etc/ssl/cert.pem;
//	"15.1" the same without reading its own copies back.
//
// The hash in the names is a stand-in (vouch never computes it; it looks
// at every <8 hex>.<n> entry).
type fakeCertctl struct {
	root, version string
}

func (f fakeCertctl) rehash() error {
	trustpath := []string{"/usr/share/certs/trusted", "/usr/local/share/certs/trusted", "/usr/local/share/certs"}
	if f.version == "14" {
		trustpath = []string{"/usr/share/certs/trusted", "/usr/local/share/certs", "/usr/local/etc/ssl/certs"}
	}
	type found struct {
		der []byte
		src string
	}
	var certs []found
	seen := map[string]bool{}
	add := func(p string) {
		data, err := os.ReadFile(filepath.Join(f.root, p))
		if err != nil {
			return
		}
		for _, der := range pemCerts(data) {
			if !seen[string(der)] {
				seen[string(der)] = true
				certs = append(certs, found{der, p})
			}
		}
	}
	for _, dir := range trustpath {
		entries, _ := os.ReadDir(filepath.Join(f.root, dir))
		for _, e := range entries {
			ext := filepath.Ext(e.Name())
			if !e.Type().IsRegular() || f.version == "14" && ext != ".pem" && ext != ".crt" && ext != ".cer" && ext != ".crl" {
				continue
			}
			add(filepath.Join(dir, e.Name()))
		}
	}
	hashDir := filepath.Join(f.root, "/etc/ssl/certs")
	if err := os.MkdirAll(hashDir, 0o755); err != nil {
		return err
	}
	entries, _ := os.ReadDir(hashDir)
	for _, e := range entries {
		if f.version == "15.0" && e.Type().IsRegular() {
			add(filepath.Join("/etc/ssl/certs", e.Name()))
		}
	}
	for _, e := range entries {
		if f.version != "14" || e.Type()&fs.ModeSymlink != 0 {
			os.Remove(filepath.Join(hashDir, e.Name()))
		}
	}
	var bundle []byte
	for _, c := range certs {
		cert, err := x509.ParseCertificate(c.der)
		if err != nil {
			return err
		}
		name := ""
		for n := 0; ; n++ {
			name = fmt.Sprintf("%08x.%d", crc32.ChecksumIEEE(cert.RawSubject), n)
			if _, err := os.Lstat(filepath.Join(hashDir, name)); err != nil {
				break
			}
		}
		block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})
		if f.version == "14" {
			if err := os.Symlink("../../.."+c.src, filepath.Join(hashDir, name)); err != nil {
				return err
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(hashDir, name), block, 0o444); err != nil {
			return err
		}
		bundle = append(bundle, block...)
	}
	if f.version == "14" {
		return nil
	}
	os.Remove(filepath.Join(f.root, "/etc/ssl/cert.pem"))
	return os.WriteFile(filepath.Join(f.root, "/etc/ssl/cert.pem"), bundle, 0o444)
}

// fakeFreeBSD lays out a FreeBSD machine with certctl, one base root in
// /usr/share/certs/trusted, and the hashed folder certctl made from it.
// With noLocal, /usr/local/share/certs does not exist yet.
func fakeFreeBSD(t *testing.T, version string, noLocal bool) (string, fakeCertctl) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"/usr/sbin", "/usr/share/certs/trusted", "/etc/ssl"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	if !noLocal {
		os.MkdirAll(filepath.Join(root, "/usr/local/share/certs"), 0o755)
	}
	os.WriteFile(filepath.Join(root, "/usr/sbin/certctl"), []byte("#!/bin/sh\n"), 0o555)
	_, base := testRoot(t)
	os.WriteFile(filepath.Join(root, "/usr/share/certs/trusted/Base_Root_CA.pem"), base, 0o444)
	if version == "14" {
		// A port's link, not certctl's bundle.
		os.Symlink("../../usr/local/share/certs/ca-root-nss.crt", filepath.Join(root, "/etc/ssl/cert.pem"))
	}
	f := fakeCertctl{root, version}
	if err := f.rehash(); err != nil {
		t.Fatal(err)
	}
	return root, f
}

// snapshot records every file and link under the trust folders: path,
// mode, and content or link target.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var out []string
	for _, top := range []string{"/usr/local/share/certs", "/etc/ssl", "/usr/share/certs"} {
		filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			fi, _ := os.Lstat(p)
			rel, _ := filepath.Rel(root, p)
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				target, _ := os.Readlink(p)
				out = append(out, fmt.Sprintf("%s %v -> %s", rel, fi.Mode(), target))
			case fi.Mode().IsRegular():
				data, _ := os.ReadFile(p)
				out = append(out, fmt.Sprintf("%s %v %x", rel, fi.Mode(), sha256Sum(data)))
			default:
				out = append(out, fmt.Sprintf("%s %v", rel, fi.Mode()))
			}
			return nil
		})
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// runsCertctl is a Runner that carries out certctl rehash on the fake
// tree and refuses anything else (as root, vouch writes files itself).
func runsCertctl(f fakeCertctl, ran *[]string) Runner {
	return &recorder{fake: func(c Cmd) error {
		*ran = append(*ran, c.String())
		if c.String() != "/usr/sbin/certctl rehash" {
			return fmt.Errorf("unexpected command %s", c)
		}
		return f.rehash()
	}}
}

func freebsdSystem(t *testing.T, fsRoot string, r Runner, isRoot bool) *LinuxSystem {
	t.Helper()
	sys, err := SystemFor("freebsd", "amd64", fsRoot, r, isRoot)
	if err != nil {
		t.Fatal(err)
	}
	return sys.(*LinuxSystem)
}

// TestFreeBSDPlans pins the exact commands: install on a fresh machine
// (making the local folder when it is missing), nothing when trusted,
// uninstall.
func TestFreeBSDPlans(t *testing.T) {
	cert, pemData := testRoot(t)
	anchor := "/usr/local/share/certs/" + AnchorName(cert)
	for _, tc := range []struct {
		version string
		noLocal bool
		install []string
		// uninstall is filled in from the state: the copy's name is the
		// fake certctl's.
		copies bool
	}{
		{version: "14", install: []string{"install -m 0644 /ca/rootCA.pem " + anchor, "/usr/sbin/certctl rehash"}},
		{version: "14", noLocal: true, install: []string{"mkdir -p /usr/local/share/certs", "install -m 0644 /ca/rootCA.pem " + anchor, "/usr/sbin/certctl rehash"}},
		{version: "15.0", install: []string{"install -m 0644 /ca/rootCA.pem " + anchor, "/usr/sbin/certctl rehash"}, copies: true},
		{version: "15.1", noLocal: true, install: []string{"mkdir -p /usr/local/share/certs", "install -m 0644 /ca/rootCA.pem " + anchor, "/usr/sbin/certctl rehash"}, copies: true},
	} {
		t.Run(fmt.Sprintf("%s/noLocal=%v", tc.version, tc.noLocal), func(t *testing.T) {
			fsRoot, f := fakeFreeBSD(t, tc.version, tc.noLocal)
			s := freebsdSystem(t, fsRoot, &recorder{}, false)
			st, err := s.State(cert)
			if err != nil || st.Layout.Name != "freebsd" || st.Anchor != "" || st.InBundle {
				t.Fatalf("State on a fresh machine = %+v, %v", st, err)
			}
			plan := s.InstallPlan(cert, "/ca/rootCA.pem", st)
			if got := argvs(plan); strings.Join(got, "\n") != strings.Join(tc.install, "\n") {
				t.Errorf("install plan = %q, want %q", got, tc.install)
			}
			for _, c := range plan {
				if !c.Root {
					t.Errorf("%s is not marked as needing root", c)
				}
			}

			// What the plan does, then certctl.
			os.MkdirAll(filepath.Join(fsRoot, "/usr/local/share/certs"), 0o755)
			os.WriteFile(filepath.Join(fsRoot, anchor), pemData, 0o644)
			if err := f.rehash(); err != nil {
				t.Fatal(err)
			}
			st, err = s.State(cert)
			if err != nil || st.Anchor != anchor || !st.InBundle {
				t.Fatalf("State after install = %+v, %v", st, err)
			}
			if plan := s.InstallPlan(cert, "/ca/rootCA.pem", st); len(plan) != 0 {
				t.Errorf("install plan when trusted = %q, want nothing", argvs(plan))
			}
			if tc.copies != (len(st.Copies) == 1) || !tc.copies && len(st.Copies) != 0 {
				t.Fatalf("Copies = %q, want one: %v", st.Copies, tc.copies)
			}
			wantRm := "rm -f -- " + anchor
			if tc.copies {
				if !hashedName(filepath.Base(st.Copies[0])) || filepath.Dir(st.Copies[0]) != "/etc/ssl/certs" {
					t.Fatalf("copy %s is not a hashed entry of /etc/ssl/certs", st.Copies[0])
				}
				wantRm += " " + st.Copies[0]
			}
			want := []string{wantRm, "/usr/sbin/certctl rehash"}
			if got := argvs(s.UninstallPlan(cert, st, false)); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("uninstall plan = %q, want %q", got, want)
			}
		})
	}
}

// TestFreeBSDRoundTrip installs and uninstalls as root against each
// certctl, and checks that uninstall leaves the trust folders as they
// were, byte for byte, mode for mode.
func TestFreeBSDRoundTrip(t *testing.T) {
	for _, version := range []string{"14", "15.0", "15.1"} {
		t.Run(version, func(t *testing.T) {
			cert, pemData := testRoot(t)
			fsRoot, f := fakeFreeBSD(t, version, false)
			before := snapshot(t, fsRoot)
			var ran []string
			s := freebsdSystem(t, fsRoot, runsCertctl(f, &ran), true)
			ctx := context.Background()

			st, _ := s.State(cert)
			if err := s.Apply(ctx, s.InstallPlan(cert, "/ca/rootCA.pem", st), pemData); err != nil {
				t.Fatal(err)
			}
			st, err := s.State(cert)
			if err != nil || st.Anchor == "" || !st.InBundle {
				t.Fatalf("State after install = %+v, %v", st, err)
			}
			bundle, berr := BundleFile(s)
			if version == "14" {
				if berr == nil {
					t.Errorf("BundleFile on certctl 14 = %q, want an error (no bundle of certctl's)", bundle)
				}
			} else if bundle != "/etc/ssl/cert.pem" || berr != nil {
				t.Errorf("BundleFile = %q, %v; want /etc/ssl/cert.pem", bundle, berr)
			} else if data, _ := os.ReadFile(filepath.Join(fsRoot, bundle)); !holdsCert(data, cert) {
				t.Errorf("%s lacks the root after install", bundle)
			}

			if err := s.Apply(ctx, s.UninstallPlan(cert, st, false), pemData); err != nil {
				t.Fatal(err)
			}
			st, _ = s.State(cert)
			if st.Anchor != "" || st.InBundle {
				t.Errorf("State after uninstall = %+v, want neither anchor nor hashed entry", st)
			}
			if after := snapshot(t, fsRoot); after != before {
				t.Errorf("trust folders after uninstall:\n%s\nwant:\n%s", after, before)
			}
			if want := []string{"/usr/sbin/certctl rehash", "/usr/sbin/certctl rehash"}; strings.Join(ran, "\n") != strings.Join(want, "\n") {
				t.Errorf("commands run = %q, want %q", ran, want)
			}
		})
	}
}

// On 15.0 a removed anchor stays trusted through its copy unless the copy
// goes too: this is what the copies in the uninstall plan are for (and it
// proves the fake is sticky, so the round trip above means something).
func TestFreeBSD150Sticky(t *testing.T) {
	cert, pemData := testRoot(t)
	fsRoot, f := fakeFreeBSD(t, "15.0", false)
	anchor := "/usr/local/share/certs/" + AnchorName(cert)
	os.WriteFile(filepath.Join(fsRoot, anchor), pemData, 0o644)
	f.rehash()
	os.Remove(filepath.Join(fsRoot, anchor))
	f.rehash()
	st, _ := freebsdSystem(t, fsRoot, nil, true).State(cert)
	if !st.InBundle {
		t.Fatal("the fake 15.0 certctl forgot a removed anchor; it should keep it")
	}
}

func TestFreeBSDStaleAnchors(t *testing.T) {
	cert, pemData := testRoot(t)
	old, oldPEM := testRoot(t)
	fsRoot, f := fakeFreeBSD(t, "15.0", false)
	var ran []string
	s := freebsdSystem(t, fsRoot, runsCertctl(f, &ran), true)
	before := snapshot(t, fsRoot)
	os.WriteFile(filepath.Join(fsRoot, "/usr/local/share/certs", AnchorName(old)), oldPEM, 0o644)
	os.WriteFile(filepath.Join(fsRoot, "/usr/local/share/certs", AnchorName(cert)), pemData, 0o644)
	f.rehash()
	st, _ := s.State(cert)
	if len(st.Stale) != 1 || len(st.StaleCopies) != 1 || len(st.Copies) != 1 {
		t.Fatalf("State = %+v, want one stale anchor, its copy, and our copy", st)
	}
	if err := s.Apply(context.Background(), s.UninstallPlan(cert, st, true), pemData); err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, fsRoot); after != before {
		t.Errorf("after uninstall --all-vouch-roots:\n%s\nwant:\n%s", after, before)
	}
}

// Another anchor holding the root keeps it trusted; uninstall takes out
// vouch's anchor and copy, and the rehash puts the copy back.
func TestFreeBSDOtherAnchor(t *testing.T) {
	cert, pemData := testRoot(t)
	fsRoot, f := fakeFreeBSD(t, "15.1", false)
	os.WriteFile(filepath.Join(fsRoot, "/usr/local/share/certs/mkcert_development_CA.crt"), pemData, 0o644)
	f.rehash()
	var ran []string
	s := freebsdSystem(t, fsRoot, runsCertctl(f, &ran), true)
	st, _ := s.State(cert)
	if st.Anchor != "" || !st.InBundle || len(st.Others) != 1 {
		t.Fatalf("State = %+v, want trusted through another anchor", st)
	}
	if plan := s.UninstallPlan(cert, st, false); len(plan) != 0 {
		t.Errorf("uninstall plan = %q, want nothing of vouch's to remove", argvs(plan))
	}
}

func TestFreeBSDNotRehashed(t *testing.T) {
	cert, pemData := testRoot(t)
	fsRoot, _ := fakeFreeBSD(t, "15.1", false)
	anchor := "/usr/local/share/certs/" + AnchorName(cert)
	os.WriteFile(filepath.Join(fsRoot, anchor), pemData, 0o644)
	s := freebsdSystem(t, fsRoot, nil, false)
	st, _ := s.State(cert)
	if st.Anchor != anchor || st.InBundle {
		t.Fatalf("State = %+v, want anchored but not in /etc/ssl/certs", st)
	}
	if got := argvs(s.InstallPlan(cert, "/ca/rootCA.pem", st)); strings.Join(got, "\n") != "/usr/sbin/certctl rehash" {
		t.Errorf("install plan = %q, want only the rehash", got)
	}
}

// A failed rehash puts back what uninstall removed, modes included, and a
// failed install takes out the folder it made.
func TestFreeBSDFailedRehashRollsBack(t *testing.T) {
	cert, pemData := testRoot(t)
	fails := &recorder{fake: func(c Cmd) error {
		return &ExecError{Argv: c.Argv, Output: "certctl: boom", Err: errors.New("exit status 1")}
	}}

	fsRoot, f := fakeFreeBSD(t, "15.0", true)
	before := snapshot(t, fsRoot)
	s := freebsdSystem(t, fsRoot, fails, true)
	st, _ := s.State(cert)
	if err := s.Apply(context.Background(), s.InstallPlan(cert, "/ca/rootCA.pem", st), pemData); err == nil || !strings.Contains(err.Error(), "certctl: boom") {
		t.Fatalf("Apply with a failing rehash = %v, want certctl's output", err)
	}
	if after := snapshot(t, fsRoot); after != before {
		t.Errorf("after a failed install:\n%s\nwant:\n%s", after, before)
	}
	if _, err := os.Stat(filepath.Join(fsRoot, "/usr/local/share/certs")); err == nil {
		t.Error("the folder vouch made is still there after a failed install")
	}

	os.MkdirAll(filepath.Join(fsRoot, "/usr/local/share/certs"), 0o755)
	os.WriteFile(filepath.Join(fsRoot, "/usr/local/share/certs", AnchorName(cert)), pemData, 0o644)
	f.rehash()
	installed := snapshot(t, fsRoot)
	st, _ = s.State(cert)
	if err := s.Apply(context.Background(), s.UninstallPlan(cert, st, false), pemData); err == nil {
		t.Fatal("Apply with a failing rehash succeeded")
	}
	if after := snapshot(t, fsRoot); after != installed {
		t.Errorf("after a failed uninstall:\n%s\nwant:\n%s", after, installed)
	}
}

func TestFreeBSDWithoutCertctl(t *testing.T) {
	cert, _ := testRoot(t)
	fsRoot, _ := fakeFreeBSD(t, "15.1", false)
	os.Remove(filepath.Join(fsRoot, "/usr/sbin/certctl"))
	_, err := freebsdSystem(t, fsRoot, nil, false).State(cert)
	if !errors.Is(err, ErrNoLayout) || !strings.Contains(err.Error(), "freebsd (/usr/local/share/certs + certctl)") {
		t.Errorf("State without certctl = %v, want ErrNoLayout naming certctl and its folder", err)
	}
}

func TestSystemFor(t *testing.T) {
	for _, tc := range []struct{ goos, goarch, want string }{
		{"linux", "amd64", ""},
		{"freebsd", "arm64", ""},
		{"openbsd", "amd64", "the system trust store is not supported on openbsd/amd64"},
		{"netbsd", "arm64", "the system trust store is not supported on netbsd/arm64"},
		{"plan9", "386", "the system trust store is not supported on plan9/386"},
	} {
		sys, err := SystemFor(tc.goos, tc.goarch, t.TempDir(), nil, false)
		if tc.want == "" {
			if err != nil || sys == nil {
				t.Errorf("SystemFor(%q) = %v, %v; want a store", tc.goos, sys, err)
			}
			continue
		}
		if sys != nil || err == nil || err.Error() != tc.want || !errors.Is(err, ErrUnsupported) {
			t.Errorf("SystemFor(%q, %q) = %v, %v; want nil, %q", tc.goos, tc.goarch, sys, err, tc.want)
		}
	}
	// FreeBSD's store looks only for certctl, never for a Linux distro.
	fsRoot := fakeMachine(t, Layouts[3])
	if _, err := freebsdSystem(t, fsRoot, nil, false).Layout(); !errors.Is(err, ErrNoLayout) {
		t.Errorf("FreeBSD store on a Debian tree = %v, want ErrNoLayout", err)
	}
}

func TestHashedName(t *testing.T) {
	for name, want := range map[string]bool{
		"5ed36f99.0": true, "5ed36f99.12": true, "5ed36f99.r0": false, "5ED36F99.0": false,
		"5ed36f9.0": false, "5ed36f99.": false, "5ed36f99": false, "cert.pem": false, "5ed36f99.0.pem": false,
	} {
		if got := hashedName(name); got != want {
			t.Errorf("hashedName(%q) = %v, want %v", name, got, want)
		}
	}
}
