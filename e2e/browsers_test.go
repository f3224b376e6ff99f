//go:build linux

package e2e

// The test in this file, TestBrowsersJavaNode, runs the vouch binary's install, status and
// uninstall with its default stores (system, nss, java) on a machine set
// up the way a user's is: browser databases that the browsers made
// themselves (a Chromium profile in its default user-data-dir, Firefox
// profiles in ~/.mozilla/firefox and where the snap and Flatpak packages
// keep theirs), Java found from PATH with no JAVA_HOME, and Node told
// about the root only by `eval "$(vouch env)"`. Every client must reject a
// vouch leaf before install, accept it after, and reject it again after
// uninstall; every browser rejection is backed by a control that shows the
// page with certificate errors ignored. A no-op install and status must
// start no JVM (strace lists every program they run), and their times are
// logged beside mkcert -install's, for information only.
//
// Everything runs inside nstest.Run: the trust stores are tmpfs copies in
// a private mount namespace and HOME is a fresh tmpfs folder, so neither
// the machine's stores nor the real ~/.pki and ~/.mozilla are touched.

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nstest"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

// mkcertWant is the mkcert release the timings are compared with (the one
// scripts/bench.sh installs).
const mkcertWant = "v1.4.4"

func TestBrowsersJavaNode(t *testing.T) {
	debianStoreTest(t, "starts Chromium, Firefox, Java and Node around a real install")
	requireTools(t, toolChromium, toolFirefox, toolCertutil, toolJava, toolJavac, toolKeytool, toolNode, toolStrace)
	guardRealHome(t)
	// Found here, before nstest replaces HOME: the cached mkcert lives in
	// the real user's cache.
	mkcert := brFindMkcert()

	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		b := newBrHost(t, env)

		// A CA in the default folder and a leaf for the loopback names,
		// served on 127.0.0.1 and ::1. Making them changes no store.
		l := b.issue(t, "localhost", "127.0.0.1", "::1")
		root := readOneCert(t, filepath.Join(b.caDir, "rootCA.pem"))
		nick := truststore.NSSNickname(root)
		v4, v6 := serveAt(t, l, "127.0.0.1"), serveAt(t, l, "::1")
		targets := []target{
			{host: "localhost", port: v4.port, marker: v4.marker, leaf: l},
			{host: "127.0.0.1", port: v4.port, marker: v4.marker, leaf: l},
			{host: "::1", port: v6.port, marker: v6.marker, leaf: l},
		}

		// 1. The browsers' own databases.
		b.makeChromiumProfile(t, targets[0])
		b.makeFirefoxProfiles(t)
		st := b.status(t, 1)
		t.Logf("status before any Firefox start: nss %s: %s", st.store("nss").State, st.store("nss").Reason)

		// 2. Before install: every client rejects. Firefox makes each
		// profile's database on this, its first start.
		b.clientPhase(t, "before install", targets, false)
		specs := b.nssSpecs()
		st = b.status(t, 1)
		b.expectNSSChecked(t, st, "not trusted")
		for _, s := range []string{"system", "nss", "java"} {
			if got := st.store(s).State; got != "not trusted" {
				t.Errorf("status --json before install: %s is %q, want \"not trusted\"", s, got)
			}
		}
		listBefore := map[string][]string{}
		for _, spec := range specs {
			listBefore[spec] = nssListing(t, spec)
			t.Logf("certutil -L -d %s before install: %d entries %q", spec, len(listBefore[spec]), listBefore[spec])
		}
		filesBefore := b.dbFiles(t)
		javaBefore := debJavaEntries(t, &sysHost{home: b.home})
		cacertsBefore := brFileSum(t, debJavaCacerts)
		t.Logf("%s before install: %d entries, sha256 %s", debJavaCacerts, len(javaBefore), cacertsBefore)

		// 3. Install with the default stores.
		res := b.vouch(t, "install")
		if res.exitCode != 0 {
			t.Fatalf("vouch install = exit %d, want 0\n%v", res.exitCode, res)
		}
		for _, want := range []string{"system: trusted now", "nss: trusted now"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("vouch install: stderr lacks %q", want)
			}
		}
		if !strings.Contains(res.stderr, "java: trusted now") && !strings.Contains(res.stderr, "java: already trusted") {
			t.Errorf("vouch install: stderr says nothing of java trusted")
		}
		if r := b.vouch(t, "status"); r.exitCode != 0 {
			t.Errorf("vouch status after install = exit %d, want 0", r.exitCode)
		}
		st = b.status(t, 0)
		for _, s := range []string{"system", "nss", "java"} {
			if got := st.store(s); got.State != "trusted" {
				t.Errorf("status --json after install: %s is %q (%s), want trusted", s, got.State, got.Reason)
			}
		}
		if !st.Trusted {
			t.Errorf("status --json after install: trusted = false, want true")
		}
		b.expectNSSChecked(t, st, "trusted")
		t.Logf("status --json after install: java checked %q", st.store("java").Checked)
		for _, spec := range specs {
			want := slices.Sorted(slices.Values(append(slices.Clone(listBefore[spec]), nick+" C,,")))
			if got := nssListing(t, spec); !slices.Equal(got, want) {
				t.Errorf("certutil -L -d %s after install = %q, want %q", spec, got, want)
			}
		}
		filesInstalled, kept := b.dbFiles(t), b.nssBackups(t)
		b.vouchEnv(t, "after install", true)
		b.clientPhase(t, "after install", targets, true)
		b.reportBrowserWrites(t, filesInstalled)
		// Install kept a copy of each database it changed.
		if len(kept) != len(specs) {
			t.Errorf("after install, vouch's NSS backups were %q, want one per database (%d)", kept, len(specs))
		}

		// 5 (while installed). Installing again and status run no other
		// program and change nothing; then their times.
		b.expectNoPrograms(t, env, "install")
		b.expectNoPrograms(t, env, "status")
		vouchInstall := b.timeRuns(t, b.env, vouchBin, "install")
		vouchStatus := b.timeRuns(t, b.env, vouchBin, "status")

		// 4. Uninstall: the databases and cacerts hold what they held.
		res = b.vouch(t, "uninstall")
		if res.exitCode != 0 {
			t.Fatalf("vouch uninstall = exit %d, want 0\n%v", res.exitCode, res)
		}
		if r := b.vouch(t, "status"); r.exitCode != 1 {
			t.Errorf("vouch status after uninstall = exit %d, want 1", r.exitCode)
		}
		st = b.status(t, 1)
		b.expectNSSChecked(t, st, "not trusted")
		for _, s := range []string{"system", "nss", "java"} {
			if got := st.store(s).State; got != "not trusted" {
				t.Errorf("status --json after uninstall: %s is %q, want \"not trusted\"", s, got)
			}
		}
		for _, spec := range specs {
			if got := nssListing(t, spec); !slices.Equal(got, listBefore[spec]) {
				t.Errorf("certutil -L -d %s after uninstall = %q, want as before install %q", spec, got, listBefore[spec])
			} else {
				t.Logf("certutil -L -d %s after uninstall: the same %d entries as before install", spec, len(got))
			}
		}
		if d := diffEntries(javaBefore, debJavaEntries(t, &sysHost{home: b.home})); d != "" {
			t.Errorf("%s after uninstall holds other entries than before install:\n%s", debJavaCacerts, d)
		} else {
			t.Logf("%s after uninstall: the same %d entries (alias and SHA-256) as before install", debJavaCacerts, len(javaBefore))
		}
		b.checkBytes(t, filesBefore, cacertsBefore)
		if kept := b.nssBackups(t); len(kept) != 0 {
			t.Errorf("after uninstall, vouch's NSS backups are %q, want none", kept)
		}
		b.vouchEnv(t, "after uninstall", false)
		b.clientPhase(t, "after uninstall", targets, false)

		// 4b. vouch's own java store, alone. On Debian the system store's
		// hook (jks-keystore) puts the root in cacerts before the java
		// store looks, so the default install above never ran vouch's
		// keytool step: here it must, with no JAVA_HOME, and uninstall must
		// put cacerts back as it was (the README promises its bytes).
		b.javaStoreAlone(t, root, targets)

		// 5, the comparison: mkcert -install, already installed, with
		// JAVA_HOME set (mkcert finds Java only through it).
		b.compareMkcert(t, mkcert, vouchInstall, vouchStatus)
	})
}

