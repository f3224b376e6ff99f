//go:build linux

package e2e

// The tests in this file run the vouch binary's install, status and
// uninstall against the real Debian system store: the real
// update-ca-certificates, its Java hook (through dpkg's trigger), p11-kit's
// trust, and real clients that read the system store with no trust flags of
// their own. Every one of them runs inside nstest.Run, whose mount namespace
// holds tmpfs copies of the trust stores, so the machine's own store is
// never changed. The mounts some bodies add (a read-only anchor folder, a
// stand-in over update-ca-certificates) are made only there.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nstest"
)

// Debian's system store, as vouch's "debian" layout and its hooks use it.
const (
	debAnchorDir   = "/usr/local/share/ca-certificates"
	debCertsDir    = "/etc/ssl/certs"
	debBundle      = "/etc/ssl/certs/ca-certificates.crt"
	debJavaCacerts = "/etc/ssl/certs/java/cacerts"
	debJavaHook    = "/etc/ca-certificates/update.d/jks-keystore"
	debRefreshTool = "/usr/sbin/update-ca-certificates"
	archTrustDir   = "/etc/ca-certificates/trust-source"
)

var (
	toolUpdateCA = tool{"update-ca-certificates", "ca-certificates"}
	toolStrace   = tool{"strace", "strace"}
	toolTrust    = tool{"trust", "p11-kit"}
	toolMount    = tool{"mount", "mount"}
	toolSetsid   = tool{"setsid", "util-linux"}
)

// debianStoreTest starts a test that changes a Debian system store (in
// its own namespace): skipped with -short (runs says what it runs), in
// parallel with the others, and only where requireDebianStore holds.
func debianStoreTest(t *testing.T, runs string) {
	t.Helper()
	if testing.Short() {
		t.Skip(runs + "; skipped with -short")
	}
	t.Parallel()
	requireDebianStore(t)
}

// requireDebianStore skips the test (or fails it under VOUCH_E2E=1) unless
// this machine keeps its system trust the Debian way, with the Java hook.
func requireDebianStore(t *testing.T) {
	t.Helper()
	requireTools(t, toolUpdateCA, toolKeytool)
	for _, f := range []struct{ path, pkg string }{
		{debAnchorDir, "ca-certificates"},
		{debBundle, "ca-certificates"},
		{debJavaCacerts, "ca-certificates-java"},
		{debJavaHook, "ca-certificates-java"},
	} {
		if _, err := os.Stat(f.path); err != nil {
			msg := fmt.Sprintf("%s is missing (a Debian system store with the Java hook is needed; apt-get install %s)", f.path, f.pkg)
			if strict() {
				t.Fatal(msg + " (VOUCH_E2E=1 makes this a failure)")
			}
			t.Skip(msg)
		}
	}
}

// TestSystemLifecycle installs a vouch root in the real Debian system store
// and takes it out again, asking every client that reads the system store
// (curl, openssl s_client, Go, Python, Node with --use-openssl-ca, Java)
// whether it trusts a vouch leaf before, between and after. Around it, the
// trust stores must end byte-identical to how they began, Java's cacerts
// too (its hook rewrites it on install and uninstall; vouch puts back the
// copy it kept before), and a second install must run nothing and touch
// nothing.
func TestSystemLifecycle(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates and real clients")
	requireTools(t, toolCurl, toolOpenSSL, toolPython, toolNode, toolJava, toolJavac, toolStrace)
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home}
		caDir := filepath.Join(env.Home, ".local", "share", "vouch")
		before := snapshotStores(t, env)
		javaBefore := debJavaEntries(t, h)
		cacertsBefore := brFileSum(t, debJavaCacerts)
		t.Logf("%s before install: %d entries, sha256 %s", debJavaCacerts, len(javaBefore), cacertsBefore)

		// No CA yet: status says so.
		res := h.vouch(t, "status", "--json")
		if res.exitCode != 1 || !strings.Contains(res.stderr, "there is no CA") {
			t.Errorf("status --json with no CA = exit %d, stderr %q; want 1 and \"there is no CA\"", res.exitCode, res.stderr)
		}
		if st := parseStatus(t, res); st.CA != nil || len(st.Stores) != 0 || st.Trusted {
			t.Errorf("status --json with no CA = %+v, want ca null, no stores, not trusted", st)
		}

		// The first leaf makes the CA in the default folder under HOME; that
		// changes no store.
		l := h.issueDefault(t, "localhost", "127.0.0.1", "::1")
		root := readOneCert(t, filepath.Join(caDir, "rootCA.pem"))
		anchor := filepath.Join(debAnchorDir, anchorName(root))
		if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
			t.Fatalf("issuing the first leaf changed the trust stores:\n%s", d)
		}
		st := h.checkStatus(t, 1, "not trusted")
		if st.CA == nil || st.CA.Folder != caDir || st.CA.Fingerprint == "" {
			t.Errorf("status --json ca = %+v, want folder %s and a fingerprint", st.CA, caDir)
		}

		v4 := serveAt(t, l, "127.0.0.1")
		v6 := serveAt(t, l, "::1")
		targets := []target{
			{host: "localhost", port: v4.port, marker: v4.marker, leaf: l},
			{host: "127.0.0.1", port: v4.port, marker: v4.marker, leaf: l},
			{host: "::1", port: v6.port, marker: v6.marker, leaf: l},
		}
		clients := systemClients(t, h)
		expectVerdicts(t, "before install", clients, targets, false)
		// vouch check names the user's own CA, and reads the real system
		// store for whether the machine trusts it.
		checkURL := "https://localhost:" + v4.port + "/"
		storyCheck(t, h, checkURL, 3, "NOT TRUSTED BY THIS MACHINE YET: the chain reaches your own CA ("+caDir, "vouch: hint: vouch install")

		res = h.vouch(t, "install")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: trusted now") {
			t.Fatalf("install = exit %d, stderr %q; want 0 and \"system: trusted now\"", res.exitCode, res.stderr)
		}
		st = h.checkStatus(t, 0, "trusted")
		if sys := st.system(); sys != nil && !strings.Contains(sys.Reason, anchor) {
			t.Errorf("status reason = %q, want it to name the anchor %s", sys.Reason, anchor)
		}
		checkInstalled(t, h, root)
		expectVerdicts(t, "after install", clients, targets, true)
		storyCheck(t, h, checkURL, 0, "TRUSTED BY THIS MACHINE: the chain reaches your own CA ("+caDir, "which the system store trusts")

		// The second install is a no-op: no command, not even a stat's worth
		// of change; status runs nothing either.
		expectNoOp(t, env, h, nil, "install")
		expectNoOp(t, env, h, nil, "status")

		res = h.vouch(t, "uninstall")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") {
			t.Fatalf("uninstall = exit %d, stderr %q; want 0 and \"system: removed\"", res.exitCode, res.stderr)
		}
		h.checkStatus(t, 1, "not trusted")
		checkRemoved(t, h, root)
		expectVerdicts(t, "after uninstall", clients, targets, false)
		storyCheck(t, h, checkURL, 3, "NOT TRUSTED BY THIS MACHINE YET")

		// Byte-identical, cacerts included; its entries are compared too,
		// to say what changed if its bytes did.
		after := snapshotStores(t, env)
		if d := nstest.Diff(before, after); d != "" {
			t.Errorf("the trust stores after install and uninstall differ from before:\n%s", d)
		} else {
			t.Logf("the trust stores are byte-identical to before, %s included (%d entries listed)", debJavaCacerts, strings.Count(before, "\n")+1)
		}
		if now := brFileSum(t, debJavaCacerts); now != cacertsBefore {
			t.Errorf("%s after install and uninstall is not byte-identical to before (sha256 %s => %s)", debJavaCacerts, cacertsBefore, now)
		} else {
			t.Logf("%s after uninstall: byte-identical to before install (sha256 %s)", debJavaCacerts, now)
		}
		if d := diffEntries(javaBefore, debJavaEntries(t, h)); d != "" {
			t.Errorf("%s after install and uninstall holds other entries than before:\n%s", debJavaCacerts, d)
		} else {
			t.Logf("%s holds the same %d entries (alias and SHA-256) as before", debJavaCacerts, len(javaBefore))
		}
	})
}

// TestSystemStoreAlone: install and uninstall with --stores system. The
// java store is left out, but Debian's hook imports the anchor into Java's
// cacerts all the same (so Java trusts it, as the system store promises),
// and rebuilds the file on uninstall: the trust stores, cacerts included,
// must still end byte-identical to before.
func TestSystemStoreAlone(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates and its Java hook")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home}
		caDir := filepath.Join(env.Home, "ca")
		before := snapshotStores(t, env)
		cacertsBefore := brFileSum(t, debJavaCacerts)

		res := h.vouch(t, "install", "--caroot", caDir, "--stores", "system")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: trusted now") || strings.Contains(res.stderr, "java:") {
			t.Fatalf("install --stores system = exit %d, stderr %q; want 0, \"system: trusted now\" and nothing of the java store", res.exitCode, res.stderr)
		}
		root := readOneCert(t, filepath.Join(caDir, "rootCA.pem"))
		checkInstalled(t, h, root)
		if brFileSum(t, debJavaCacerts) == cacertsBefore {
			t.Fatalf("%s is unchanged after install: the hook did not run, and the test proves nothing", debJavaCacerts)
		}

		res = h.vouch(t, "uninstall", "--caroot", caDir, "--stores", "system")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") {
			t.Fatalf("uninstall --stores system = exit %d, stderr %q; want 0 and \"system: removed\"", res.exitCode, res.stderr)
		}
		t.Logf("uninstall --stores system said:\n%s", strings.TrimSpace(res.stderr))
		checkRemoved(t, h, root)
		if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
			t.Errorf("after install and uninstall --stores system, the trust stores differ from before:\n%s", d)
		}
		if now := brFileSum(t, debJavaCacerts); now != cacertsBefore {
			t.Errorf("%s after install and uninstall --stores system is not byte-identical to before (sha256 %s => %s)", debJavaCacerts, cacertsBefore, now)
		} else {
			t.Logf("%s after install and uninstall --stores system: byte-identical to before (sha256 %s)", debJavaCacerts, now)
		}
	})
}

