package nstest_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nstest"
)

const (
	probeCN     = "vouch nstest probe"
	probeFile   = "/usr/local/share/ca-certificates/nstest-probe.crt"
	probeLink   = "/etc/ssl/certs/nstest-probe.pem"
	bundleFile  = "/etc/ssl/certs/ca-certificates.crt"
	javaCacerts = "/etc/ssl/certs/java/cacerts"
)

// newRoot makes a self-signed CA certificate named cn.
func newRoot(t *testing.T, cn string) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"vouch tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// bundleCerts parses every certificate in a PEM bundle; a missing bundle
// holds none.
func bundleCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return certs
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		certs = append(certs, c)
	}
}

func hasProbe(certs []*x509.Certificate) bool {
	for _, c := range certs {
		if c.Subject.CommonName == probeCN {
			return true
		}
	}
	return false
}

// tool reports whether program is on PATH; a missing one is logged, or is an
// error under VOUCH_E2E=1.
func tool(t *testing.T, program, pkg string) bool {
	t.Helper()
	if _, err := exec.LookPath(program); err == nil {
		return true
	}
	msg := fmt.Sprintf("%s not found (apt install %s)", program, pkg)
	if os.Getenv("VOUCH_E2E") == "1" {
		t.Error(msg + " (VOUCH_E2E=1 makes this a failure)")
	} else {
		t.Log(msg + "; that part is not checked")
	}
	return false
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	start := time.Now()
	out, err := exec.Command(name, args...).CombinedOutput()
	t.Logf("$ %s %s  (%v)\n%s", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), out)
	return string(out), err
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := run(t, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// TestRealToolsStayInside runs Debian's real update-ca-certificates (and its
// Java hook, through dpkg's trigger) and p11-kit's trust inside the
// namespace, leaves without cleaning up, and checks that the machine's real
// store never saw the probe root.
func TestRealToolsStayInside(t *testing.T) {
	// This runs in the parent and again in the child before any mount: an
	// earlier leak would make the checks after Run meaningless.
	if _, err := os.Lstat(probeFile); err == nil {
		t.Fatalf("%s exists before the test: remove it (an earlier run leaked)", probeFile)
	}
	if hasProbe(bundleCerts(t, bundleFile)) {
		t.Fatalf("%s already holds %q before the test", bundleFile, probeCN)
	}

	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		if !tool(t, "update-ca-certificates", "ca-certificates") {
			t.FailNow()
		}
		cert, certPEM := newRoot(t, probeCN)

		// Settle whatever the machine's store has pending, so that the
		// count below is the probe's alone.
		mustRun(t, "update-ca-certificates")
		if err := os.WriteFile(probeFile, certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		out := mustRun(t, "update-ca-certificates")
		if !regexp.MustCompile(`(?m)^1 added, 0 removed; done\.$`).MatchString(out) {
			t.Errorf("update-ca-certificates output = %q, want a line %q", out, "1 added, 0 removed; done.")
		}
		found := false
		for _, c := range bundleCerts(t, bundleFile) {
			found = found || c.Equal(cert)
		}
		if !found {
			t.Errorf("%s does not hold the probe root after update-ca-certificates", bundleFile)
		}
		if target, err := os.Readlink(probeLink); err != nil || target != probeFile {
			t.Errorf("Readlink(%q) = %q, %v, want %q", probeLink, target, err, probeFile)
		}

		// The jks-keystore hook queues a dpkg trigger that ca-certificates-java
		// processes at once; the probe must reach the Java store too.
		if _, err := os.Stat(javaCacerts); err == nil && tool(t, "keytool", "openjdk-17-jre-headless") {
			out := mustRun(t, "keytool", "-list", "-keystore", javaCacerts, "-storepass", "changeit",
				"-alias", "debian:nstest-probe.pem")
			sum := sha256.Sum256(cert.Raw)
			want := strings.ToUpper(strings.ReplaceAll(fmt.Sprintf("% x", sum[:]), " ", ":"))
			if !strings.Contains(out, want) {
				t.Errorf("keytool -list of %s = %q, want the probe's SHA-256 %s", javaCacerts, out, want)
			}
		}

		if tool(t, "trust", "p11-kit") {
			// Debian builds p11-kit's trust module with the bundle as its only
			// source, a file, so --store has nowhere to write; elsewhere
			// (Fedora, Arch) it writes under /etc/pki or /etc/ca-certificates,
			// both copied here.
			out, err := run(t, "trust", "anchor", "--store", probeFile)
			if err != nil && !strings.Contains(out, "no configured writable location") {
				t.Errorf("trust anchor --store: %v", err)
			}
			list := mustRun(t, "trust", "list", "--filter=ca-anchors")
			if !strings.Contains(list, "label: "+probeCN) {
				t.Errorf("trust list --filter=ca-anchors does not show %q", probeCN)
			}
		}
		// Leave without cleaning up: the namespace takes it all away.
	})

	// Only the parent gets here.
	for _, p := range []string{probeFile, probeLink} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Run, Lstat(%q) = %v, want not exist: the probe leaked into the real store", p, err)
		}
	}
	if hasProbe(bundleCerts(t, bundleFile)) {
		t.Errorf("after Run, the real %s holds %q", bundleFile, probeCN)
	}
}