// brHost is the user's side of the body: HOME, the environment every
// program gets (no JAVA_HOME: Java is found from PATH), and the browser
// profiles made in it.
type brHost struct {
	home   string
	caDir  string
	env    []string
	browse []string // env plus what keeps Firefox headless and quiet

	// Chromium's user-data-dir (its default, which headless mode would
	// not use unless named) and the database Chromium itself made.
	chromiumDir string
	chromiumDB  string
	firefoxes   []brFirefox

	classes, hosts, probeJS string
}

// brFirefox is one Firefox profile and the environment its package gives
// Firefox (a snap's and a Flatpak's HOME and XDG folders differ).
type brFirefox struct {
	label string
	dir   string
	env   []string
}

func newBrHost(t *testing.T, env *nstest.Env) *brHost {
	t.Helper()
	home := env.Home
	base := brDropEnv(sandboxEnv(home), "JAVA_HOME", "JRE_HOME", "JDK_HOME")
	b := &brHost{
		home:    home,
		caDir:   filepath.Join(home, ".local", "share", "vouch"),
		env:     base,
		browse:  append(slices.Clone(base), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1"),
		probeJS: testdata(t, "probe.js"),
		classes: filepath.Join(home, "java-classes"),
		hosts:   filepath.Join(home, "java-hosts"),
	}
	// Java resolves localhost through this file: the machine's /etc/hosts
	// may map it to ::1 only.
	if err := os.WriteFile(b.hosts, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, b.env, "javac", "-d", b.classes, testdata(t, "Probe.java"))
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(java)
	sec, _ := filepath.EvalSymlinks(filepath.Join(filepath.Dir(filepath.Dir(real)), "lib", "security", "cacerts"))
	t.Logf("java on PATH: %s -> %s, whose default trust store is %s; JAVA_HOME unset for every client and vouch", java, real, sec)
	return b
}

// brDropEnv removes the named variables from env.
func brDropEnv(env []string, keys ...string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(keys, k)
	})
}