// TestSystemJavaAloneComesBack: on Debian, uninstall --stores java while
// the system store keeps the root takes it out of Java's cacerts, and
// says that Debian's next full refresh brings it back (which it does),
// with the command that takes it out of both.
func TestSystemJavaAloneComesBack(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates and its Java hook")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home}
		caDir := filepath.Join(env.Home, "ca")
		if res := h.vouch(t, "install", "--caroot", caDir, "--stores", "system,java"); res.exitCode != 0 {
			t.Fatalf("install = exit %d", res.exitCode)
		}
		res := h.vouch(t, "uninstall", "--caroot", caDir, "--stores", "java")
		for _, want := range []string{
			"vouch: java: removed\n",
			"vouch: warning: java: the system store still trusts this root, and Debian's full refresh (update-ca-certificates --fresh, which a package upgrade may run) rebuilds Java's cacerts from it, so the root comes back there\n",
			"vouch: hint: vouch uninstall --caroot " + caDir + " --stores system,java   (takes it out of both)\n",
		} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("uninstall --stores java said:\n%s\nwant %q", res.stderr, want)
			}
		}
		if res := h.vouch(t, "status", "--caroot", caDir, "--stores", "java"); res.exitCode != 1 || !strings.Contains(res.stdout, "java            NOT TRUSTED") {
			t.Errorf("status --stores java after its uninstall = exit %d, %q; want 1 and NOT TRUSTED", res.exitCode, res.stdout)
		}
		// What the warning says, so: the refresh brings it back.
		if out, err := exec.Command("update-ca-certificates", "--fresh").CombinedOutput(); err != nil {
			t.Fatalf("update-ca-certificates --fresh: %v\n%s", err, out)
		}
		if res := h.vouch(t, "status", "--caroot", caDir, "--stores", "java"); res.exitCode != 0 || !strings.Contains(res.stdout, "java            TRUSTED") {
			t.Errorf("status --stores java after update-ca-certificates --fresh = exit %d, %q; want 0 and TRUSTED, as the warning said", res.exitCode, res.stdout)
		}
		// With the system store in the uninstall, no such warning.
		res = h.vouch(t, "uninstall", "--caroot", caDir, "--stores", "system,java")
		if res.exitCode != 0 || strings.Contains(res.stderr, "comes back") {
			t.Errorf("uninstall --stores system,java = exit %d, stderr %q; want 0 and no warning", res.exitCode, res.stderr)
		}
	})
}

// TestSystemConcurrentInstall starts 16 installs at once with no CA yet:
// they must make exactly one CA and trust it exactly once.
func TestSystemConcurrentInstall(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		const n = 16
		h := &sysHost{home: env.Home}
		caDir := filepath.Join(env.Home, ".local", "share", "vouch")
		javaBefore := debJavaEntries(t, h)

		// Each shell waits for the go file, so that the 16 execs of vouch
		// start within a few milliseconds of each other.
		goFile := filepath.Join(env.Home, "go")
		type run struct {
			res result
			err error
		}
		runs := make([]run, n)
		var wg sync.WaitGroup
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := runCmd(context.Background(), h.env(), "", 3*time.Minute, "sh", "-c",
					`while [ ! -e "$1" ]; do sleep 0.005; done; exec "$2" install`, "sh", goFile, vouchBin)
				runs[i] = run{res, err}
			}()
		}
		time.Sleep(500 * time.Millisecond)
		start := time.Now()
		if err := os.WriteFile(goFile, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		t.Logf("%d concurrent installs done in %v", n, time.Since(start).Round(time.Millisecond))

		var created, trustedNow, nothing int
		for i, r := range runs {
			if r.err != nil {
				t.Errorf("install #%d: %v", i, r.err)
				continue
			}
			t.Logf("install #%d: exit %d: %s", i, r.res.exitCode, strings.TrimSpace(r.res.stderr))
			if r.res.exitCode != 0 {
				t.Errorf("install #%d = exit %d, want 0\n%v", i, r.res.exitCode, r.res)
			}
			if strings.Contains(r.res.stderr, "created a new local CA") {
				created++
			}
			if strings.Contains(r.res.stderr, "system: trusted now") {
				trustedNow++
			}
			if strings.Contains(r.res.stderr, "system: already trusted, nothing to do") {
				nothing++
			}
		}
		if created != 1 || trustedNow != 1 || nothing != n-1 {
			t.Errorf("of %d installs, %d created a CA, %d trusted it, %d found nothing to do; want 1, 1, %d",
				n, created, trustedNow, nothing, n-1)
		}

		var names []string
		entries, err := os.ReadDir(caDir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{".vouch.lock", "intermediateCA-key.pem", "intermediateCA.pem", "rootCA.pem"}
		if !slices.Equal(names, want) {
			t.Errorf("the CA folder holds %q, want %q (one CA, no leftovers)", names, want)
		}
		root := readOneCert(t, filepath.Join(caDir, "rootCA.pem"))
		if got := vouchAnchors(t); !slices.Equal(got, []string{anchorName(root)}) {
			t.Errorf("vouch anchors in %s = %q, want exactly [%s]", debAnchorDir, got, anchorName(root))
		}
		checkInstalled(t, h, root)
		if d := diffEntries(javaBefore, debJavaEntries(t, h)); strings.Count(d, "\n") != 0 || !strings.HasPrefix(d, "added debian:vouch-") {
			t.Errorf("%s changed by %q, want exactly one added debian:vouch-… entry", debJavaCacerts, d)
		}
		h.checkStatus(t, 0, "trusted")
	})
}

// TestSystemConcurrentCAs starts installs from three CA folders at once,
// then their uninstalls at once. The CA folders' locks don't make them
// take turns; the system store's lock does. Without it, two refreshes ran
// Debian's Java hook at once, and its dpkg run left ca-certificates-java
// half-configured (apt then fails until dpkg --configure -a).
func TestSystemConcurrentCAs(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system,java"}}
		javaBefore := debJavaEntries(t, h)
		bundleBefore, err := os.ReadFile(debBundle)
		if err != nil {
			t.Fatal(err)
		}
		cas := []string{filepath.Join(env.Home, "a"), filepath.Join(env.Home, "b"), filepath.Join(env.Home, "c")}
		atOnce := func(verb string) {
			t.Helper()
			goFile := filepath.Join(env.Home, "go-"+verb)
			res := make([]result, len(cas))
			errs := make([]error, len(cas))
			var wg sync.WaitGroup
			for i, ca := range cas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res[i], errs[i] = runCmd(context.Background(), h.env(), "", 3*time.Minute, "sh", "-c",
						`while [ ! -e "$1" ]; do sleep 0.005; done; exec "$2" "$3" --caroot "$4"`, "sh", goFile, vouchBin, verb, ca)
				}()
			}
			time.Sleep(300 * time.Millisecond)
			if err := os.WriteFile(goFile, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			waited := 0
			for i := range cas {
				if errs[i] != nil || res[i].exitCode != 0 {
					t.Errorf("%s --caroot %s = %v, exit %d\n%v", verb, cas[i], errs[i], res[i].exitCode, res[i])
				}
				if strings.Contains(res[i].stderr, "vouch: waiting for another vouch that is changing the trust stores\n") {
					waited++
				}
			}
			// Each holds the lock for a refresh of seconds; they start
			// within milliseconds, so some must have waited, and said so.
			if waited == 0 {
				t.Errorf("none of %d %ss started at once said it waits for another", len(cas), verb)
			}
			if audit, err := runCmd(context.Background(), h.env(), "", time.Minute, "dpkg", "--audit"); err != nil || audit.stdout != "" {
				t.Errorf("dpkg --audit after %d %ss at once: %v\n%v", len(cas), verb, err, audit)
			}
		}

		atOnce("install")
		entries := debJavaEntries(t, h)
		for _, ca := range cas {
			root := readOneCert(t, filepath.Join(ca, "rootCA.pem"))
			if n := countInBundle(t, root); n != 1 {
				t.Errorf("%s's root is in the bundle %d times, want 1", ca, n)
			}
			if got := entries[javaAlias(root)]; got != colonSHA256(root) {
				t.Errorf("cacerts holds %s as %q, want %s's root", javaAlias(root), got, ca)
			}
		}
		if got := vouchAnchors(t); len(got) != len(cas) {
			t.Errorf("vouch anchors after the installs: %q, want %d", got, len(cas))
		}

		atOnce("uninstall")
		if got := vouchAnchors(t); len(got) != 0 {
			t.Errorf("vouch anchors after the uninstalls: %q, want none", got)
		}
		if now, _ := os.ReadFile(debBundle); !bytes.Equal(now, bundleBefore) {
			t.Errorf("%s after the uninstalls differs from before", debBundle)
		}
		if d := diffEntries(javaBefore, debJavaEntries(t, h)); d != "" {
			t.Errorf("%s after the uninstalls differs from before: %s", debJavaCacerts, d)
		}
	})
}