// TestSnapshotSeesWrites checks that a snapshot taken inside the namespace
// changes with a write, that Diff names what changed, and that undoing the
// writes gives back an identical snapshot.
func TestSnapshotSeesWrites(t *testing.T) {
	// Taken in the parent and again in the child before it mounts anything,
	// where the body compares it with the copies.
	// (Not as a plain user, who cannot read /etc/ssl/private: Run skips.)
	machine, machineErr := nstest.Snapshot()
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		if machineErr != nil {
			t.Fatal(machineErr)
		}
		if d := nstest.Diff(machine, mustSnapshot(t, env)); d != "" {
			t.Errorf("the tmpfs copies differ from the real stores:\n%s", d)
		}
		if home, err := os.UserHomeDir(); err != nil || home != env.Home {
			t.Errorf("os.UserHomeDir() = %q, %v, want %q", home, err, env.Home)
		}
		if len(env.Paths) == 0 {
			t.Fatal("env.Paths is empty")
		}
		before := mustSnapshot(t, env)
		if !strings.Contains(before, bundleFile+"\tfile 0644 0:0 sha256:") {
			t.Errorf("snapshot lacks a line for %s", bundleFile)
		}

		added := "/usr/local/share/ca-certificates/nstest-snapshot.crt"
		link := "/etc/ssl/certs/nstest-snapshot.pem"
		conf := "/etc/ca-certificates.conf" // a bind-mounted file, not a folder
		_, certPEM := newRoot(t, "vouch nstest snapshot")
		if err := os.WriteFile(added, certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(added, link); err != nil {
			t.Fatal(err)
		}
		confData, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, append(bytes.Clone(confData), "# nstest\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod("/etc/ssl/certs", 0o750); err != nil {
			t.Fatal(err)
		}

		after := mustSnapshot(t, env)
		diff := nstest.Diff(before, after)
		t.Logf("diff:\n%s", diff)
		for _, want := range []string{
			"added " + added + ": file 0644 0:0 sha256:",
			"added " + link + ": symlink 0:0 -> " + added,
			"changed " + conf + ": file 0644 0:0 sha256:",
			"changed /etc/ssl/certs: dir 0755 0:0 => dir 0750 0:0",
		} {
			if !strings.Contains(diff, want) {
				t.Errorf("Diff lacks %q", want)
			}
		}
		if n := strings.Count(diff, "\n") + 1; n != 4 {
			t.Errorf("Diff has %d lines, want 4", n)
		}

		if err := os.Remove(added); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, confData, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod("/etc/ssl/certs", 0o755); err != nil {
			t.Fatal(err)
		}
		if d := nstest.Diff(before, mustSnapshot(t, env)); d != "" {
			t.Errorf("after undoing every write, Diff = %q, want none", d)
		}
	})
}