// vouch runs the vouch binary as the user and logs what it did.
func (b *brHost) vouch(t *testing.T, args ...string) result {
	t.Helper()
	start := time.Now()
	res, err := runCmd(context.Background(), b.env, "", 3*time.Minute, vouchBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	out := res.String()
	if len(args) > 0 && args[len(args)-1] == "--json" {
		out = fmt.Sprintf("exit %d, %d bytes of JSON; stderr:\n%s", res.exitCode, len(res.stdout), res.stderr)
	}
	t.Logf("$ vouch %s  (%v)\n%s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), out)
	return res
}

func (b *brHost) issue(t *testing.T, hosts ...string) *leaf {
	t.Helper()
	return issueWith(t, b.vouch, hosts...)
}

// makeChromiumProfile starts Chromium once on its default user-data-dir
// ($XDG_CONFIG_HOME/chromium; headless mode otherwise takes a throwaway
// one) and has it check a certificate, which is when it makes its NSS
// database: since Chromium 146, in $XDG_DATA_HOME/pki/nssdb.
func (b *brHost) makeChromiumProfile(t *testing.T, tg target) {
	t.Helper()
	b.chromiumDir = filepath.Join(b.home, ".config", "chromium")
	cr := launchChromium(t, b.browse, b.chromiumDir, filepath.Join(b.home, "chromium-first-netlog.json"))
	out, err := cr.load(t.Context(), tg)
	cr.quit()
	if err != nil {
		t.Fatalf("chromium's first start: %v", err)
	}
	t.Logf("chromium's first start (user-data-dir %s): %s %s", b.chromiumDir, verdictWord(out.accepted), out.detail)
	for _, p := range []string{filepath.Join(b.chromiumDir, "Default"), filepath.Join(b.chromiumDir, "Local State")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("chromium made no profile in its user-data-dir: %v", err)
		}
	}
	b.chromiumDB = filepath.Join(b.home, ".local", "share", "pki", "nssdb")
	if _, err := os.Stat(filepath.Join(b.chromiumDB, "cert9.db")); err != nil {
		t.Fatalf("chromium made no NSS database in %s: %v", b.chromiumDB, err)
	}
	if _, err := os.Stat(filepath.Join(b.home, ".pki")); err == nil {
		t.Errorf("chromium made ~/.pki as well as %s", b.chromiumDB)
	}
	t.Logf("chromium made its NSS database at %s", b.chromiumDB)
}

// makeFirefoxProfiles has Firefox make three profiles with -CreateProfile,
// each registered in its own profiles.ini: the usual one in
// ~/.mozilla/firefox, a snap's (whose Firefox runs with HOME at
// ~/snap/firefox/common) and a Flatpak's (whose ~/.mozilla is kept in
// ~/.var/app/org.mozilla.firefox/.mozilla, and whose XDG folders lie
// there too). Firefox makes a profile's database on its first start.
func (b *brHost) makeFirefoxProfiles(t *testing.T) {
	t.Helper()
	quiet := []string{"MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1"}
	snapHome := filepath.Join(b.home, "snap", "firefox", "common")
	flatHome := filepath.Join(b.home, ".var", "app", "org.mozilla.firefox")
	for _, p := range []struct {
		label, name, home string
		env               []string
	}{
		{"firefox", "vouchmain", b.home, b.browse},
		{"firefox (snap)", "vouchsnap", snapHome, brDropEnv(append(sandboxEnv(snapHome), quiet...), "JAVA_HOME")},
		{"firefox (flatpak)", "vouchflat", flatHome, brDropEnv(append(sandboxEnv(flatHome,
			"XDG_CONFIG_HOME="+filepath.Join(flatHome, "config"),
			"XDG_DATA_HOME="+filepath.Join(flatHome, "data"),
			"XDG_CACHE_HOME="+filepath.Join(flatHome, "cache")), quiet...), "JAVA_HOME")},
	} {
		// With ~/.mozilla there, Firefox keeps its profiles in it rather
		// than in $XDG_CONFIG_HOME/mozilla.
		root := filepath.Join(p.home, ".mozilla", "firefox")
		if err := os.MkdirAll(root, 0o700); err != nil {
			t.Fatal(err)
		}
		dir := createFirefoxProfile(t, p.env, root, p.name)
		// The shared test prefs send every name to 127.0.0.1, IP literals
		// too, which would take [::1] to the IPv4 server; these targets
		// need no forced resolution.
		f, err := os.OpenFile(filepath.Join(dir, "user.js"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString("user_pref(\"network.dns.forceResolve\", \"\");\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: firefox -CreateProfile %s made %s", p.label, p.name, dir)
		b.firefoxes = append(b.firefoxes, brFirefox{label: p.label, dir: dir, env: p.env})
	}
}

// nssSpecs are the databases the browsers made, as certutil names them.
func (b *brHost) nssSpecs() []string {
	specs := []string{"sql:" + b.chromiumDB}
	for _, f := range b.firefoxes {
		specs = append(specs, "sql:"+f.dir)
	}
	return specs
}

// brStatus is `vouch status --json`, with each store's checked list.
type brStatus struct {
	Stores  []brStore `json:"stores"`
	Trusted bool      `json:"trusted"`
}

type brStore struct {
	Store   string   `json:"store"`
	State   string   `json:"state"`
	Reason  string   `json:"reason"`
	Where   string   `json:"where"`
	Checked []string `json:"checked"`
}

func (st brStatus) store(name string) brStore {
	for _, s := range st.Stores {
		if s.Store == name {
			return s
		}
	}
	return brStore{Store: name, State: "(not listed)"}
}

// status runs status --json, which must exit with code.
func (b *brHost) status(t *testing.T, code int) brStatus {
	t.Helper()
	res := b.vouch(t, "status", "--json")
	if res.exitCode != code {
		t.Errorf("vouch status --json = exit %d, want %d", res.exitCode, code)
	}
	var st brStatus
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		t.Fatalf("status --json printed %q: %v", res.stdout, err)
	}
	return st
}

// expectNSSChecked checks that the nss store named exactly the browsers'
// databases in checked, each with the verdict want.
func (b *brHost) expectNSSChecked(t *testing.T, st brStatus, want string) {
	t.Helper()
	nss := st.store("nss")
	var got []string
	for _, c := range nss.Checked {
		spec, _, _ := strings.Cut(c, " (")
		got = append(got, spec)
		if _, verdict, _ := strings.Cut(c, "): "); !strings.HasPrefix(verdict, want) {
			t.Errorf("status --json nss checked %q: verdict is not %q", c, want)
		}
	}
	slices.Sort(got)
	specs := slices.Sorted(slices.Values(b.nssSpecs()))
	if !slices.Equal(got, specs) {
		t.Errorf("status --json nss checked %q, want exactly the databases %q", nss.Checked, specs)
	}
	t.Logf("status --json nss (%s), where %q:\n  %s", nss.State, nss.Where, strings.Join(nss.Checked, "\n  "))
}

// vouchEnv checks what `vouch env` prints: the exports while the root is
// installed, nothing otherwise.
func (b *brHost) vouchEnv(t *testing.T, phase string, installed bool) {
	t.Helper()
	res, err := runCmd(context.Background(), b.env, "", time.Minute, vouchBin, "env")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vouch env %s: exit %d\n%s%s", phase, res.exitCode, res.stdout, res.stderr)
	if installed && !strings.Contains(res.stdout, "NODE_EXTRA_CA_CERTS=") {
		t.Errorf("vouch env %s sets no NODE_EXTRA_CA_CERTS", phase)
	}
	if !installed && res.stdout != "" {
		t.Errorf("vouch env %s printed %q, want nothing", phase, res.stdout)
	}
}

// brRow is one verdict, for the phase's table.
type brRow struct {
	client, url, verdict, detail, control string
}

// clientPhase asks every client about every target: each browser started
// afresh on the user's own profile (side by side), Java and Node as fresh
// processes. All must accept when want, else reject, each browser's
// rejections backed by its control.
func (b *brHost) clientPhase(t *testing.T, phase string, targets []target, want bool) {
	t.Helper()
	var mu sync.Mutex
	var rows []brRow
	add := func(r ...brRow) {
		mu.Lock()
		rows = append(rows, r...)
		mu.Unlock()
	}
	start := time.Now()
	t.Run(phase, func(t *testing.T) {
		t.Run("chromium", func(t *testing.T) {
			t.Parallel()
			add(b.chromiumVerdicts(t, phase, targets, want)...)
		})
		for _, f := range b.firefoxes {
			t.Run(f.label, func(t *testing.T) {
				t.Parallel()
				add(brFirefoxVerdicts(t, f, targets, want)...)
			})
		}
		t.Run("java and node", func(t *testing.T) {
			t.Parallel()
			add(b.runtimeVerdicts(t, targets, want, true)...)
		})
	})
	brLogRows(t, phase, rows, start)
	if t.Failed() {
		t.FailNow()
	}
}

// brLogRows logs a phase's verdicts as a table, browsers first.
func brLogRows(t *testing.T, phase string, rows []brRow, start time.Time) {
	t.Helper()
	order := map[string]int{"chromium": 0, "firefox": 1, "firefox (snap)": 2, "firefox (flatpak)": 3}
	sort.SliceStable(rows, func(i, j int) bool {
		oi, ok := order[rows[i].client]
		if !ok {
			oi = 10
		}
		oj, ok := order[rows[j].client]
		if !ok {
			oj = 10
		}
		return oi < oj
	})
	var sb strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&sb, "  %-34s %-28s %-6s %s", r.client, r.url, r.verdict, r.detail)
		if r.control != "" {
			fmt.Fprintf(&sb, "  [control: %s]", r.control)
		}
		sb.WriteByte('\n')
	}
	t.Logf("%s: %d verdicts in %v\n%s", phase, len(rows), time.Since(start).Round(time.Millisecond), sb.String())
}