// TestSystemCIRecipe runs the README's "In a CI image" commands as root with
// no terminal, then checks that installing again is a no-op.
func TestSystemCIRecipe(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	requireTools(t, toolSetsid, toolStrace)
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		// The image's /usr/local/bin and /opt live in HOME here: only the
		// trust stores are copies in this namespace.
		bin := filepath.Join(env.Home, "bin")
		caDir := filepath.Join(env.Home, "opt", "vouch-ca")
		for _, d := range []string{bin, filepath.Dir(caDir)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink(vouchBin, filepath.Join(bin, "vouch")); err != nil {
			t.Fatal(err)
		}
		h := &sysHost{home: env.Home, extra: []string{
			"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
			"VOUCH_CAROOT=" + caDir,
		}}
		// Each RUN line is `sh -c LINE`, in a session of its own (so with no
		// controlling terminal) and stdin from /dev/null.
		runLine := func(line string) result {
			t.Helper()
			res, err := runCmd(context.Background(), h.env(), "", 3*time.Minute, "setsid", "--wait", "sh", "-c", line)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("RUN %s\n%v", line, res)
			return res
		}

		res := runLine("vouch install && vouch status")
		if res.exitCode != 0 {
			t.Fatalf("RUN vouch install && vouch status = exit %d, want 0", res.exitCode)
		}
		for _, want := range []string{"created a new local CA in " + caDir, "system: trusted now"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("install's stderr lacks %q", want)
			}
		}
		if !regexp.MustCompile(`(?m)^system +TRUSTED \[debian\]: anchored in /usr/local/share/ca-certificates/vouch-[0-9a-f]{16}\.crt`).MatchString(res.stdout) {
			t.Errorf("status's stdout lacks a line \"system  TRUSTED [debian]: anchored in …\"")
		}
		if strings.Contains(res.stderr, "sudo") {
			t.Errorf("install as root mentions sudo: %q", res.stderr)
		}
		root := readOneCert(t, filepath.Join(caDir, "rootCA.pem"))
		checkInstalled(t, h, root)

		certFile, keyFile := "/etc/ssl/test.pem", "/etc/ssl/test-key.pem"
		res = runLine("vouch localhost 127.0.0.1 ::1 --cert-file " + certFile + " --key-file " + keyFile)
		if res.exitCode != 0 {
			t.Fatalf("RUN vouch localhost … = exit %d, want 0", res.exitCode)
		}
		// The image's own bundle must vouch for the new leaf.
		chain := readCerts(t, certFile)
		if len(chain) != 2 {
			t.Fatalf("%s holds %d certificates, want 2 (leaf then intermediate)", certFile, len(chain))
		}
		pool := x509.NewCertPool()
		for _, c := range systemBundle(t) {
			pool.AddCert(c)
		}
		inter := x509.NewCertPool()
		inter.AddCert(chain[1])
		for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
			if _, err := chain[0].Verify(x509.VerifyOptions{DNSName: name, Roots: pool, Intermediates: inter}); err != nil {
				t.Errorf("the leaf in %s, verified for %s against %s: %v", certFile, name, debBundle, err)
			}
		}
		if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("Stat(%s) = %v, %v; want mode 0600", keyFile, info, err)
		}

		// Building the image again runs `vouch install` again: nothing to do.
		res = runLine("vouch install")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "nothing to do") {
			t.Errorf("RUN vouch install (again) = exit %d, stderr %q; want 0 and \"nothing to do\"", res.exitCode, res.stderr)
		}
		expectNoOp(t, env, h, nil, "install")
	})
}