func mustSnapshot(t *testing.T, env *nstest.Env) string {
	t.Helper()
	s, err := env.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSubtestNames runs a body under subtest names that -test.run would
// misread unless every element is quoted.
func TestSubtestNames(t *testing.T) {
	for _, name := range []string{
		"plain",
		"with spaces",
		`regexp .*+?()[]{}|^$ meta`,
		`back\slash`,
		"slash/inside",
		"dup",
		"dup",
		"",
		"ünïcödé ✓",
		"tab\there",
		`quote"s'`,
	} {
		t.Run(name, func(t *testing.T) {
			nstest.Run(t, func(t *testing.T, env *nstest.Env) {
				// A write to the copied store proves the body runs inside.
				p := filepath.Join("/usr/local/share/ca-certificates", "nstest-name.crt")
				if err := os.WriteFile(p, []byte(t.Name()), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("body ran as %q", t.Name())
			})
		})
	}
}

// TestDiff pins the form of Diff's lines; it needs no root.
func TestDiff(t *testing.T) {
	a := "/a\tfile 0644 0:0 sha256:11\n/b\tdir 0755 0:0\n/c\tsymlink 0:0 -> x"
	b := "/a\tfile 0644 0:0 sha256:22\n/c\tsymlink 0:0 -> x\n/d\tfile 0600 0:0 sha256:33"
	for _, tt := range []struct {
		a, b, want string
	}{
		{a, a, ""},
		{"", "", ""},
		{a, b, "changed /a: file 0644 0:0 sha256:11 => file 0644 0:0 sha256:22\n" +
			"removed /b: dir 0755 0:0\n" +
			"added /d: file 0600 0:0 sha256:33"},
	} {
		if got := nstest.Diff(tt.a, tt.b); got != tt.want {
			t.Errorf("Diff(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestSnapshotTree checks Snapshot on a temp tree; it needs no root.
func TestSnapshotTree(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.pem")
	link := filepath.Join(dir, "l.0")
	if err := os.WriteFile(file, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f.pem", link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	snap := func() string {
		t.Helper()
		s, err := nstest.Snapshot(dir, missing)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := snap()
	if !strings.Contains(base, missing+"\tabsent") {
		t.Errorf("Snapshot = %q, want %s listed as absent", base, missing)
	}
	if s := snap(); s != base {
		t.Errorf("two snapshots of an unchanged tree differ: %s", nstest.Diff(base, s))
	}
	for _, tt := range []struct {
		name   string
		change func() error
		want   string
	}{
		{"content", func() error { return os.WriteFile(file, []byte("two"), 0o644) }, "changed " + file},
		{"mode", func() error { return os.Chmod(file, 0o600) }, "changed " + file},
		{"link target", func() error {
			if err := os.Remove(link); err != nil {
				return err
			}
			return os.Symlink("other.pem", link)
		}, "changed " + link},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "mode" && runtime.GOOS == "windows" {
				t.Skip("Windows has no Unix modes")
			}
			before := snap()
			if err := tt.change(); err != nil {
				t.Fatal(err)
			}
			if d := nstest.Diff(before, snap()); !strings.HasPrefix(d, tt.want+":") {
				t.Errorf("Diff after %s change = %q, want it to start %q", tt.name, d, tt.want)
			}
		})
	}
}

// TestSetHosts binds a hosts file in the namespace: the resolver there
// sees the test's name, a second call replaces the content, and the
// machine's own /etc/hosts never changes.
func TestSetHosts(t *testing.T) {
	const name = "nstest-sethosts.test"
	real, realErr := os.ReadFile("/etc/hosts")
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		if realErr != nil {
			t.Fatal(realErr)
		}
		if strings.Contains(string(real), name) {
			t.Fatalf("/etc/hosts already names %s before the test", name)
		}
		if err := env.SetHosts("127.0.0.1 localhost\n127.0.0.9 " + name + "\n"); err != nil {
			t.Fatal(err)
		}
		addrs, err := net.LookupHost(name)
		if err != nil || !slices.Contains(addrs, "127.0.0.9") {
			t.Errorf("LookupHost(%q) = %v, %v; want 127.0.0.9", name, addrs, err)
		}
		second := "127.0.0.1 localhost\n127.0.0.10 " + name + "\n"
		if err := env.SetHosts(second); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile("/etc/hosts"); err != nil || string(got) != second {
			t.Errorf("after a second SetHosts, /etc/hosts = %q, %v; want %q", got, err, second)
		}
	})
	// Only the parent gets here.
	after, err := os.ReadFile("/etc/hosts")
	if err != nil || !bytes.Equal(after, real) {
		t.Errorf("the machine's /etc/hosts changed during the test (%v)", err)
	}
}