// chromiumVerdicts starts Chromium on the user's profile and loads every
// target; after rejections it tells Chromium to ignore certificate errors
// and loads them again, which must show the page.
func (b *brHost) chromiumVerdicts(t *testing.T, phase string, targets []target, want bool) []brRow {
	netLog := filepath.Join(b.home, "chromium-netlog-"+strings.ReplaceAll(phase, " ", "-")+".json")
	cr := launchChromium(t, b.browse, b.chromiumDir, netLog)
	defer cr.quit()
	var rows []brRow
	for _, tg := range targets {
		out, err := cr.load(t.Context(), tg)
		if err != nil {
			t.Fatalf("chromium %s: %v", tg.url(), err)
		}
		if out.accepted != want {
			t.Errorf("chromium %s = %s (%s), want %s", tg.url(), verdictWord(out.accepted), out.detail, verdictWord(want))
		} else if !want && !strings.HasPrefix(out.detail, "net::ERR_CERT_AUTHORITY_INVALID") {
			t.Errorf("chromium %s rejected with %s, want net::ERR_CERT_AUTHORITY_INVALID", tg.url(), out.detail)
		}
		rows = append(rows, brRow{client: "chromium", url: tg.url(), verdict: verdictWord(out.accepted), detail: out.detail})
	}
	if want {
		return rows
	}
	if _, err := cr.call(t.Context(), "", "Security.setIgnoreCertificateErrors", map[string]any{"ignore": true}); err != nil {
		t.Fatal(err)
	}
	for i, tg := range targets {
		ctl, err := cr.load(t.Context(), tg)
		if err != nil || !ctl.accepted {
			t.Errorf("chromium control %s (certificate errors ignored) = %+v, %v; want the page", tg.url(), ctl, err)
			rows[i].control = "FAILED"
			continue
		}
		rows[i].control = "page shown with cert errors ignored"
	}
	return rows
}