// TestSystemBadStates checks that install fails cleanly, changing no store,
// when the store or the CA folder is in a state it can't work with.
func TestSystemBadStates(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	requireTools(t, toolMount)

	t.Run("anchor folder read-only", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			// The system store alone: the others would go on and change theirs.
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system"}}
			// Root ignores modes, so the folder is made read-only by its
			// mount: the tmpfs copy nstest put there, and nothing else.
			requireNstestMount(t, debAnchorDir)
			nsMount(t, "-o", "remount,bind,ro", debAnchorDir)
			if err := os.WriteFile(filepath.Join(debAnchorDir, "e2e-probe.crt"), nil, 0o644); !errors.Is(err, fs.ErrPermission) && !strings.Contains(fmt.Sprint(err), "read-only") {
				t.Fatalf("writing into %s after the read-only remount: %v, want a read-only file system", debAnchorDir, err)
			}
			before := snapshotStores(t, env)
			res := h.vouch(t, "install")
			if res.exitCode != 1 || !strings.Contains(res.stderr, "vouch: error: system: can't install") ||
				!strings.Contains(res.stderr, "read-only file system") {
				t.Errorf("install into a read-only anchor folder = exit %d, stderr %q; want 1, \"system: can't install\" and \"read-only file system\"", res.exitCode, res.stderr)
			}
			expectUnchanged(t, env, before)
			h.checkStatus(t, 1, "not trusted")
		})
	})

	t.Run("refresh fails on install", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			// The system store alone: the others would go on and change theirs.
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system"}}
			standInRefresh(t, env)
			before := snapshotStores(t, env)
			res := h.vouch(t, "install")
			for _, want := range []string{"vouch: error: system: can't install", debRefreshTool + " failed: exit status 3",
				"stand-in refusing on purpose", "stand-in's stdout",
				"vouch: hint: vouch install   (once what the refresh's output names is fixed: the refresh stopped part way"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("install with a failing refresh: stderr lacks %q", want)
				}
			}
			if res.exitCode != 1 {
				t.Errorf("install with a failing refresh = exit %d, want 1", res.exitCode)
			}
			if got := vouchAnchors(t); len(got) != 0 {
				t.Errorf("after the failed refresh, %s holds %q; want the new anchor taken out again", debAnchorDir, got)
			}
			expectUnchanged(t, env, before)
			h.checkStatus(t, 1, "not trusted")
		})
	})

	t.Run("refresh fails on uninstall", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			// The system store alone: the others would go on and change theirs.
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system"}}
			if res := h.vouch(t, "install"); res.exitCode != 0 {
				t.Fatalf("install = exit %d, want 0", res.exitCode)
			}
			root := readOneCert(t, filepath.Join(env.Home, ".local", "share", "vouch", "rootCA.pem"))
			before := snapshotStores(t, env)
			standInRefresh(t, env)
			res := h.vouch(t, "uninstall")
			if res.exitCode != 1 || !strings.Contains(res.stderr, "stand-in refusing on purpose") {
				t.Errorf("uninstall with a failing refresh = exit %d, stderr %q; want 1 and the stand-in's words", res.exitCode, res.stderr)
			}
			// A failed uninstall must leave vouch able to finish the job:
			// either the store is as it was, or, once the tool works again,
			// uninstall takes the root out of the bundle.
			if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
				t.Logf("the failed uninstall left the stores changed:\n%s", d)
			}
			umountStandIn(t)
			res = h.vouch(t, "uninstall")
			t.Logf("uninstall again, with the real tool back: exit %d", res.exitCode)
			if n := countInBundle(t, root); n != 0 {
				t.Errorf("vouch lost track of its root: the failed uninstall removed the anchor but not the root from %s, "+
					"and a second uninstall with the real tool back (exit %d) left it there too (%d time(s)); vouch status now says:\n%s",
					debBundle, res.exitCode, n, h.vouch(t, "status").stdout)
			}
		})
	})

	t.Run("refresh fails on a full disk", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			// The system store alone: the others would go on and change theirs.
			h, before, javaBefore, root := installed(t, env, "system")
			// /etc/ssl is nstest's tmpfs copy: shrink it to what it holds
			// and two pages more, too little for the refresh's new bundle.
			requireNstestMount(t, "/etc/ssl")
			var st syscall.Statfs_t
			if err := syscall.Statfs("/etc/ssl", &st); err != nil {
				t.Fatal(err)
			}
			links := len(certLinks(t))
			nsMount(t, "-o", fmt.Sprintf("remount,size=%d", (st.Blocks-st.Bfree+2)*uint64(st.Bsize)), "/etc/ssl")
			res := h.vouch(t, "uninstall")
			want := "vouch: hint: vouch uninstall   (once the disk has room: the refresh stopped part way"
			if res.exitCode != 1 || !strings.Contains(res.stderr, "No space left on device") || !strings.Contains(res.stderr, want) {
				t.Errorf("uninstall on a full /etc/ssl = exit %d, stderr:\n%s\nwant 1, the refresh's \"No space left on device\" and %q", res.exitCode, res.stderr, want)
			}
			t.Logf("links in /etc/ssl/certs: %d before, %d after the refresh failed", links, len(certLinks(t)))
			// The hint's command, once the disk has room, mends what the
			// failed refresh left: the stores end as they were before install.
			nsMount(t, "-o", "remount,size=50%", "/etc/ssl")
			if res := h.vouch(t, "uninstall"); res.exitCode != 0 {
				t.Errorf("uninstall once the disk has room = exit %d, want 0\n%s", res.exitCode, res.stderr)
			}
			if n := countInBundle(t, root); n != 0 {
				t.Errorf("after the second uninstall, the bundle holds the root %d time(s), want 0", n)
			}
			expectAsBefore(t, env, h, "the failed uninstall and the hint's", before, javaBefore)
		})
	})

	// Ctrl-C from a terminal, and SIGTERM from timeout(1) when a CI step
	// runs out of time: both go to the whole process group. Before vouch
	// held SIGTERM, timeout 1.5 vouch uninstall left 155 of 304 links in
	// /etc/ssl/certs and a ca-certificates.crt.new.
	for _, stop := range []struct {
		name string
		sig  syscall.Signal
	}{{"Ctrl-C", syscall.SIGINT}, {"SIGTERM", syscall.SIGTERM}} {
		t.Run(stop.name+" during the refresh", func(t *testing.T) {
			t.Parallel()
			nstest.Run(t, func(t *testing.T, env *nstest.Env) {
				links := len(certLinks(t))
				h, before, javaBefore, root := installed(t, env, "system,java")
				// vouch must start with the signal at its default, as from a
				// terminal, even where this test was started with it ignored:
				// a signal Go handles is default again in a child.
				sink := make(chan os.Signal, 1)
				signal.Notify(sink, stop.sig)
				defer signal.Stop(sink)
				// Its own process group, as a terminal's foreground job or
				// timeout's: the signal goes to vouch and to every command it
				// runs.
				cmd := exec.Command(vouchBin, "uninstall")
				cmd.Env = h.env()
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if !waitInGroup(cmd.Process.Pid, "update-ca-certi", time.Minute) {
					t.Errorf("update-ca-certificates never ran in vouch's process group")
				}
				time.Sleep(300 * time.Millisecond) // into the refresh
				if err := syscall.Kill(-cmd.Process.Pid, stop.sig); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				t.Logf("$ vouch uninstall, %s 300 ms into the refresh: %v\n%s", stop.name, err, out.String())
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 1 {
					t.Errorf("the interrupted uninstall ended with %v, want exit 1", err)
				}
				for _, want := range []string{
					"vouch: interrupted: finishing the change under way first, so that no store is left half changed",
					"vouch: system: removed",
					// Debian's hook took the root out of cacerts in the
					// refresh; it had been said to "stay as it was".
					"vouch: error: interrupted: stopped before java, which the system store's refresh already took the root out of, but which are not put back as they were before install yet",
					"vouch: hint: vouch uninstall   (to finish)",
				} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("the interrupted uninstall did not say %q", want)
					}
				}
				// The refresh ran to its end: every link back, the root gone.
				if now := len(certLinks(t)); now != links {
					t.Errorf("links in /etc/ssl/certs: %d before install, %d after the interrupted uninstall", links, now)
				}
				if n := countInBundle(t, root); n != 0 {
					t.Errorf("after the interrupted uninstall, the bundle holds the root %d time(s), want 0", n)
				}
				if res := h.vouch(t, "uninstall"); res.exitCode != 0 {
					t.Errorf("uninstall again, to finish = exit %d, want 0", res.exitCode)
				}
				expectAsBefore(t, env, h, "the interrupted uninstall and the one to finish", before, javaBefore)
			})
		})
	}

	t.Run("partial bundle left by a stopped refresh", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system"}}
			n := len(systemBundle(t))
			// What an update-ca-certificates stopped near its end leaves:
			// the new bundle, not yet renamed. The next one appends to it.
			partial := debBundle + ".new"
			bundle, err := os.ReadFile(debBundle)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(partial, bundle, 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshotStores(t, env)
			res := h.vouch(t, "install")
			hint := "vouch: hint: sudo rm " + partial + " && sudo update-ca-certificates --fresh   (if no update-ca-certificates is running; then: vouch install)"
			if res.exitCode != 1 || !strings.Contains(res.stderr, partial+" is left from an update-ca-certificates that stopped part way") || !strings.Contains(res.stderr, hint) {
				t.Errorf("install over %s = exit %d; want 1, the file named and %q", partial, res.exitCode, hint)
			}
			expectUnchanged(t, env, before)
			// The hint's commands, then install: every root once.
			if err := os.Remove(partial); err != nil {
				t.Fatal(err)
			}
			mustRun(t, os.Environ(), debRefreshTool, "--fresh")
			if res := h.vouch(t, "install"); res.exitCode != 0 {
				t.Errorf("install after the hint's commands = exit %d, want 0", res.exitCode)
			}
			if got := len(systemBundle(t)); got != n+1 {
				t.Errorf("the bundle holds %d certificates after install, want %d (the %d from before and the root)", got, n+1, n)
			}
		})
	})

	t.Run("keytool fails on a full disk", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=java"}}
			// keytool writes cacerts in place, into the pages the file
			// already has and then new ones. With no page free, the root's
			// ~1.1 KB must overflow the last page: pad cacerts (this
			// namespace's copy) until less than 1 KB of it is left.
			for i := 0; ; i++ {
				st, err := os.Stat(debJavaCacerts)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size()%4096 > 3072 {
					break
				}
				key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: fmt.Sprintf("e2e pad %d", i)},
					NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
				der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
				if err != nil {
					t.Fatal(err)
				}
				pad := filepath.Join(env.Home, fmt.Sprintf("pad%d.pem", i))
				writePEM(t, pad, "CERTIFICATE", der, 0o644)
				mustRun(t, os.Environ(), "keytool", "-importcert", "-noprompt", "-alias", fmt.Sprintf("e2e-pad-%d", i), "-file", pad,
					"-keystore", debJavaCacerts, "-storepass", "changeit")
			}
			before := snapshotStores(t, env)
			requireNstestMount(t, "/etc/ssl")
			var st syscall.Statfs_t
			if err := syscall.Statfs("/etc/ssl", &st); err != nil {
				t.Fatal(err)
			}
			nsMount(t, "-o", fmt.Sprintf("remount,size=%d", (st.Blocks-st.Bfree)*uint64(st.Bsize)), "/etc/ssl")
			res := h.vouch(t, "install")
			if res.exitCode != 1 || !strings.Contains(res.stderr, "vouch: error: java: can't install") || !strings.Contains(res.stderr, "o space left on device") {
				t.Errorf("install into Java on a full /etc/ssl = exit %d, want 1, \"java: can't install\" and no space left on device", res.exitCode)
			}
			// cacerts as it was, byte for byte: not cut short by keytool.
			expectUnchanged(t, env, before)
			if res := h.vouch(t, "status"); res.exitCode != 1 || !regexp.MustCompile(`(?m)^java +NOT TRUSTED`).MatchString(res.stdout) {
				t.Errorf("status after the failed install = exit %d, want 1 and java NOT TRUSTED (a keystore it can read)", res.exitCode)
			}
			nsMount(t, "-o", "remount,size=50%", "/etc/ssl")
			if res := h.vouch(t, "install"); res.exitCode != 0 {
				t.Errorf("install once the disk has room = exit %d, want 0", res.exitCode)
			}
			if res := h.vouch(t, "status"); res.exitCode != 0 || !regexp.MustCompile(`(?m)^java +TRUSTED`).MatchString(res.stdout) {
				t.Errorf("status after the second install = exit %d, want 0 and java TRUSTED", res.exitCode)
			}
		})
	})

	t.Run("corrupt CA folder", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			// The system store alone: the others would go on and change theirs.
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system"}}
			caDir := filepath.Join(env.Home, "ca")
			if res := h.vouch(t, "--caroot", caDir, "cert", "--cert-file", filepath.Join(env.Home, "l.pem"),
				"--key-file", filepath.Join(env.Home, "l-key.pem"), "localhost"); res.exitCode != 0 {
				t.Fatalf("cert = exit %d, want 0", res.exitCode)
			}
			rootFile := filepath.Join(caDir, "rootCA.pem")
			data, err := os.ReadFile(rootFile)
			if err != nil {
				t.Fatal(err)
			}
			corrupt := data[:len(data)/2]
			if err := os.WriteFile(rootFile, corrupt, 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshotStores(t, env)
			res := h.vouch(t, "install", "--caroot", caDir)
			if res.exitCode != 1 || !strings.Contains(res.stderr, "vouch: error: ") || !strings.Contains(res.stderr, rootFile) {
				t.Errorf("install with a corrupt %s = exit %d, stderr %q; want 1 and an error naming the file", rootFile, res.exitCode, res.stderr)
			}
			expectUnchanged(t, env, before)
			if got, err := os.ReadFile(rootFile); err != nil || !bytes.Equal(got, corrupt) {
				t.Errorf("after the failed install, %s changed (or is gone: %v); vouch must not replace a broken CA", rootFile, err)
			}
			if res := h.vouch(t, "status", "--caroot", caDir); res.exitCode != 1 {
				t.Errorf("status with a corrupt CA = exit %d, want 1", res.exitCode)
			}
		})
	})

	// A damaged cacerts (here a JKS whose chain count says 2^32-1) is an
	// error, never a crash, and install runs no refresh: Debian's Java hook
	// would fail on the file and leave its package half-configured. The
	// commands the error names, run for real, make cacerts anew, and then
	// install trusts the root in Java too.
	t.Run("damaged Java cacerts", func(t *testing.T) {
		t.Parallel()
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system,java"}}
			var damaged []byte
			for _, v := range []uint32{0xFEEDFEED, 2, 1, 1} {
				damaged = binary.BigEndian.AppendUint32(damaged, v)
			}
			damaged = append(damaged, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF)
			if err := os.WriteFile(debJavaCacerts, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshotStores(t, env)
			res := h.vouch(t, "install")
			fix := "sudo rm " + debJavaCacerts + " && sudo dpkg --configure -a && sudo update-ca-certificates --fresh makes it anew"
			for _, want := range []string{"vouch: error: java: the system store's refresh runs Debian's Java hook, which would fail on " + debJavaCacerts,
				"a damaged JKS keystore: ", fix, "; nothing was installed"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("install with a damaged cacerts: stderr lacks %q", want)
				}
			}
			if res.exitCode != 1 || strings.Contains(res.stderr, "fatal error") {
				t.Errorf("install with a damaged cacerts = exit %d, want 1 and no crash", res.exitCode)
			}
			expectUnchanged(t, env, before)
			if audit, err := runCmd(context.Background(), h.env(), "", time.Minute, "dpkg", "--audit"); err != nil || audit.exitCode != 0 || audit.stdout != "" {
				t.Errorf("dpkg --audit after the refused install: %v\n%v", err, audit)
			}
			// The fix, as root.
			if err := os.Remove(debJavaCacerts); err != nil {
				t.Fatal(err)
			}
			mustRun(t, h.env(), "dpkg", "--configure", "-a")
			mustRun(t, h.env(), debRefreshTool, "--fresh")
			res = h.vouch(t, "install")
			if res.exitCode != 0 || !strings.Contains(res.stderr, "system: trusted now") || !strings.Contains(res.stderr, "java: trusted now") {
				t.Errorf("install after the fix = exit %d, stderr %q; want 0, system and java trusted now", res.exitCode, res.stderr)
			}
			root := readOneCert(t, filepath.Join(env.Home, ".local", "share", "vouch", "rootCA.pem"))
			entries := debJavaEntries(t, h)
			if got := entries[javaAlias(root)]; got != colonSHA256(root) || len(entries) < 100 {
				t.Errorf("the remade cacerts holds %d entries, %s as %q; want the public roots and the vouch root (%s)", len(entries), javaAlias(root), got, colonSHA256(root))
			}
		})
	})

	// Debian's p11-kit has no writable location for `trust anchor --store`.
	// vouch uses it only for the Arch layout, which it picks when p11-kit's
	// trust-source folder exists and update-ca-certificates can't run.
	t.Run("p11-kit trust has nowhere to store", func(t *testing.T) {
		t.Parallel()
		requireTools(t, toolTrust)
		nstest.Run(t, func(t *testing.T, env *nstest.Env) {
			// The system store alone: the others would go on and change theirs.
			h := &sysHost{home: env.Home, extra: []string{"TRUST_STORES=system"}}
			if err := os.MkdirAll(filepath.Join(archTrustDir, "anchors"), 0o755); err != nil {
				t.Fatal(err)
			}
			notExec := filepath.Join(env.Home, "update-ca-certificates.not-executable")
			if err := os.WriteFile(notExec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			requirePrivateNamespace(t)
			nsMount(t, "--bind", notExec, debRefreshTool)
			before := snapshotStores(t, env)
			res := h.vouch(t, "install")
			for _, want := range []string{"vouch: error: system: can't install", "trust anchor --store",
				"p11-kit: no configured writable location to store anchors"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("install through p11-kit's trust: stderr lacks %q", want)
				}
			}
			if res.exitCode != 1 {
				t.Errorf("install through p11-kit's trust = exit %d, want 1", res.exitCode)
			}
			expectUnchanged(t, env, before)
			st := parseStatus(t, h.vouch(t, "status", "--json"))
			if sys := st.system(); sys == nil || sys.Where != "arch" || sys.State != "not trusted" {
				t.Errorf("status --json stores = %+v, want system where \"arch\", state \"not trusted\"", st.Stores)
			}
		})
	})
}

