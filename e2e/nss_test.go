//go:build linux

package e2e

// The tests in this file drive vouch's nss store (truststore.NSS) against
// NSS databases that real browsers made and then read: the store finds
// each database the way it does on a user's machine (from HOME and the
// environment, never told where), trusts the root in it with the real
// certutil, and a real headless Chromium or Firefox, started afresh for
// every phase, must reject a vouch leaf before install, accept it after,
// and reject it again after uninstall. Every rejection is checked by a
// control: the same browser, told to ignore certificate errors, shows the
// page, so a rejection never stands for a probe that could not load it.
// Everything happens under a temp HOME; the machine's own ~/.pki and
// ~/.mozilla are checked to be untouched.

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

// nssFixture is a vouch CA, a TLS server presenting a leaf it issued, and
// the root as the store takes it.
type nssFixture struct {
	ca   *vouchCA
	tg   target
	root truststore.Root
}

func newNSSFixture(t *testing.T) *nssFixture {
	t.Helper()
	ca, l := newVouchCA(t, "localhost", "127.0.0.1", "::1")
	s := serve(t, l)
	return &nssFixture{
		ca: ca,
		tg: target{host: "localhost", port: s.port, marker: s.marker, leaf: l},
		root: truststore.Root{
			Cert: ca.root,
			PEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.root.Raw}),
			File: ca.rootFile,
		},
	}
}

// envGetter reads a child environment as the store's Getenv.
func envGetter(env []string) func(string) string {
	return func(k string) string {
		v := ""
		for _, kv := range env {
			if key, val, ok := strings.Cut(kv, "="); ok && key == k {
				v = val
			}
		}
		return v
	}
}

// nssStore is the store for a sandboxed user, running the real certutil.
func nssStore(home string, env []string) *truststore.NSS {
	return truststore.NewNSS(&platform.Exec{IsRoot: true}, home, envGetter(env), "linux")
}

// guardRealHome fails the test if it changed the real user's browser
// folders (it must only ever touch its temp HOME).
func guardRealHome(t *testing.T) {
	t.Helper()
	real, err := os.UserHomeDir()
	if err != nil {
		return
	}
	dirs := []string{".pki", ".local/share/pki", ".mozilla", ".config/mozilla", "snap", ".var/app"}
	state := func() map[string]string {
		m := map[string]string{}
		for _, d := range dirs {
			p := filepath.Join(real, d)
			if st, err := os.Stat(p); err == nil {
				m[p] = st.ModTime().String()
			}
		}
		return m
	}
	before := state()
	t.Cleanup(func() {
		if after := state(); !maps.Equal(before, after) {
			t.Errorf("the real home's browser folders changed: before %v, after %v", before, after)
		}
	})
}

// listing is certutil -L's table for spec, one line per certificate.
func nssListing(t *testing.T, spec string) []string {
	t.Helper()
	out, err := exec.Command("certutil", "-L", "-d", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L -d %s: %v\n%s", spec, err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Certificate Nickname") || l == "SSL,S/MIME,JAR/XPI" {
			continue
		}
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	slices.Sort(lines)
	return lines
}

// expectStatus checks the store's verdict and that it lists exactly the
// databases in specs.
func expectStatus(t *testing.T, s *truststore.NSS, r truststore.Root, want truststore.State, specs ...string) {
	t.Helper()
	st := s.Status(r)
	if st.State != want {
		t.Fatalf("nss Status = %s (%s), want %s", st.State, st.Reason, want)
	}
	var got []string
	for _, c := range st.Checked {
		spec, _, _ := strings.Cut(c, " (")
		got = append(got, spec)
	}
	slices.Sort(got)
	specs = slices.Sorted(slices.Values(specs))
	if !slices.Equal(got, specs) {
		t.Fatalf("nss Status checked %q, want the databases %q", st.Checked, specs)
	}
}

// installAndCheck installs the root and checks that each database gained
// exactly vouch's entry, trusted C,,; it returns the listings from before.
func installAndCheck(t *testing.T, s *truststore.NSS, r truststore.Root, specs ...string) {
	t.Helper()
	before := map[string][]string{}
	for _, spec := range specs {
		before[spec] = nssListing(t, spec)
	}
	changed, err := s.Install(context.Background(), r)
	if err != nil || !changed {
		t.Fatalf("nss Install = %v, %v; want a change", changed, err)
	}
	entry := truststore.NSSNickname(r.Cert) + " C,,"
	for _, spec := range specs {
		want := slices.Sorted(slices.Values(append(slices.Clone(before[spec]), entry)))
		if got := nssListing(t, spec); !slices.Equal(got, want) {
			t.Errorf("certutil -L -d %s after install = %q, want %q", spec, got, want)
		}
	}
	expectStatus(t, s, r, truststore.Trusted, specs...)
}