// brFirefoxVerdicts starts Firefox on one profile, in its package's
// environment, and loads every target; a rejection's control is a session
// that accepts insecure certificates, which must show the page.
func brFirefoxVerdicts(t *testing.T, f brFirefox, targets []target, want bool) []brRow {
	ff := launchFirefox(t, f.env, f.dir)
	var rows []brRow
	for _, tg := range targets {
		out, err := firefoxLoad(t.Context(), ff, tg, false)
		if err != nil {
			t.Fatalf("%s %s: %v", f.label, tg.url(), err)
		}
		if out.accepted != want {
			t.Errorf("%s on %s: %s = %s (%s), want %s", f.label, f.dir, tg.url(), verdictWord(out.accepted), out.detail, verdictWord(want))
		} else if !want && !strings.HasPrefix(out.detail, "SEC_ERROR_UNKNOWN_ISSUER") {
			t.Errorf("%s %s rejected with %s, want SEC_ERROR_UNKNOWN_ISSUER", f.label, tg.url(), out.detail)
		}
		rows = append(rows, brRow{client: f.label, url: tg.url(), verdict: verdictWord(out.accepted), detail: out.detail})
	}
	if want {
		return rows
	}
	for i, tg := range targets {
		ctl, err := firefoxLoad(t.Context(), ff, tg, true)
		if err != nil || !ctl.accepted {
			t.Errorf("%s control %s (insecure certificates accepted) = %+v, %v; want the page", f.label, tg.url(), ctl, err)
			rows[i].control = "FAILED"
			continue
		}
		rows[i].control = "page shown with insecure certs accepted"
	}
	return rows
}

// runtimeVerdicts asks Java (java from PATH, no JAVA_HOME, no trust
// property: the JDK's default cacerts) and, withNode, Node. Node is asked twice: as
// a shell that ran eval "$(vouch env)" starts it, and plain, with nothing
// in its environment. vouch env exports nothing unless the root is
// installed, so both must reject before install and after uninstall.
func (b *brHost) runtimeVerdicts(t *testing.T, targets []target, want, withNode bool) []brRow {
	pathEnv := append(slices.Clone(b.env), "PATH="+filepath.Dir(vouchBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	type client struct {
		name     string
		asserted bool
		check    probe
	}
	clients := []client{
		{"java (PATH, no JAVA_HOME)", true, func(ctx context.Context, tg target) (outcome, error) {
			res, err := runCmd(ctx, b.env, "", time.Minute, "java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
				"-Djdk.net.hosts.file="+b.hosts, "-cp", b.classes, "Probe", tg.url())
			return scriptVerdict("java", tg, res, err)
		}},
	}
	if withNode {
		clients = append(clients, client{`node after eval "$(vouch env)"`, true, func(ctx context.Context, tg target) (outcome, error) {
			res, err := runCmd(ctx, pathEnv, "", time.Minute, "sh", "-c", `eval "$(vouch env)"; node "$0" "$1" "$2"`,
				b.probeJS, tg.url(), addrOf(tg))
			return scriptVerdict("node", tg, res, err)
		}})
	}
	if withNode && !want {
		clients = append(clients, client{"node (plain, no vouch env)", true, func(ctx context.Context, tg target) (outcome, error) {
			res, err := runCmd(ctx, b.env, "", time.Minute, "node", b.probeJS, tg.url(), addrOf(tg))
			return scriptVerdict("node", tg, res, err)
		}})
	}
	type job struct {
		c   client
		tg  target
		out outcome
		err error
	}
	var jobs []*job
	for _, c := range clients {
		for _, tg := range targets {
			jobs = append(jobs, &job{c: c, tg: tg})
		}
	}
	sem := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			j.out, j.err = j.c.check(context.Background(), j.tg)
		}()
	}
	wg.Wait()
	var rows []brRow
	for _, j := range jobs {
		r := brRow{client: j.c.name, url: j.tg.url(), verdict: verdictWord(j.out.accepted), detail: j.out.detail}
		switch {
		case j.err != nil:
			r.verdict = "NONE"
			t.Errorf("%s %s gave no verdict: %v", j.c.name, j.tg.url(), j.err)
		case j.c.asserted && j.out.accepted != want:
			t.Errorf("%s %s = %s (%s), want %s", j.c.name, j.tg.url(), verdictWord(j.out.accepted), j.out.detail, verdictWord(want))
		case !j.c.asserted:
			r.detail += " (logged, not asserted)"
		}
		rows = append(rows, r)
	}
	return rows
}