// TestSystemStaleAnchor installs the roots of two CA folders, A then B, and
// checks that B's status names A's anchor as stale, that B's uninstall
// leaves it, and that B's uninstall --all-vouch-roots takes it out.
func TestSystemStaleAnchor(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home}
		before := snapshotStores(t, env)
		javaBefore := debJavaEntries(t, h)
		dirA, dirB := filepath.Join(env.Home, "ca-a"), filepath.Join(env.Home, "ca-b")

		for _, dir := range []string{dirA, dirB} {
			if res := h.vouch(t, "install", "--caroot", dir); res.exitCode != 0 {
				t.Fatalf("install --caroot %s = exit %d, want 0", dir, res.exitCode)
			}
		}
		rootA := readOneCert(t, filepath.Join(dirA, "rootCA.pem"))
		rootB := readOneCert(t, filepath.Join(dirB, "rootCA.pem"))
		anchorA := filepath.Join(debAnchorDir, anchorName(rootA))
		anchorB := filepath.Join(debAnchorDir, anchorName(rootB))

		st := h.checkStatus(t, 0, "trusted", "--caroot", dirB)
		if sys := st.system(); sys != nil && !slices.Equal(sys.Stale, []string{anchorA}) {
			t.Errorf("status --caroot B: stale = %q, want [%s]", sys.Stale, anchorA)
		}
		if res := h.vouch(t, "status", "--caroot", dirB); !strings.Contains(res.stdout, "stale anchor(s) from other vouch roots: "+anchorA) {
			t.Errorf("status --caroot B does not name %s as a stale anchor", anchorA)
		}

		res := h.vouch(t, "uninstall", "--caroot", dirB)
		if res.exitCode != 0 {
			t.Fatalf("uninstall --caroot B = exit %d, want 0", res.exitCode)
		}
		if got := vouchAnchors(t); !slices.Equal(got, []string{filepath.Base(anchorA)}) {
			t.Errorf("after uninstall --caroot B, vouch anchors = %q, want only A's %s", got, filepath.Base(anchorA))
		}
		if n := countInBundle(t, rootB); n != 0 {
			t.Errorf("after uninstall --caroot B, the bundle holds B's root %d time(s), want 0", n)
		}
		h.checkStatus(t, 0, "trusted", "--caroot", dirA)
		st = h.checkStatus(t, 1, "not trusted", "--caroot", dirB)
		if sys := st.system(); sys != nil && !slices.Equal(sys.Stale, []string{anchorA}) {
			t.Errorf("status --caroot B after its uninstall: stale = %q, want [%s]", sys.Stale, anchorA)
		}

		res = h.vouch(t, "uninstall", "--caroot", dirB, "--all-vouch-roots")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") {
			t.Fatalf("uninstall --caroot B --all-vouch-roots = exit %d, stderr %q; want 0 and \"system: removed\"", res.exitCode, res.stderr)
		}
		if got := vouchAnchors(t); len(got) != 0 {
			t.Errorf("after uninstall --all-vouch-roots, vouch anchors = %q, want none", got)
		}
		if _, err := os.Lstat(anchorB); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(%s) = %v, want not exist", anchorB, err)
		}
		h.checkStatus(t, 1, "not trusted", "--caroot", dirA)
		checkRemoved(t, h, rootA)
		checkRemoved(t, h, rootB)

		// Byte-identical, cacerts included: the copy vouch kept of it
		// before A's install is the one that matches once both are gone.
		expectAsBefore(t, env, h, "two installs and the uninstalls", before, javaBefore)
	})
}

// TestSystemRotateLifecycle: install, vouch rotate (the new root trusted
// where the old one is, the old one kept), then the uninstalls in the
// order rotate's hints give them, the retired CA's first, or one
// uninstall --purge of the CA folder, which takes out both. The trust
// stores end byte-identical to before, Java's cacerts and Chromium's NSS
// database included: the hook rebuilds cacerts at each uninstall, and
// certutil -D rewrites the database, so the copy from before the first
// install is kept until it matches.
func TestSystemRotateLifecycle(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	for _, purgeAll := range []bool{false, true} {
		name := map[bool]string{false: "retired CA first, as rotate says", true: "uninstall --purge alone"}[purgeAll]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testRotateLifecycle(t, purgeAll)
		})
	}
}

// testRotateLifecycle is one TestSystemRotateLifecycle: with purgeAll,
// the one uninstall --purge of the CA folder takes out the retired root
// too (newest first), else the retired CA goes first with its own.
func testRotateLifecycle(t *testing.T, purgeAll bool) {
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home}
		// Chromium's NSS database too: certutil can't take an entry out
		// and leave the files as they were, so vouch puts back its copy.
		nssdb := filepath.Join(env.Home, ".pki", "nssdb")
		if err := os.MkdirAll(nssdb, 0o700); err != nil {
			t.Fatal(err)
		}
		mustRun(t, h.env(), "certutil", "-N", "-d", "sql:"+nssdb, "--empty-password")
		nssBefore, err := nstest.Snapshot(nssdb)
		if err != nil {
			t.Fatal(err)
		}
		before := snapshotStores(t, env)
		javaBefore := debJavaEntries(t, h)
		dir := filepath.Join(env.Home, "ca")

		if res := h.vouch(t, "install", "--caroot", dir); res.exitCode != 0 {
			t.Fatalf("install = exit %d, want 0", res.exitCode)
		}
		oldRoot := readOneCert(t, filepath.Join(dir, "rootCA.pem"))
		res := h.vouch(t, "rotate", "--caroot", dir)
		if res.exitCode != 0 {
			t.Fatalf("rotate = exit %d, want 0", res.exitCode)
		}
		for _, want := range []string{"vouch: trusting the new root where the old one is trusted: system, nss, java\n", "vouch: system: trusted now", "vouch: nss: trusted now"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("rotate: stderr lacks %q", want)
			}
		}
		newRoot := readOneCert(t, filepath.Join(dir, "rootCA.pem"))
		if newRoot.Equal(oldRoot) {
			t.Fatal("rotate kept the same root")
		}
		checkInstalled(t, h, oldRoot)
		checkInstalled(t, h, newRoot)
		retired, err := filepath.Glob(filepath.Join(dir, "retired", "*"))
		if err != nil || len(retired) != 1 {
			t.Fatalf("retired CAs = %q, %v; want one", retired, err)
		}
		res = h.vouch(t, "status", "--caroot", dir)
		if want := filepath.Join(debAnchorDir, anchorName(oldRoot)) + " holds the root of the CA vouch rotate retired to " + retired[0]; res.exitCode != 0 || !strings.Contains(res.stdout, want) {
			t.Errorf("status after rotate = exit %d, stdout lacks %q", res.exitCode, want)
		}

		if !purgeAll {
			res = h.vouch(t, "uninstall", "--caroot", retired[0], "--purge")
			if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") || !strings.Contains(res.stderr, "nss: removed") || !strings.Contains(res.stderr, "java: removed, by the system store's refresh") {
				t.Fatalf("uninstall of the retired CA = exit %d, stderr %q; want 0, system, nss and java removed", res.exitCode, res.stderr)
			}
			checkRemoved(t, h, oldRoot)
			checkInstalled(t, h, newRoot)
		}

		res = h.vouch(t, "uninstall", "--caroot", dir, "--purge")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") || !strings.Contains(res.stderr, "vouch: nss: removed\n") || !strings.Contains(res.stderr, "vouch: java: removed\n") {
			t.Fatalf("uninstall = exit %d, stderr %q; want 0, system and nss removed, java put back", res.exitCode, res.stderr)
		}
		if said := strings.Contains(res.stderr, "the CA vouch rotate retired to "+retired[0]+" goes with the folder"); said != purgeAll {
			t.Errorf("uninstall --purge: saying the retired CA goes too is %v, want %v; stderr %q", said, purgeAll, res.stderr)
		}
		checkRemoved(t, h, oldRoot)
		nssAfter, err := nstest.Snapshot(nssdb)
		if err != nil {
			t.Fatal(err)
		}
		if d := nstest.Diff(nssBefore, nssAfter); d != "" {
			t.Errorf("after install, rotate and both uninstalls, %s differs from before:\n%s", nssdb, d)
		}
		checkRemoved(t, h, newRoot)
		expectAsBefore(t, env, h, "install, rotate and both uninstalls", before, javaBefore)
	})
}