// uninstallAndCheck uninstalls and checks that each database lost exactly
// vouch's entry.
func uninstallAndCheck(t *testing.T, s *truststore.NSS, r truststore.Root, specs ...string) {
	t.Helper()
	before := map[string][]string{}
	for _, spec := range specs {
		before[spec] = nssListing(t, spec)
	}
	changed, err := s.Uninstall(context.Background(), r, false)
	if err != nil || !changed {
		t.Fatalf("nss Uninstall = %v, %v; want a change", changed, err)
	}
	entry := truststore.NSSNickname(r.Cert) + " C,,"
	for _, spec := range specs {
		want := slices.DeleteFunc(slices.Clone(before[spec]), func(l string) bool { return l == entry })
		if got := nssListing(t, spec); !slices.Equal(got, want) {
			t.Errorf("certutil -L -d %s after uninstall = %q, want %q", spec, got, want)
		}
	}
	expectStatus(t, s, r, truststore.NotTrusted, specs...)
}

// chromiumPhase starts a fresh headless Chromium in home and asks it about
// tg: it must accept it if want, else reject it and, told to ignore
// certificate errors, show the page.
func chromiumPhase(t *testing.T, env []string, home, phase string, tg target, want bool) {
	t.Helper()
	profile := filepath.Join(home, "chromium-"+phase)
	cr := launchChromium(t, env, profile, filepath.Join(profile+"-netlog.json"))
	defer cr.quit()
	out, err := cr.load(t.Context(), tg)
	if err != nil {
		t.Fatalf("chromium %s: %v", phase, err)
	}
	if out.accepted != want {
		t.Fatalf("chromium %s: accepted = %v (%s), want %v", phase, out.accepted, out.detail, want)
	}
	if want {
		return
	}
	if !strings.HasPrefix(out.detail, "net::ERR_CERT_AUTHORITY_INVALID") {
		t.Errorf("chromium %s rejected with %s, want net::ERR_CERT_AUTHORITY_INVALID", phase, out.detail)
	}
	if _, err := cr.call(t.Context(), "", "Security.setIgnoreCertificateErrors", map[string]any{"ignore": true}); err != nil {
		t.Fatal(err)
	}
	ctl, err := cr.load(t.Context(), tg)
	if err != nil || !ctl.accepted {
		t.Fatalf("chromium %s control (certificate errors ignored) = %+v, %v; want the page", phase, ctl, err)
	}
}