// dbFiles hashes the files of every browser database.
func (b *brHost) dbFiles(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, spec := range b.nssSpecs() {
		dir := strings.TrimPrefix(spec, "sql:")
		for _, name := range []string{"cert9.db", "key4.db", "pkcs11.txt"} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				m[p] = brFileSum(t, p)
			}
		}
	}
	return m
}

func brFileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkBytes checks that the databases' files and cacerts are byte for
// byte what they were before install: uninstall puts back the copies
// install kept, when nothing else changed them since.
func (b *brHost) checkBytes(t *testing.T, before map[string]string, cacerts string) {
	t.Helper()
	after := b.dbFiles(t)
	var same, differ []string
	for _, p := range slices.Sorted(maps.Keys(before)) {
		if after[p] == before[p] {
			same = append(same, p)
		} else {
			differ = append(differ, fmt.Sprintf("%s (%.12s… => %.12s…)", p, before[p], after[p]))
		}
	}
	if len(differ) > 0 {
		t.Errorf("NSS database files byte-identical to before install: %d of %d; these differ:\n  %s\n  (same: %s)",
			len(same), len(before), strings.Join(differ, "\n  "), strings.Join(same, ", "))
	} else {
		t.Logf("NSS database files byte-identical to before install: %d of %d\n  %s", len(same), len(before), strings.Join(same, "\n  "))
	}
	// cacerts must be byte-identical: the hook rewrites it, and vouch puts
	// back the copy it kept before install when the entries are the same.
	if now := brFileSum(t, debJavaCacerts); now == cacerts {
		t.Logf("%s is byte-identical to before install (sha256 %s)", debJavaCacerts, now)
	} else {
		t.Errorf("%s is NOT byte-identical to before install (sha256 %s => %s)", debJavaCacerts, cacerts, now)
	}
}

// reportBrowserWrites logs which database files the browsers, started on
// their profiles after install, changed: uninstall can put back the copy
// install kept only of a database nobody changed since.
func (b *brHost) reportBrowserWrites(t *testing.T, installed map[string]string) {
	t.Helper()
	now := b.dbFiles(t)
	var changed []string
	for _, p := range slices.Sorted(maps.Keys(installed)) {
		if now[p] != installed[p] {
			changed = append(changed, fmt.Sprintf("%s (%s)", p, b.whose(p)))
		}
	}
	t.Logf("NSS database files the browsers changed between install and uninstall: %d of %d\n  %s",
		len(changed), len(installed), strings.Join(changed, "\n  "))
}

// nssBackups lists the backup folders in vouch's state folder, one per
// database and root that install changed.
func (b *brHost) nssBackups(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(platform.StateDir("linux", b.home, envGetter(b.env)), "nss")
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	t.Logf("%s holds %d entries: %q", dir, len(out), out)
	return out
}

// whose names the browser whose database holds path.
func (b *brHost) whose(path string) string {
	if filepath.Dir(path) == b.chromiumDB {
		return "chromium"
	}
	for _, f := range b.firefoxes {
		if filepath.Dir(path) == f.dir {
			return f.label
		}
	}
	return "?"
}

// expectNoPrograms runs vouch with args under strace and checks that it
// exits 0, that it executes no other program (no JVM, and no certutil: the
// databases are unchanged since install read them), and that neither the
// trust stores nor the browser databases changed, down to mtimes.
func (b *brHost) expectNoPrograms(t *testing.T, env *nstest.Env, args ...string) {
	t.Helper()
	before, times := snapshotStores(t, env), modTimes(t, env)
	dbBefore, dbTimes := b.dbFiles(t), b.dbModTimes(t)
	trace := filepath.Join(t.TempDir(), "execve.trace")
	straceArgs := append([]string{"-f", "-qq", "-s", "4096", "-e", "trace=execve", "-o", trace, vouchBin}, args...)
	res, err := runCmd(context.Background(), b.env, "", time.Minute, "strace", straceArgs...)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	progs, count, list := brExecSummary(data)
	t.Logf("$ strace -f -qq -e trace=execve vouch %s: exit %d; programs executed: %s\n%s\nstderr:\n%s",
		strings.Join(args, " "), res.exitCode, strings.Join(list, ", "), brExecLines(data), res.stderr)
	if res.exitCode != 0 {
		t.Errorf("vouch %s (installed) = exit %d, want 0\n%v", strings.Join(args, " "), res.exitCode, res)
	}
	if args[0] == "install" {
		for _, s := range []string{"system", "nss", "java"} {
			if !strings.Contains(res.stderr, s+": already trusted, nothing to do") {
				t.Errorf("vouch install (again): stderr lacks %q", s+": already trusted, nothing to do")
			}
		}
	}
	if count[vouchBin] != 1 {
		t.Errorf("strace saw vouch executed %d times, want once", count[vouchBin])
	}
	// No JVM, and, install having read every database after changing it,
	// no certutil either: unchanged databases' listings come from the cache.
	for _, p := range progs {
		if p != vouchBin {
			t.Errorf("vouch %s executed %s; nothing but vouch may run (no JVM, and no certutil for databases unchanged since install read them)", strings.Join(args, " "), p)
		}
	}
	expectUnchanged(t, env, before)
	timesAfter := modTimes(t, env)
	for p, mt := range times {
		if got, ok := timesAfter[p]; ok && !got.Equal(mt) {
			t.Errorf("vouch %s touched %s (mtime %v => %v)", strings.Join(args, " "), p, mt, got)
			break
		}
	}
	if after := b.dbFiles(t); !maps.Equal(after, dbBefore) {
		t.Errorf("vouch %s changed browser database files:\nbefore %v\nafter  %v", strings.Join(args, " "), dbBefore, after)
	}
	if after := b.dbModTimes(t); !maps.Equal(after, dbTimes) {
		t.Errorf("vouch %s touched browser database files (mtimes):\nbefore %v\nafter  %v", strings.Join(args, " "), dbTimes, after)
	}
}