// sysHost runs vouch and tools inside a body's namespace, with its HOME.
type sysHost struct {
	home  string
	extra []string // more environment, after sandboxEnv's
}

func (h *sysHost) env(extra ...string) []string {
	return sandboxEnv(h.home, append(slices.Clone(h.extra), extra...)...)
}

// vouch runs the vouch binary and logs what it did.
func (h *sysHost) vouch(t *testing.T, args ...string) result {
	t.Helper()
	start := time.Now()
	res, err := runCmd(context.Background(), h.env(), "", 3*time.Minute, vouchBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("$ vouch %s  (%v)\n%v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), res)
	return res
}

// issueDefault issues a leaf for hosts from the CA in the default folder.
func (h *sysHost) issueDefault(t *testing.T, hosts ...string) *leaf {
	t.Helper()
	return issueWith(t, h.vouch, hosts...)
}

// sysStatus is the part of `vouch status --json` these tests read.
type sysStatus struct {
	CA *struct {
		Folder      string `json:"folder"`
		Fingerprint string `json:"fingerprint_sha256"`
	} `json:"ca"`
	Stores  []storeStatus `json:"stores"`
	Trusted bool          `json:"trusted"`
}

type storeStatus struct {
	Store  string   `json:"store"`
	State  string   `json:"state"`
	Reason string   `json:"reason"`
	Where  string   `json:"where"`
	Stale  []string `json:"stale"`
}

// system is the system store's entry, nil if status listed none (other
// stores may be listed too).
func (st sysStatus) system() *storeStatus {
	for i := range st.Stores {
		if st.Stores[i].Store == "system" {
			return &st.Stores[i]
		}
	}
	return nil
}

func parseStatus(t *testing.T, res result) sysStatus {
	t.Helper()
	var st sysStatus
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
		t.Fatalf("status --json printed %q: %v", res.stdout, err)
	}
	return st
}

// checkStatus runs status and status --json (with args) and checks the exit
// codes and the system store's state, found in the Debian layout.
func (h *sysHost) checkStatus(t *testing.T, wantCode int, wantState string, args ...string) sysStatus {
	t.Helper()
	text := h.vouch(t, append([]string{"status"}, args...)...)
	if text.exitCode != wantCode {
		t.Errorf("status %q = exit %d, want %d", args, text.exitCode, wantCode)
	}
	res := h.vouch(t, append([]string{"status", "--json"}, args...)...)
	if res.exitCode != wantCode {
		t.Errorf("status --json %q = exit %d, want %d", args, res.exitCode, wantCode)
	}
	st := parseStatus(t, res)
	if sys := st.system(); sys == nil || sys.State != wantState || sys.Where != "debian" || st.Trusted != (wantCode == 0) {
		t.Errorf("status --json %q: stores %+v, trusted %v; want system %q, where debian, trusted %v",
			args, st.Stores, st.Trusted, wantState, wantCode == 0)
	}
	return st
}

// anchorName is the README's name for vouch's anchor of root.
func anchorName(root *x509.Certificate) string {
	sum := sha256.Sum256(root.Raw)
	return "vouch-" + hex.EncodeToString(sum[:8]) + ".crt"
}

// colonSHA256 is a certificate's SHA-256 the way keytool prints it.
func colonSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return strings.ToUpper(strings.ReplaceAll(fmt.Sprintf("% x", sum[:]), " ", ":"))
}

// javaAlias is the alias Debian's Java hook gives the root vouch anchored:
// "debian:" and the name of its link in /etc/ssl/certs.
func javaAlias(root *x509.Certificate) string {
	return "debian:" + strings.TrimSuffix(anchorName(root), ".crt") + ".pem"
}

// checkInstalled checks every trace the Debian layout and its hooks leave
// for an installed root: the anchor, its links, the bundle, Java's entry.
func checkInstalled(t *testing.T, h *sysHost, root *x509.Certificate) {
	t.Helper()
	anchor := filepath.Join(debAnchorDir, anchorName(root))
	if data, err := os.ReadFile(anchor); err != nil || !bytes.Equal(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw})) {
		t.Errorf("ReadFile(%s) = %v; want the root's PEM", anchor, err)
	}
	if info, err := os.Stat(anchor); err == nil && info.Mode().Perm() != 0o644 {
		t.Errorf("%s has mode %v, want 0644", anchor, info.Mode().Perm())
	}
	if n := countInBundle(t, root); n != 1 {
		t.Errorf("%s holds the root %d time(s), want 1", debBundle, n)
	}
	links := vouchLinks(t, root)
	pemLink := strings.TrimSuffix(anchorName(root), ".crt") + ".pem"
	if len(links) != 2 || links[pemLink] != anchor {
		t.Errorf("links in %s to the anchor = %v, want %s -> %s and a hash link to it", debCertsDir, links, pemLink, anchor)
	}
	entries := debJavaEntries(t, h)
	alias := javaAlias(root)
	if got := entries[alias]; got != colonSHA256(root) {
		t.Errorf("%s entry %q has SHA-256 %q, want the root's %s (Debian's Java hook did not add it)", debJavaCacerts, alias, got, colonSHA256(root))
	} else {
		t.Logf("Debian's Java hook added %s with the root's SHA-256 %s", alias, got)
	}
}

// checkRemoved checks that no trace of root is left in the system store or
// in Java's, and that Java itself no longer trusts it.
func checkRemoved(t *testing.T, h *sysHost, root *x509.Certificate) {
	t.Helper()
	anchor := filepath.Join(debAnchorDir, anchorName(root))
	if _, err := os.Lstat(anchor); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Lstat(%s) = %v, want not exist", anchor, err)
	}
	if n := countInBundle(t, root); n != 0 {
		t.Errorf("%s holds the root %d time(s), want 0", debBundle, n)
	}
	if links := vouchLinks(t, root); len(links) != 0 {
		t.Errorf("links left in %s for the root: %v", debCertsDir, links)
	}
	fp := colonSHA256(root)
	for alias, sum := range debJavaEntries(t, h) {
		if sum == fp {
			t.Errorf("%s still has entry %q with the root's SHA-256: Java still trusts it", debJavaCacerts, alias)
		}
	}
}

// systemBundle parses the system bundle.
func systemBundle(t *testing.T) []*x509.Certificate {
	t.Helper()
	return readCerts(t, debBundle)
}

func countInBundle(t *testing.T, c *x509.Certificate) int {
	t.Helper()
	n := 0
	for _, b := range systemBundle(t) {
		if b.Equal(c) {
			n++
		}
	}
	return n
}

// installed runs vouch install for stores (as TRUST_STORES) and gives its
// host, the trust stores and Java's entries from before, and the root.
func installed(t *testing.T, env *nstest.Env, stores string) (h *sysHost, before string, javaBefore map[string]string, root *x509.Certificate) {
	t.Helper()
	h = &sysHost{home: env.Home, extra: []string{"TRUST_STORES=" + stores}}
	before = snapshotStores(t, env)
	javaBefore = debJavaEntries(t, h)
	if res := h.vouch(t, "install"); res.exitCode != 0 {
		t.Fatalf("install = exit %d, want 0", res.exitCode)
	}
	return h, before, javaBefore, readOneCert(t, filepath.Join(env.Home, ".local", "share", "vouch", "rootCA.pem"))
}

// waitInGroup waits until a process named comm (as /proc shows it, cut
// to 15 bytes) runs in process group pgrp, and reports whether one did.
func waitInGroup(pgrp int, comm string, limit time.Duration) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, p := range stats {
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			// pid (comm) state ppid pgrp ...; comm may hold spaces.
			lp, rp := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
			if lp < 0 || rp < lp {
				continue
			}
			f := strings.Fields(string(data[rp+1:]))
			if string(data[lp+1:rp]) == comm && len(f) > 2 && f[2] == strconv.Itoa(pgrp) {
				return true
			}
		}
	}
	return false
}

// certLinks lists the symbolic links in /etc/ssl/certs (one per root and
// one per subject hash, on Debian).
func certLinks(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/etc/ssl/certs")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type()&fs.ModeSymlink != 0 {
			names = append(names, e.Name())
		}
	}
	return names
}