// TestNSSChromium: Chromium 146 and later make their database in
// $XDG_DATA_HOME/pki/nssdb, but keep reading ~/.pki/nssdb where one exists
// (left by an older Chromium). The store must find and trust whichever
// one Chromium reads.
func TestNSSChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts headless Chromium; skipped with -short")
	}
	t.Parallel()
	requireTools(t, toolChromium, toolCertutil)
	guardRealHome(t)
	fx := newNSSFixture(t)

	t.Run("legacy ~/.pki/nssdb", func(t *testing.T) {
		t.Parallel()
		home := newHome(t)
		env := sandboxEnv(home)
		spec := "sql:" + filepath.Join(home, ".pki", "nssdb")
		// The database an older Chromium made on its first start.
		if err := os.MkdirAll(spec[4:], 0o700); err != nil {
			t.Fatal(err)
		}
		mustRun(t, env, "certutil", "-N", "-d", spec, "--empty-password")
		store := nssStore(home, env)
		expectStatus(t, store, fx.root, truststore.NotTrusted, spec)
		chromiumPhase(t, env, home, "before", fx.tg, false)
		installAndCheck(t, store, fx.root, spec)
		chromiumPhase(t, env, home, "installed", fx.tg, true)
		uninstallAndCheck(t, store, fx.root, spec)
		chromiumPhase(t, env, home, "uninstalled", fx.tg, false)
		// Chromium read ~/.pki/nssdb: it made no XDG database beside it.
		if _, err := os.Stat(filepath.Join(home, ".local", "share", "pki", "nssdb")); err == nil {
			t.Errorf("Chromium made ~/.local/share/pki/nssdb though ~/.pki/nssdb exists")
		}
	})

	t.Run("XDG database made by Chromium", func(t *testing.T) {
		t.Parallel()
		home := newHome(t)
		// XDG_DATA_HOME outside ~/.local/share, to see Chromium follow it.
		data := filepath.Join(home, "xdg-data")
		env := sandboxEnv(home, "XDG_DATA_HOME="+data)
		store := nssStore(home, env)
		if st := store.Status(fx.root); st.State != truststore.NotPresent {
			t.Fatalf("nss Status before Chromium ever ran = %+v, want not present", st)
		}
		// Chromium makes its database when it first checks a certificate.
		chromiumPhase(t, env, home, "before", fx.tg, false)
		spec := "sql:" + filepath.Join(data, "pki", "nssdb")
		if _, err := os.Stat(filepath.Join(spec[4:], "cert9.db")); err != nil {
			t.Fatalf("Chromium made no database at %s: %v", spec, err)
		}
		expectStatus(t, store, fx.root, truststore.NotTrusted, spec)
		installAndCheck(t, store, fx.root, spec)
		chromiumPhase(t, env, home, "installed", fx.tg, true)
		// Installing again runs no command that changes anything.
		if changed, err := store.Install(context.Background(), fx.root); changed || err != nil {
			t.Errorf("second nss Install = %v, %v; want no change", changed, err)
		}
		uninstallAndCheck(t, store, fx.root, spec)
		chromiumPhase(t, env, home, "uninstalled", fx.tg, false)
	})
}