func (b *brHost) dbModTimes(t *testing.T) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	for p := range b.dbFiles(t) {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = info.ModTime()
	}
	return m
}

// brTiming is what timeRuns measured.
type brTiming struct {
	label            string
	median, min, max time.Duration
	runs             int
}

func (tm brTiming) String() string {
	return fmt.Sprintf("%-48s median %7.1f ms  (min %.1f, max %.1f, %d runs)", tm.label,
		float64(tm.median.Microseconds())/1000, float64(tm.min.Microseconds())/1000, float64(tm.max.Microseconds())/1000, tm.runs)
}

// timeRuns runs a command once to warm up, then ten times, each of which
// must exit 0, and returns the wall-clock median (start to exit, as the
// user waits for it).
func (b *brHost) timeRuns(t *testing.T, env []string, name string, args ...string) brTiming {
	t.Helper()
	const runs = 10
	label := filepath.Base(name) + " " + strings.Join(args, " ")
	var ds []time.Duration
	for i := 0; i <= runs; i++ {
		start := time.Now()
		res, err := runCmd(context.Background(), env, "", 2*time.Minute, name, args...)
		d := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if res.exitCode != 0 {
			t.Errorf("timing %s: run %d exit %d, want 0\n%v", label, i, res.exitCode, res)
			return brTiming{label: label}
		}
		if i > 0 {
			ds = append(ds, d)
		}
	}
	slices.Sort(ds)
	tm := brTiming{label: label, median: (ds[runs/2-1] + ds[runs/2]) / 2, min: ds[0], max: ds[runs-1], runs: runs}
	t.Logf("timing: %s", tm)
	return tm
}

// brFindMkcert is the mkcert to compare with: $VOUCH_E2E_MKCERT, the one
// scripts/bench.sh caches, or mkcert on PATH; "" when there is none.
func brFindMkcert() string {
	if p := os.Getenv("VOUCH_E2E_MKCERT"); p != "" {
		return p
	}
	if d, err := os.UserCacheDir(); err == nil {
		if p := filepath.Join(d, "vouch-bench", "bin", "mkcert"); brIsExec(p) {
			return p
		}
	}
	if p, err := exec.LookPath("mkcert"); err == nil {
		return p
	}
	return ""
}

func brIsExec(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 != 0
}

// compareMkcert installs mkcert's own CA (here, in the namespace), then
// times its already-installed -install with JAVA_HOME set, and logs it
// beside vouch's no-op install and status. Informational: nothing here
// fails the test but mkcert failing to run at all.
func (b *brHost) compareMkcert(t *testing.T, mkcert string, vouchInstall, vouchStatus brTiming) {
	t.Helper()
	if mkcert == "" {
		t.Logf("timing: no mkcert to compare with (set VOUCH_E2E_MKCERT, or: GOBIN=~/.cache/vouch-bench/bin go install filippo.io/mkcert@%s); vouch's figures:\n  %s\n  %s",
			mkcertWant, vouchInstall, vouchStatus)
		return
	}
	requirePrivateNamespace(t)
	javaHome := ""
	if java, err := exec.LookPath("java"); err == nil {
		if real, err := filepath.EvalSymlinks(java); err == nil {
			javaHome = filepath.Dir(filepath.Dir(real))
		}
	}
	env := append(slices.Clone(b.env), "JAVA_HOME="+javaHome, "CAROOT="+filepath.Join(b.home, "mkcert-ca"))
	res, err := runCmd(context.Background(), env, "", time.Minute, mkcert, "-version")
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimSpace(res.stdout)
	if version != mkcertWant {
		t.Logf("timing: %s is mkcert %q, not %s", mkcert, version, mkcertWant)
	}
	res, err = runCmd(context.Background(), env, "", 3*time.Minute, mkcert, "-install")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("$ JAVA_HOME=%s mkcert -install (first: installs mkcert's own CA, in the namespace)\n%v", javaHome, res)
	if res.exitCode != 0 {
		t.Errorf("mkcert -install = exit %d, want 0; no comparison", res.exitCode)
		return
	}
	trace := filepath.Join(t.TempDir(), "mkcert.trace")
	res, err = runCmd(context.Background(), env, "", 3*time.Minute, "strace", "-f", "-qq", "-s", "256", "-e", "trace=execve", "-o", trace, mkcert, "-install")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(trace)
	_, _, list := brExecSummary(data)
	t.Logf("$ strace -f -e trace=execve mkcert -install (already installed): exit %d; programs executed: %s\n%s\n%s",
		res.exitCode, strings.Join(list, ", "), brExecLines(data), res.stderr)
	mk := b.timeRuns(t, env, mkcert, "-install")
	mk.label = "mkcert -install (installed, JAVA_HOME set)"
	vouchInstall.label = "vouch install (installed; no JAVA_HOME)"
	vouchStatus.label = "vouch status (installed; no JAVA_HOME)"
	ratio := func(a, b brTiming) string {
		if b.median <= 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1fx", float64(a.median)/float64(b.median))
	}
	t.Logf("timings inside the namespace (informational, never asserted; other tests may run meanwhile):\n  %s\n  %s\n  %s\n  mkcert -install / vouch install = %s, mkcert -install / vouch status = %s",
		vouchInstall, vouchStatus, mk, ratio(mk, vouchInstall), ratio(mk, vouchStatus))
}