// vouchAnchors lists the vouch-*.crt files in the anchor folder.
func vouchAnchors(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(debAnchorDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "vouch-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// vouchLinks maps each symbolic link in /etc/ssl/certs that leads to root's
// anchor (directly, or through its .pem link) to its target.
func vouchLinks(t *testing.T, root *x509.Certificate) map[string]string {
	t.Helper()
	anchor := filepath.Join(debAnchorDir, anchorName(root))
	pemLink := strings.TrimSuffix(anchorName(root), ".crt") + ".pem"
	entries, err := os.ReadDir(debCertsDir)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, e := range entries {
		if e.Type() != fs.ModeSymlink {
			continue
		}
		target, err := os.Readlink(filepath.Join(debCertsDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if target == anchor || target == pemLink || filepath.Base(target) == pemLink {
			links[e.Name()] = target
		}
	}
	return links
}

var (
	keytoolAlias  = regexp.MustCompile(`(?m)^Alias name: (.*)$`)
	keytoolSHA256 = regexp.MustCompile(`(?m)^\s*SHA256: ([0-9A-F:]+)\s*$`)
)

// debJavaEntries lists Debian's Java cacerts: alias to SHA-256 fingerprint.
func debJavaEntries(t *testing.T, h *sysHost) map[string]string {
	t.Helper()
	res, err := runCmd(context.Background(), h.env(), "", 2*time.Minute, "keytool", "-list", "-v",
		"-keystore", debJavaCacerts, "-storepass", "changeit")
	if err != nil {
		t.Fatal(err)
	}
	if res.exitCode != 0 {
		t.Fatalf("keytool -list -v -keystore %s = exit %d\n%v", debJavaCacerts, res.exitCode, res)
	}
	entries := map[string]string{}
	// Each entry starts with its alias; its SHA-256 follows.
	for _, block := range strings.Split(res.stdout, "Alias name: ")[1:] {
		block = "Alias name: " + block
		alias := keytoolAlias.FindStringSubmatch(block)
		sum := keytoolSHA256.FindStringSubmatch(block)
		if alias == nil || sum == nil {
			t.Fatalf("keytool -list -v: an entry without alias or SHA-256:\n%s", block)
		}
		entries[strings.TrimSpace(alias[1])] = sum[1]
	}
	if len(entries) == 0 {
		t.Fatalf("keytool -list -v -keystore %s listed no entries\n%v", debJavaCacerts, res)
	}
	return entries
}

// diffEntries names the entries added, removed or changed from a to b.
func diffEntries(a, b map[string]string) string {
	var out []string
	for alias, sum := range b {
		if old, ok := a[alias]; !ok {
			out = append(out, "added "+alias+" "+sum)
		} else if old != sum {
			out = append(out, "changed "+alias+" "+old+" => "+sum)
		}
	}
	for alias, sum := range a {
		if _, ok := b[alias]; !ok {
			out = append(out, "removed "+alias+" "+sum)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// snapshotStores lists every trust path the namespace copied, and /etc/pki
// (absent on Debian, listed as such).
func snapshotStores(t *testing.T, env *nstest.Env) string {
	t.Helper()
	paths := slices.Clone(env.Paths)
	if !slices.Contains(paths, "/etc/pki") {
		paths = append(paths, "/etc/pki")
	}
	s, err := nstest.Snapshot(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expectUnchanged fails t if the trust stores differ from before.
func expectUnchanged(t *testing.T, env *nstest.Env, before string) {
	t.Helper()
	if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
		t.Errorf("the trust stores changed:\n%s", d)
	}
}

// expectAsBefore fails t unless, after what, the trust stores are
// byte-identical to before and Java's cacerts holds the same entries
// (named too, to say what changed when its bytes did).
func expectAsBefore(t *testing.T, env *nstest.Env, h *sysHost, what, before string, javaBefore map[string]string) {
	t.Helper()
	if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
		t.Errorf("after %s, the trust stores differ from before:\n%s", what, d)
	} else {
		t.Logf("after %s, the trust stores are byte-identical to before, %s included", what, debJavaCacerts)
	}
	if d := diffEntries(javaBefore, debJavaEntries(t, h)); d != "" {
		t.Errorf("%s after %s holds other entries than before:\n%s", debJavaCacerts, what, d)
	}
}

// modTimes maps every entry under the trust paths to its modification time.
func modTimes(t *testing.T, env *nstest.Env) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	for _, root := range env.Paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			m[p] = info.ModTime()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

var straceExecve = regexp.MustCompile(`(?m)^\d+\s+execve\("([^"]*)"`)

// expectNoOp runs vouch with args under strace and checks that it exits 0,
// runs no program at all (the only execve is strace starting vouch), and
// leaves every file of the trust stores as it was, down to mtimes.
func expectNoOp(t *testing.T, env *nstest.Env, h *sysHost, extraEnv []string, args ...string) {
	t.Helper()
	before, times := snapshotStores(t, env), modTimes(t, env)
	trace := filepath.Join(t.TempDir(), "execve.trace")
	straceArgs := append([]string{"-f", "-qq", "-s", "4096", "-e", "trace=execve", "-o", trace, vouchBin}, args...)
	res, err := runCmd(context.Background(), h.env(extraEnv...), "", time.Minute, "strace", straceArgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("$ strace -f -e trace=execve vouch %s\n%v", strings.Join(args, " "), res)
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	execs := straceExecve.FindAllStringSubmatch(string(data), -1)
	if res.exitCode != 0 {
		t.Errorf("vouch %s (again) = exit %d, want 0", strings.Join(args, " "), res.exitCode)
	}
	if args[0] == "install" && !strings.Contains(res.stderr, "system: already trusted, nothing to do") {
		t.Errorf("vouch install (again): stderr %q lacks \"system: already trusted, nothing to do\"", res.stderr)
	}
	if len(execs) != 1 || execs[0][1] != vouchBin {
		t.Errorf("vouch %s ran programs; strace saw these execve calls, want only %s:\n%s", strings.Join(args, " "), vouchBin, data)
	} else {
		t.Logf("vouch %s: strace saw one execve, vouch's own; no other program ran", strings.Join(args, " "))
	}
	expectUnchanged(t, env, before)
	after := modTimes(t, env)
	for p, mt := range times {
		if got, ok := after[p]; ok && !got.Equal(mt) {
			t.Errorf("vouch %s touched %s (mtime %v => %v)", strings.Join(args, " "), p, mt, got)
		}
	}
}

// requirePrivateNamespace fails t unless this process is nstest's child,
// in a mount namespace other than its parent's: the check before any mount.
func requirePrivateNamespace(t *testing.T) {
	t.Helper()
	self, err := os.Readlink("/proc/self/ns/mnt")
	parent := os.Getenv("VOUCH_NSTEST_PARENTNS")
	if err != nil || parent == "" || self == parent {
		t.Fatalf("refusing to mount: not inside nstest's own mount namespace (self %q, %v; parent %q)", self, err, parent)
	}
}

// requireNstestMount fails t unless path is a mount point of its own in
// this namespace (the tmpfs copy nstest made), so that changing that mount
// changes nothing below it.
func requireNstestMount(t *testing.T, path string) {
	t.Helper()
	requirePrivateNamespace(t)
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if ok && len(fields) >= 5 && len(tail) >= 2 && fields[4] == path && tail[0] == "tmpfs" && tail[1] == "nstest" {
			return
		}
	}
	t.Fatalf("refusing to remount %s: it is not nstest's tmpfs copy in this namespace", path)
}

// nsMount runs mount(8) in this namespace.
func nsMount(t *testing.T, args ...string) {
	t.Helper()
	requirePrivateNamespace(t)
	res, err := runCmd(context.Background(), os.Environ(), "", time.Minute, "mount", args...)
	if err != nil {
		t.Fatal(err)
	}
	if res.exitCode != 0 {
		t.Fatalf("mount %q = exit %d\n%v", args, res.exitCode, res)
	}
}

// standInRefresh bind-mounts, in this namespace only, a script that fails
// over update-ca-certificates, where vouch looks for it.
func standInRefresh(t *testing.T, env *nstest.Env) {
	t.Helper()
	script := filepath.Join(env.Home, "update-ca-certificates.stand-in")
	body := "#!/bin/sh\necho \"stand-in's stdout\"\necho \"update-ca-certificates stand-in refusing on purpose (args: $*)\" >&2\nexit 3\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	nsMount(t, "--bind", script, debRefreshTool)
}

func umountStandIn(t *testing.T) {
	t.Helper()
	requirePrivateNamespace(t)
	res, err := runCmd(context.Background(), os.Environ(), "", time.Minute, "umount", debRefreshTool)
	if err != nil || res.exitCode != 0 {
		t.Fatalf("umount %s: %v\n%v", debRefreshTool, err, res)
	}
}

// serveAt serves l over TLS on addr (an IP) and a free port.
func serveAt(t *testing.T, l *leaf, addr string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	marker := "vouch-e2e-system-" + hex.EncodeToString(b)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		fmt.Fprintf(w, "<!DOCTYPE html><title>%s</title><p>%s</p>\n", marker, marker)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{l.pair}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return &server{port: port, marker: marker}
}

// sysClient is a real client that trusts what the system store trusts.
type sysClient struct {
	name  string
	check probe
}

// addrOf is where a target's host is served: its own address, or
// 127.0.0.1 for localhost.
func addrOf(tg target) string {
	if tg.isIP() {
		return tg.host
	}
	return "127.0.0.1"
}

// systemClients are the clients that read the system store, each given no
// trust flag, file or variable of its own. Every check is a fresh process.
func systemClients(t *testing.T, h *sysHost) []sysClient {
	t.Helper()
	env := h.env()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	res, err := runCmd(context.Background(), env, "", time.Minute, "python3", "-c", "import sys; print(sys.executable)")
	if err != nil || res.exitCode != 0 {
		t.Fatalf("python3 -c 'print(sys.executable)' = %v, %v", err, res)
	}
	python := strings.TrimSpace(res.stdout)
	pyProbe, jsProbe := testdata(t, "probe.py"), testdata(t, "probe.js")
	classes := filepath.Join(h.home, "java-classes")
	mustRun(t, env, "javac", "-d", classes, testdata(t, "Probe.java"))
	hosts := filepath.Join(h.home, "java-hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	return []sysClient{
		{"curl", func(ctx context.Context, tg target) (outcome, error) {
			return curlVerdict(ctx, env, tg, addrOf(tg))
		}},
		{"openssl s_client", func(ctx context.Context, tg target) (outcome, error) {
			// No -CAfile or -CApath: OpenSSL's default verify paths.
			args := []string{"s_client", "-connect", net.JoinHostPort(addrOf(tg), tg.port), "-verify_return_error", "-ign_eof"}
			if !tg.isIP() {
				args = append(args, "-servername", tg.host)
			}
			args = append(args, hostCheck(tg)...)
			res, err := runCmd(ctx, env, "GET / HTTP/1.0\r\nHost: "+tg.host+"\r\n\r\n", time.Minute, "openssl", args...)
			switch {
			case err != nil:
				return outcome{}, err
			case res.exitCode == 0 && strings.Contains(res.stdout, "Verify return code: 0 (ok)"):
				return accepted(tg, res)
			case res.exitCode != 0 && sClientVerifyError.MatchString(res.stdout+res.stderr):
				return outcome{detail: firstMatch(sClientVerifyError, res.stdout+res.stderr)}, nil
			}
			return outcome{}, fmt.Errorf("openssl s_client gave no verdict\n%v", res)
		}},
		{"go", func(ctx context.Context, tg target) (outcome, error) {
			// A fresh Go process: Go loads the system roots once per process.
			res, err := runCmd(ctx, append(slices.Clone(env), goProbeEnv+"=1"), "", time.Minute, exe, tg.url(), addrOf(tg))
			return scriptVerdict("go", tg, res, err)
		}},
		{"python", func(ctx context.Context, tg target) (outcome, error) {
			res, err := runCmd(ctx, env, "", time.Minute, python, pyProbe, tg.url(), addrOf(tg))
			return scriptVerdict("python3", tg, res, err)
		}},
		{"node", func(ctx context.Context, tg target) (outcome, error) {
			res, err := runCmd(ctx, env, "", time.Minute, "node", "--use-openssl-ca", jsProbe, tg.url(), addrOf(tg))
			return scriptVerdict("node", tg, res, err)
		}},
		{"java", func(ctx context.Context, tg target) (outcome, error) {
			// No trustStore property: the JDK's cacerts, which on Debian is
			// the hook's /etc/ssl/certs/java/cacerts.
			res, err := runCmd(ctx, env, "", time.Minute, "java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
				"-Djdk.net.hosts.file="+hosts, "-cp", classes, "Probe", tg.url())
			return scriptVerdict("java", tg, res, err)
		}},
	}
}

// expectVerdicts asks every client about every target, a few at a time,
// and fails t for each verdict that is not want, or not a verdict at all.
func expectVerdicts(t *testing.T, phase string, clients []sysClient, targets []target, want bool) {
	t.Helper()
	type row struct {
		client string
		tg     target
		out    outcome
		err    error
	}
	var rows []*row
	for _, c := range clients {
		for _, tg := range targets {
			rows = append(rows, &row{client: c.name, tg: tg})
		}
	}
	checks := map[string]probe{}
	for _, c := range clients {
		checks[c.name] = c.check
	}
	start := time.Now()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, r := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r.out, r.err = checks[r.client](context.Background(), r.tg)
		}()
	}
	wg.Wait()
	var b strings.Builder
	for _, r := range rows {
		verdict := "REJECT"
		switch {
		case r.err != nil:
			verdict = "NO VERDICT"
			t.Errorf("%s: %s %s gave no verdict: %v", phase, r.client, r.tg.url(), r.err)
		case r.out.accepted:
			verdict = "ACCEPT"
		}
		if r.err == nil && r.out.accepted != want {
			t.Errorf("%s: %s %s = %s (%s), want %s", phase, r.client, r.tg.url(), verdict, r.out.detail, map[bool]string{true: "ACCEPT", false: "REJECT"}[want])
		}
		fmt.Fprintf(&b, "  %-16s %-28s %-6s %s\n", r.client, r.tg.url(), verdict, r.out.detail)
	}
	t.Logf("%s: %d verdicts in %v\n%s", phase, len(rows), time.Since(start).Round(time.Millisecond), b.String())
}

// goProbeEnv set to 1 makes the test binary a Go client (goProbeMain).
const goProbeEnv = "VOUCH_E2E_GO_PROBE"

// goProbeMain fetches URL (args[0]) with Go's default TLS settings, so the
// system roots, connecting to ADDR (args[1]) whatever the host. It follows
// the testdata probes' convention: exit 0 with the page on stdout, exit 3
// with "REJECT reason" when the certificate is not trusted, 1 otherwise.
func goProbeMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: VOUCH_E2E_GO_PROBE=1 e2e.test URL ADDR")
		return 2
	}
	u, err := neturl.Parse(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var dialer net.Dialer
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, net.JoinHostPort(args[1], u.Port()))
			},
			DisableKeepAlives: true,
		},
	}
	resp, err := client.Get(args[0])
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		fmt.Println("REJECT", verr.Err)
		return 3
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestSystemMkcertUninstall: an mkcert CA that mkcert -install trusted,
// made here as mkcert makes it (its files, its anchor name, its NSS
// nickname, then the real update-ca-certificates). With alias
// mkcert=vouch, mkcert -uninstall must take it out of every store, as
// mkcert's own does; plain vouch uninstall leaves mkcert's entries.
func TestSystemMkcertUninstall(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		caroot := filepath.Join(env.Home, "mkcert")
		h := &sysHost{home: env.Home, extra: []string{"CAROOT=" + caroot}}
		root := writeMkcertCA(t, caroot)
		nssdb := "sql:" + filepath.Join(env.Home, ".pki", "nssdb")
		if err := os.MkdirAll(nssdb[4:], 0o700); err != nil {
			t.Fatal(err)
		}
		mustRun(t, h.env(), "certutil", "-N", "-d", nssdb, "--empty-password")

		// What mkcert -install does on Debian.
		name := "mkcert_development_CA_" + root.SerialNumber.String() + ".crt"
		anchor := filepath.Join(debAnchorDir, name)
		rootFile := filepath.Join(caroot, "rootCA.pem")
		mustRun(t, h.env(), "cp", rootFile, anchor)
		mustRun(t, h.env(), "update-ca-certificates")
		mustRun(t, h.env(), "certutil", "-A", "-d", nssdb, "-t", "C,,", "-n", "mkcert development CA "+root.SerialNumber.String(), "-i", rootFile)
		if n := countInBundle(t, root); n != 1 {
			t.Fatalf("after mkcert's install the bundle holds the root %d time(s), want 1", n)
		}

		res := h.vouch(t, "uninstall")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "vouch: hint: vouch uninstall --mkcert") {
			t.Errorf("uninstall = exit %d, stderr %q; want 0 and the --mkcert hint", res.exitCode, res.stderr)
		}
		// Debian's hook imported mkcert's anchor into Java's cacerts; that
		// alias stays with the anchor it came from.
		for _, store := range []string{"system", "nss", "java"} {
			if !strings.Contains(res.stderr, "vouch: warning: "+store+": still trusted") {
				t.Errorf("plain uninstall does not say %s still trusts mkcert's root (through mkcert's entry)", store)
			}
		}
		if _, err := os.Stat(anchor); err != nil {
			t.Errorf("plain uninstall took mkcert's anchor out: %v", err)
		}

		res = h.vouch(t, "-uninstall")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "vouch: system: removed\n") || !strings.Contains(res.stderr, "vouch: nss: removed\n") || !strings.Contains(res.stderr, "vouch: java: removed, by the system store's refresh\n") {
			t.Fatalf("-uninstall = exit %d, stderr %q; want 0, system, nss and java removed", res.exitCode, res.stderr)
		}
		if _, err := os.Stat(anchor); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("-uninstall left mkcert's anchor: %v", err)
		}
		if n := countInBundle(t, root); n != 0 {
			t.Errorf("after -uninstall the bundle holds the root %d time(s), want 0", n)
		}
		if l := nssListing(t, nssdb); len(l) != 0 {
			t.Errorf("after -uninstall %s holds %q, want nothing", nssdb, l)
		}
		if res := h.vouch(t, "status"); res.exitCode != 1 || !strings.Contains(res.stdout, "NOT TRUSTED") {
			t.Errorf("status after -uninstall = exit %d, stdout %q; want 1, not trusted", res.exitCode, res.stdout)
		}
	})
}