// firefoxPhase starts a fresh headless Firefox on each profile, side by
// side, and asks each about tg, as chromiumPhase does; the control is a
// session that accepts insecure certificates. It returns when every
// Firefox has quit.
func firefoxPhase(t *testing.T, env []string, phase string, tg target, want bool, profiles ...string) {
	t.Helper()
	t.Run(phase, func(t *testing.T) {
		for _, profile := range profiles {
			t.Run(filepath.Base(profile), func(t *testing.T) {
				t.Parallel()
				// Subtest cleanup quits this Firefox before the next phase.
				ff := launchFirefox(t, env, profile)
				out, err := firefoxLoad(t.Context(), ff, tg, false)
				if err != nil {
					t.Fatalf("firefox %s: %v", phase, err)
				}
				if out.accepted != want {
					t.Fatalf("firefox %s on %s: accepted = %v (%s), want %v", phase, profile, out.accepted, out.detail, want)
				}
				if want {
					return
				}
				if !strings.HasPrefix(out.detail, "SEC_ERROR_UNKNOWN_ISSUER") {
					t.Errorf("firefox %s rejected with %s, want SEC_ERROR_UNKNOWN_ISSUER", phase, out.detail)
				}
				ctl, err := firefoxLoad(t.Context(), ff, tg, true)
				if err != nil || !ctl.accepted {
					t.Fatalf("firefox %s control (insecure certificates accepted) = %+v, %v; want the page", phase, ctl, err)
				}
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

// firefoxLoad navigates to tg in a session that accepts insecure
// certificates exactly when insecure is set.
func firefoxLoad(ctx context.Context, ff *firefox, tg target, insecure bool) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := ff.useSession(ctx, insecure); err != nil {
		return outcome{}, err
	}
	_, err := ff.m.call(ctx, "WebDriver:Navigate", map[string]string{"url": tg.url()})
	var merr *marionetteError
	if errors.As(err, &merr) && merr.Code == "insecure certificate" {
		return outcome{detail: ff.certErrorCode(ctx)}, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("firefox could not load %s: %w", tg.url(), err)
	}
	raw, err := ff.m.call(ctx, "WebDriver:GetPageSource", nil)
	if err != nil {
		return outcome{}, err
	}
	var src struct{ Value string }
	if err := json.Unmarshal(raw, &src); err != nil {
		return outcome{}, fmt.Errorf("firefox page source: %w", err)
	}
	return accepted(tg, result{stdout: src.Value})
}

// createFirefoxProfile has Firefox itself make a profile named name, in
// the profiles folder it picks for this HOME, and registers it in that
// folder's profiles.ini. It returns the profile folder (found by name, not
// by vouch's own search).
func createFirefoxProfile(t *testing.T, env []string, root, name string) string {
	t.Helper()
	mustRun(t, env, "firefox-esr", "--headless", "-CreateProfile", name)
	ini, err := os.ReadFile(filepath.Join(root, "profiles.ini"))
	if err != nil || !strings.Contains(string(ini), "Name="+name) {
		t.Fatalf("firefox -CreateProfile %s wrote no %s/profiles.ini naming it: %v\n%s", name, root, err, ini)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "*."+name))
	if len(dirs) != 1 {
		t.Fatalf("firefox -CreateProfile %s made %q in %s, want one folder", name, dirs, root)
	}
	prefs(t, dirs[0])
	return dirs[0]
}

// prefs writes the test preferences (Marionette on a free port, offline,
// every name to 127.0.0.1) into a profile.
func prefs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNSSFirefox: two profiles in one HOME, one made by Firefox in
// ~/.mozilla/firefox and one where Flatpak's Firefox keeps its profiles
// (~/.var/app/org.mozilla.firefox/.mozilla/firefox, with its own
// profiles.ini). Firefox makes each profile's database on its first start;
// one install must trust the root in both, and Firefox on each profile
// must then accept the vouch leaf.
func TestNSSFirefox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts headless Firefox; skipped with -short")
	}
	t.Parallel()
	requireTools(t, toolFirefox, toolCertutil)
	guardRealHome(t)
	fx := newNSSFixture(t)
	home := newHome(t)
	env := sandboxEnv(home, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1")

	// With ~/.mozilla present, Firefox keeps its profiles there rather
	// than in $XDG_CONFIG_HOME/mozilla.
	mozRoot := filepath.Join(home, ".mozilla", "firefox")
	if err := os.MkdirAll(mozRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	main := createFirefoxProfile(t, env, mozRoot, "vouche2e")
	flatRoot := filepath.Join(home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox")
	flat := filepath.Join(flatRoot, "f1a7pak0.default-release")
	prefs(t, flat)
	if err := os.WriteFile(filepath.Join(flatRoot, "profiles.ini"), []byte("[Profile0]\nName=default-release\nIsRelative=1\nPath=f1a7pak0.default-release\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	store := nssStore(home, env)
	if st := store.Status(fx.root); st.State != truststore.NotPresent || !strings.Contains(st.Reason, "no database yet") {
		t.Fatalf("nss Status before Firefox ever ran = %+v, want not present, naming the profiles without a database", st)
	}
	firefoxPhase(t, env, "before", fx.tg, false, main, flat)
	specs := []string{"sql:" + main, "sql:" + flat}
	expectStatus(t, store, fx.root, truststore.NotTrusted, specs...)
	if st := store.Status(fx.root); st.Where != "firefox, firefox (flatpak)" {
		t.Errorf("nss Status where = %q, want firefox, firefox (flatpak)", st.Where)
	}
	installAndCheck(t, store, fx.root, specs...)
	firefoxPhase(t, env, "installed", fx.tg, true, main, flat)
	uninstallAndCheck(t, store, fx.root, specs...)
	firefoxPhase(t, env, "uninstalled", fx.tg, false, main, flat)
}

// TestNSSFirefoxXDG: in a HOME with no ~/.mozilla, Firefox (147 and later)
// makes its profiles in $XDG_CONFIG_HOME/mozilla/firefox; the store must
// find a profile there and Firefox must trust the root after install.
func TestNSSFirefoxXDG(t *testing.T) {
	if testing.Short() {
		t.Skip("starts headless Firefox; skipped with -short")
	}
	t.Parallel()
	requireTools(t, toolFirefox, toolCertutil)
	guardRealHome(t)
	fx := newNSSFixture(t)
	home := newHome(t)
	config := filepath.Join(home, "xdg-config")
	env := sandboxEnv(home, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1", "XDG_CONFIG_HOME="+config)
	root := filepath.Join(config, "mozilla", "firefox")
	p := createFirefoxProfile(t, env, root, "vouchxdg")
	firefoxPhase(t, env, "before", fx.tg, false, p)
	store := nssStore(home, env)
	installAndCheck(t, store, fx.root, "sql:"+p)
	firefoxPhase(t, env, "installed", fx.tg, true, p)
	uninstallAndCheck(t, store, fx.root, "sql:"+p)
	firefoxPhase(t, env, "uninstalled", fx.tg, false, p)
}