// brExecSummary lists the programs a strace -e trace=execve log shows
// executed, in order, with how often each ran.
func brExecSummary(trace []byte) (progs []string, count map[string]int, list []string) {
	count = map[string]int{}
	for _, m := range straceExecve.FindAllStringSubmatch(string(trace), -1) {
		if count[m[1]] == 0 {
			progs = append(progs, m[1])
		}
		count[m[1]]++
	}
	for _, p := range progs {
		list = append(list, fmt.Sprintf("%s ×%d", p, count[p]))
	}
	return progs, count, list
}

// brExecLines are the execve lines of a strace log, pid and environment
// pointer left out.
func brExecLines(trace []byte) string {
	var out []string
	for _, line := range strings.Split(string(trace), "\n") {
		if i := strings.Index(line, "execve("); i >= 0 {
			line = line[i:]
			if j := strings.LastIndex(line, "], 0x"); j >= 0 {
				line = line[:j+1] + ")"
			}
			out = append(out, "    "+line)
		}
	}
	return strings.Join(out, "\n")
}

// javaStoreAlone runs install and uninstall with --stores java only: the
// java store must find the JDK's cacerts with no JAVA_HOME, add the root
// with keytool (no system store, so no Debian hook does it instead), and
// uninstall must leave cacerts with the same entries and, as the README
// promises when nothing else changed, the same bytes.
func (b *brHost) javaStoreAlone(t *testing.T, root *x509.Certificate, targets []target) {
	t.Helper()
	h := &sysHost{home: b.home}
	entries, sum := debJavaEntries(t, h), brFileSum(t, debJavaCacerts)
	res := b.vouch(t, "install", "--stores", "java")
	if res.exitCode != 0 || !strings.Contains(res.stderr, "java: trusted now") {
		t.Fatalf("vouch install --stores java = exit %d, stderr %q; want 0 and \"java: trusted now\"", res.exitCode, res.stderr)
	}
	alias := truststore.JavaAlias(root)
	if d, want := diffEntries(entries, debJavaEntries(t, h)), "added "+alias+" "+colonSHA256(root); d != want {
		t.Errorf("%s after install --stores java: changes %q, want exactly %q", debJavaCacerts, d, want)
	} else {
		t.Logf("%s after install --stores java: %s", debJavaCacerts, d)
	}
	if r := b.vouch(t, "status", "--stores", "java"); r.exitCode != 0 {
		t.Errorf("vouch status --stores java after install --stores java = exit %d, want 0", r.exitCode)
	}
	start := time.Now()
	brLogRows(t, "java store alone, installed", b.runtimeVerdicts(t, targets, true, false), start)
	res = b.vouch(t, "uninstall", "--stores", "java")
	if res.exitCode != 0 || !strings.Contains(res.stderr, "java: removed") {
		t.Errorf("vouch uninstall --stores java = exit %d, stderr %q; want 0 and \"java: removed\"", res.exitCode, res.stderr)
	}
	if d := diffEntries(entries, debJavaEntries(t, h)); d != "" {
		t.Errorf("%s after uninstall --stores java holds other entries than before:\n%s", debJavaCacerts, d)
	}
	if now := brFileSum(t, debJavaCacerts); now != sum {
		t.Errorf("%s after install and uninstall --stores java is not byte-identical to before (sha256 %.16s… => %.16s…), though nothing else changed it", debJavaCacerts, sum, now)
	} else {
		t.Logf("%s after install and uninstall --stores java: the same %d entries and byte-identical (sha256 %.16s…)", debJavaCacerts, len(entries), now)
	}
	start = time.Now()
	brLogRows(t, "java store alone, uninstalled", b.runtimeVerdicts(t, targets, false, false), start)
}