// writeMkcertCA writes an mkcert CA folder to dir, as mkcert makes one: a
// self-signed root (O "mkcert development CA", a random 128-bit serial)
// and its PKCS#8 key beside it.
func writeMkcertCA(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"mkcert development CA"}, OrganizationalUnit: []string{"e2e@host"}, CommonName: "mkcert e2e@host"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rootCA.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rootCA-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o400); err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCertOverMountPoint: a certificate file bind-mounted in (as a
// container gets one) can't be replaced by a rename, the way vouch writes
// every file: the error says so and what to do, and the mounted file is
// left as it was. Before, it said only "device or resource busy".
func TestCertOverMountPoint(t *testing.T) {
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		h := &sysHost{home: env.Home}
		dir := filepath.Join(env.Home, "srv")
		host := filepath.Join(env.Home, "host-cert.pem")
		target := filepath.Join(dir, "cert.pem")
		for _, p := range []string{host, target} {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("mounted\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mustRun(t, h.env(), "mount", "--bind", host, target)
		defer exec.Command("umount", target).Run()
		res := h.vouch(t, "--cert-file", target, "--key-file", filepath.Join(dir, "key.pem"), "a.test")
		if res.exitCode != 1 || !strings.Contains(res.stderr, "failed to write "+target+": it is a mount point") || !strings.Contains(res.stderr, "mount its folder instead") {
			t.Errorf("cert over a mount point = exit %d, stderr %q; want 1 and the mount point explained", res.exitCode, res.stderr)
		}
		if data, _ := os.ReadFile(host); string(data) != "mounted\n" {
			t.Errorf("the mounted file changed: %q", data)
		}
	})
}
