package truststore

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/vouchdev/vouch/internal/nstest"
	"github.com/vouchdev/vouch/platform"
)

// javaRoot is a root certificate with its PEM in a file, as Install needs.
func javaRoot(t testing.TB, cn string) Root {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: []string{"vouch local CA"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	file := filepath.Join(t.TempDir(), "rootCA.pem")
	if err := os.WriteFile(file, p, 0o644); err != nil {
		t.Fatal(err)
	}
	return Root{Cert: c, PEM: p, File: file}
}

// javaRec records every command; run, when set, carries it out.
type javaRec struct {
	cmds []platform.Cmd
	run  func(platform.Cmd) ([]byte, error)
}

func (r *javaRec) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	r.cmds = append(r.cmds, c)
	if r.run != nil {
		return r.run(c)
	}
	return nil, nil
}

func (r *javaRec) argvs() []string {
	var out []string
	for _, c := range r.cmds {
		out = append(out, strings.Join(c.Argv, " "))
	}
	return out
}

// realRunner runs commands for real, and records them.
func realRunner() *javaRec {
	ex := &platform.Exec{IsRoot: true}
	return &javaRec{run: func(c platform.Cmd) ([]byte, error) { return ex.Run(context.Background(), c) }}
}

type jksEntry struct {
	alias string
	cert  *x509.Certificate
}

// jksBytes builds a JKS keystore in Go (no JVM needed).
func jksBytes(t testing.TB, entries ...jksEntry) []byte {
	t.Helper()
	return jksBytesAt(t, time.Now(), entries...)
}

// jksBytesAt builds a JKS keystore whose entries were made at when, as a
// tool that rewrites the whole keystore (Debian's hook) leaves it.
func jksBytesAt(t testing.TB, when time.Time, entries ...jksEntry) []byte {
	t.Helper()
	ks := keystore.New(keystore.WithCaseExactAliases())
	for _, e := range entries {
		err := ks.SetTrustedCertificateEntry(e.alias, keystore.TrustedCertificateEntry{
			CreationTime: when,
			Certificate:  keystore.Certificate{Type: "X509", Content: e.cert.Raw},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, []byte("changeit")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// p12Bytes builds a PKCS#12 trust store in Go, as Java writes them.
func p12Bytes(t testing.TB, entries ...jksEntry) []byte {
	t.Helper()
	var tes []pkcs12.TrustStoreEntry
	for _, e := range entries {
		tes = append(tes, pkcs12.TrustStoreEntry{Cert: e.cert, FriendlyName: e.alias})
	}
	data, err := pkcs12.Modern.EncodeTrustStoreEntries(tes, "changeit")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fakeJava is a machine under a temp root with JDK homes; each JDK's
// cacerts is its own file unless linked.
type fakeJava struct {
	root string
}

func newFakeJava(t *testing.T) *fakeJava { return &fakeJava{root: t.TempDir()} }

func (f *fakeJava) path(p string) string { return filepath.Join(f.root, filepath.FromSlash(p)) }

func (f *fakeJava) write(t *testing.T, p string, data []byte) string {
	t.Helper()
	full := f.path(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return full
}

func (f *fakeJava) link(t *testing.T, p, target string) {
	t.Helper()
	full := f.path(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, full); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
}

// jdk adds a JDK home with keytool (a placeholder file, or a link to a
// real one) and returns its cacerts path.
func (f *fakeJava) jdk(t *testing.T, home string, cacerts []byte, keytool string) string {
	t.Helper()
	if keytool != "" && keytool != "fake" && runtime.GOOS == "windows" {
		t.Skip("the fake JDK's keytool is a shell script")
	}
	switch keytool {
	case "":
	case "fake":
		f.write(t, home+"/bin/keytool", []byte("#!/bin/sh\nexit 99\n"))
	default:
		// A link would point outside the fake root, where FindJava does
		// not follow; a script that runs the real keytool stays inside.
		kt := f.write(t, home+"/bin/keytool", []byte("#!/bin/sh\nexec '"+keytool+"' \"$@\"\n"))
		if err := os.Chmod(kt, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f.write(t, home+"/lib/security/cacerts", cacerts)
}

func (f *fakeJava) store(r platform.Runner, stateDir string) *Java {
	return &Java{
		Search:   platform.JavaSearch{Root: f.root, GOOS: "linux", Getenv: func(string) string { return "" }},
		Runner:   r,
		StateDir: stateDir,
	}
}

// needKeytool is the keytool of the JDK on PATH, and its cacerts (links
// resolved). Without one the test is skipped, or fails under VOUCH_E2E=1.
func needKeytool(t *testing.T) (keytool, cacerts string) {
	t.Helper()
	p, err := exec.LookPath("keytool")
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		if os.Getenv("VOUCH_E2E") == "1" {
			t.Fatalf("keytool not found (VOUCH_E2E=1 makes this a failure): %s", platform.KeytoolHint(runtime.GOOS, nil))
		}
		t.Skipf("keytool not found: %s", platform.KeytoolHint(runtime.GOOS, nil))
	}
	home := filepath.Dir(filepath.Dir(p))
	for _, rel := range []string{"lib/security/cacerts", "jre/lib/security/cacerts"} {
		if c, err := filepath.EvalSymlinks(filepath.Join(home, rel)); err == nil {
			return p, c
		}
	}
	t.Fatalf("keytool %s has no cacerts beside it", p)
	return "", ""
}

func keytool(t *testing.T, kt string, args ...string) string {
	t.Helper()
	out, err := exec.Command(kt, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("keytool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestJavaStatusReadsKeystores reads keystores made in Go and by keytool,
// JKS and PKCS#12 (with a password and without, as JDK 18+ ship
// cacerts), and checks that Status runs no command at all.
func TestJavaStatusReadsKeystores(t *testing.T) {
	root := javaRoot(t, "vouch root status")
	other := javaRoot(t, "another root")
	goMade := []struct {
		name  string
		build func(testing.TB, ...jksEntry) []byte
	}{{"JKS by Go", jksBytes}, {"PKCS12 by Go", p12Bytes}}
	for _, tt := range goMade {
		t.Run(tt.name, func(t *testing.T) {
			checkStatus(t, root,
				tt.build(t, jksEntry{"other", other.Cert}),
				tt.build(t, jksEntry{"other", other.Cert}, jksEntry{JavaAlias(root.Cert), root.Cert}))
		})
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"JKS by keytool", []string{"-storetype", "JKS"}},
		{"PKCS12 by keytool", []string{"-storetype", "PKCS12"}},
		{"PKCS12 without password by keytool", []string{"-storetype", "PKCS12",
			"-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE", "-J-Dkeystore.pkcs12.macAlgorithm=NONE"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kt, _ := needKeytool(t)
			dir := t.TempDir()
			ks := filepath.Join(dir, "ks")
			imp := func(alias, file string) []byte {
				keytool(t, kt, append([]string{"-importcert", "-noprompt", "-alias", alias, "-file", file,
					"-keystore", ks, "-storepass", "changeit"}, tt.args...)...)
				data, err := os.ReadFile(ks)
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			without := imp("other", other.File)
			with := imp(JavaAlias(root.Cert), root.File)
			checkStatus(t, root, without, with)
		})
	}
}

func checkStatus(t *testing.T, root Root, without, with []byte) {
	t.Helper()
	f := newFakeJava(t)
	cacerts := f.jdk(t, "/usr/lib/jvm/jdk", without, "fake")
	rec := &javaRec{}
	j := f.store(rec, t.TempDir())
	st := j.Status(root)
	if st.State != NotTrusted || len(st.Checked) != 1 || !strings.HasPrefix(st.Checked[0], cacerts+" (") {
		t.Errorf("Status without the root = %+v, want not trusted, checking %s", st, cacerts)
	}
	if err := os.WriteFile(cacerts, with, 0o644); err != nil {
		t.Fatal(err)
	}
	st = j.Status(root)
	if st.State != Trusted {
		t.Errorf("Status with the root = %+v, want trusted", st)
	}
	if _, ks, err := readKeystore(cacerts); err == nil && ks.Aliases && !strings.Contains(st.Reason, "trusted as "+JavaAlias(root.Cert)) {
		t.Errorf("Status reason = %q, want it to name the alias %s", st.Reason, JavaAlias(root.Cert))
	}
	if len(rec.cmds) != 0 {
		t.Errorf("Status ran %q, want no command (and so no JVM)", rec.argvs())
	}
}

func TestJavaStatusAggregates(t *testing.T) {
	root := javaRoot(t, "vouch root agg")
	other := javaRoot(t, "other")
	f := newFakeJava(t)
	a := f.jdk(t, "/usr/lib/jvm/a", jksBytes(t, jksEntry{JavaAlias(root.Cert), root.Cert}), "fake")
	b := f.jdk(t, "/usr/lib/jvm/b", p12Bytes(t, jksEntry{"x", other.Cert}), "fake")
	// c shares a's keystore: one keystore, two JDKs.
	f.link(t, "/usr/lib/jvm/c/lib/security/cacerts", "/usr/lib/jvm/a/lib/security/cacerts")
	rec := &javaRec{}
	j := f.store(rec, "")
	st := j.Status(root)
	if st.State != NotTrusted || st.Where != "2 keystores" || !strings.Contains(st.Reason, "1 of 2 Java keystores trust the root") {
		t.Errorf("Status = %+v, want not trusted, 1 of 2", st)
	}
	want := []string{
		a + " (JKS, used by " + f.path("/usr/lib/jvm/a") + ", " + f.path("/usr/lib/jvm/c") + "): trusted as " + JavaAlias(root.Cert),
		b + " (PKCS12, used by " + f.path("/usr/lib/jvm/b") + "): not trusted",
	}
	if !slices.Equal(st.Checked, want) {
		t.Errorf("Checked =\n%q\nwant\n%q", st.Checked, want)
	}
	if err := os.WriteFile(b, []byte("garbage!"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := j.Status(root); st.State != Failed || !strings.Contains(st.Reason, "neither a JKS nor a PKCS#12") {
		t.Errorf("Status with a broken keystore = %+v, want an error naming the problem", st)
	}
	if err := os.WriteFile(b, jksBytes(t, jksEntry{"Debian:Vouch.pem", root.Cert}, jksEntry{"vouch-0123456789abcdef", other.Cert}), 0o644); err != nil {
		t.Fatal(err)
	}
	st = j.Status(root)
	if st.State != Trusted || !strings.Contains(st.Reason, "trusted as Debian:Vouch.pem (taking this root out removes every alias holding it)") {
		t.Errorf("Status = %+v, want trusted through the other alias, said so", st)
	}
	if want := []string{b + ": vouch-0123456789abcdef"}; !slices.Equal(st.Stale, want) {
		t.Errorf("Stale = %q, want %q", st.Stale, want)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("Status ran %q, want nothing", rec.argvs())
	}
}

// TestJavaMacJavaHome: on macOS, and only there, Status asks java_home
// (not a JVM) which JDKs are registered.
func TestJavaMacJavaHome(t *testing.T) {
	root := javaRoot(t, "vouch root mac")
	f := newFakeJava(t)
	cacerts := f.jdk(t, "/Volumes/x/My JDK/Contents/Home", jksBytes(t, jksEntry{JavaAlias(root.Cert), root.Cert}), "fake")
	rec := &javaRec{run: func(c platform.Cmd) ([]byte, error) {
		return []byte(`Matching Java Virtual Machines (1):
    21 (arm64) "Vendor" - "JDK 21" /Volumes/x/My JDK/Contents/Home
/Volumes/x/My JDK/Contents/Home
`), nil
	}}
	j := f.store(rec, "")
	j.Search.GOOS = "darwin"
	st := j.Status(root)
	if st.State != Trusted || !strings.HasPrefix(st.Reason, cacerts) {
		t.Errorf("Status = %+v, want trusted in %s", st, cacerts)
	}
	if got := rec.argvs(); !slices.Equal(got, []string{"/usr/libexec/java_home -V"}) {
		t.Errorf("Status on macOS ran %q, want only java_home -V", got)
	}
}

// TestJavaWithoutStore: Debian's JDKs whose shared cacerts was deleted are
// Java without a trust store, not "no Java found"; the reason says which
// file is missing and what rebuilds it.
func TestJavaWithoutStore(t *testing.T) {
	root := javaRoot(t, "vouch root no store")
	f := newFakeJava(t)
	for _, home := range []string{"/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/temurin-25-jdk-amd64"} {
		f.write(t, home+"/bin/java", []byte("java"))
		f.link(t, home+"/lib/security/cacerts", "/etc/ssl/certs/java/cacerts")
	}
	rec := &javaRec{}
	j := f.store(rec, "")
	want := "the Java in " + f.path("/usr/lib/jvm/java-17-openjdk-amd64") + " has no trust store: its lib/security/cacerts leads to /etc/ssl/certs/java/cacerts, which is missing (" +
		f.path("/usr/lib/jvm/temurin-25-jdk-amd64") + ": the same); sudo update-ca-certificates rebuilds it (Debian's Java hook), with the roots the system store trusts"
	if st := j.Status(root); st.State != NotPresent || st.Reason != want {
		t.Errorf("Status = %+v,\nwant not present, reason %q", st, want)
	}
	if _, err := j.Install(context.Background(), root); err == nil || err.Error() != want {
		t.Errorf("Install = %v, want %q", err, want)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("ran %q, want nothing", rec.argvs())
	}
}

func TestJavaNotPresent(t *testing.T) {
	root := javaRoot(t, "vouch root none")
	rec := &javaRec{}
	j := newFakeJava(t).store(rec, "")
	if st := j.Status(root); st.State != NotPresent || !strings.Contains(st.Reason, "no Java found: looked in $JAVA_HOME, java on PATH") {
		t.Errorf("Status = %+v, want not present, saying where it looked", st)
	}
	if _, err := j.Install(context.Background(), root); err == nil || !strings.Contains(err.Error(), "no Java found") {
		t.Errorf("Install = %v, want no Java found", err)
	}
	if changed, err := j.Uninstall(context.Background(), root, true); changed || err != nil {
		t.Errorf("Uninstall = %v, %v; want nothing to do", changed, err)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("ran %q, want nothing", rec.argvs())
	}
}

// TestJavaInstallCommands checks the commands Install plans, with a fake
// runner: keytool of the JDK that uses the keystore, root only when the
// file can't be replaced, nothing when already trusted.
func TestJavaInstallCommands(t *testing.T) {
	root := javaRoot(t, "vouch root cmds")
	other := javaRoot(t, "other")
	f := newFakeJava(t)
	orig := jksBytes(t, jksEntry{"other", other.Cert})
	shared := f.write(t, "/etc/ssl/certs/java/cacerts", orig)
	f.link(t, "/usr/lib/jvm/a-jre/lib/security/cacerts", "/etc/ssl/certs/java/cacerts") // no keytool
	f.link(t, "/usr/lib/jvm/b-jdk/lib/security/cacerts", "/etc/ssl/certs/java/cacerts")
	f.write(t, "/usr/lib/jvm/b-jdk/bin/keytool", nil)
	own := f.jdk(t, "/usr/lib/jvm/c-jdk", p12Bytes(t, jksEntry{"x", other.Cert}), "fake")
	trusted := f.jdk(t, "/usr/lib/jvm/d-jdk", jksBytes(t, jksEntry{JavaAlias(root.Cert), root.Cert}), "fake")
	_ = trusted

	rec := &javaRec{}
	state := t.TempDir()
	j := f.store(rec, state)
	j.CanReplace = func(p string) bool { return p != shared }
	changed, err := j.Install(context.Background(), root)
	if err != nil || !changed {
		t.Fatalf("Install = %v, %v", changed, err)
	}
	alias := JavaAlias(root.Cert)
	// keytool changes a copy beside the keystore, which then takes its
	// place: through install(1) and mv(1) as root for the shared one, and
	// a copy vouch makes itself for the one it can replace.
	sharedCopy := filepath.Join(filepath.Dir(shared), ".cacerts.vouch-edit")
	uid, gid := os.Getuid(), os.Getgid()
	want := []platform.Cmd{
		{Argv: []string{"install", "-m", "0644", "-o", fmt.Sprint(uid), "-g", fmt.Sprint(gid), shared, sharedCopy}, Root: true},
		{Argv: []string{f.path("/usr/lib/jvm/b-jdk/bin/keytool"), "-importcert", "-noprompt", "-alias", alias, "-file", root.File,
			"-keystore", sharedCopy, "-storepass", "changeit", "-storetype", "JKS"}, Root: true},
		{Argv: []string{"mv", "-f", sharedCopy, shared}, Root: true},
		{Argv: []string{f.path("/usr/lib/jvm/c-jdk/bin/keytool"), "-importcert", "-noprompt", "-alias", alias, "-file", root.File,
			"-keystore", "COPY", "-storepass", "changeit", "-storetype", "PKCS12"}},
	}
	if runtime.GOOS == "windows" {
		want = want[1:]
		want[0].Argv[10] = shared
		want = slices.Delete(want, 1, 2)
	}
	if len(rec.cmds) != len(want) {
		t.Fatalf("Install ran %q, want %d commands", rec.argvs(), len(want))
	}
	for i := range want {
		got := slices.Clone(rec.cmds[i].Argv)
		if k := slices.Index(got, "-keystore"); k > 0 && want[i].Argv[k+1] == "COPY" {
			if dir, name := filepath.Split(got[k+1]); dir != filepath.Dir(own)+string(filepath.Separator) || !strings.HasPrefix(name, ".cacerts.vouch-") {
				t.Errorf("command %d changes %s, want a copy beside %s", i, got[k+1], own)
			}
			got[k+1] = "COPY"
		}
		if !slices.Equal(got, want[i].Argv) || rec.cmds[i].Root != want[i].Root {
			t.Errorf("command %d = %q root=%v, want %q root=%v", i, rec.cmds[i].Argv, rec.cmds[i].Root, want[i].Argv, want[i].Root)
		}
	}
	// The shared keystore's bytes from before are kept for uninstall.
	backup := j.backupPath(shared, root.Cert)
	if got, err := os.ReadFile(backup); err != nil || !bytes.Equal(got, orig) {
		t.Errorf("backup %s = %d bytes, %v; want the keystore's original %d bytes", backup, len(got), err, len(orig))
	}
	if fi, err := os.Stat(filepath.Dir(backup)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700) {
		t.Errorf("backup folder: %v, %v; want mode 0700", fi, err)
	}

	// Without -file, the PEM goes on standard input.
	rec.cmds = nil
	noFile := root
	noFile.File = ""
	j.Install(context.Background(), noFile)
	if i := slices.IndexFunc(rec.cmds, func(c platform.Cmd) bool { return strings.HasSuffix(c.Argv[0], "keytool") }); i < 0 ||
		slices.Contains(rec.cmds[i].Argv, "-file") || !bytes.Equal(rec.cmds[i].Stdin, root.PEM) {
		t.Errorf("Install without a root file ran %q, want the PEM on stdin", rec.argvs())
	}
}

// TestJavaInstallFails: keytool rewrites a keystore in place, and on a full
// disk it fails part way through ("Certificate was added to keystore",
// then "java.io.IOException: No space left on device"), leaving a file cut
// short. Here the stand-in keytool cuts its keystore short and fails: the
// keystore stays as it was, byte for byte, with nothing left beside it,
// whether vouch replaces it itself or through install(1) and mv(1) as root.
func TestJavaInstallFails(t *testing.T) {
	for _, canReplace := range []bool{true, false} {
		if !canReplace && runtime.GOOS == "windows" {
			continue
		}
		t.Run(fmt.Sprintf("canReplace=%v", canReplace), func(t *testing.T) {
			root := javaRoot(t, "vouch root fail")
			f := newFakeJava(t)
			orig := jksBytes(t)
			cacerts := f.jdk(t, "/usr/lib/jvm/a", orig, "fake")
			ex := &platform.Exec{IsRoot: true}
			rec := &javaRec{run: func(c platform.Cmd) ([]byte, error) {
				if !strings.HasSuffix(c.Argv[0], "keytool") {
					return ex.Run(context.Background(), c)
				}
				ks := c.Argv[slices.Index(c.Argv, "-keystore")+1]
				if err := os.WriteFile(ks, orig[:7], 0o644); err != nil {
					t.Error(err)
				}
				return nil, &platform.ExecError{Argv: c.Argv, Output: "keytool error: java.io.IOException: No space left on device", Err: errors.New("exit status 1")}
			}}
			state := t.TempDir()
			j := f.store(rec, state)
			j.CanReplace = func(string) bool { return canReplace }
			_, err := j.Install(context.Background(), root)
			var ee *platform.ExecError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), "No space left on device") || !strings.Contains(err.Error(), "-importcert") || !strings.Contains(err.Error(), cacerts) {
				t.Errorf("Install = %v, want the keytool command, its output and the keystore", err)
			}
			if got := mustRead(t, cacerts); !bytes.Equal(got, orig) {
				t.Errorf("after keytool failed part way, %s holds %d bytes, want its %d bytes from before", cacerts, len(got), len(orig))
			}
			if entries, _ := os.ReadDir(filepath.Dir(cacerts)); len(entries) != 1 {
				t.Errorf("after keytool failed, %s holds %d files, want cacerts alone (ran %q)", filepath.Dir(cacerts), len(entries), rec.argvs())
			}
			if _, err := os.Stat(j.backupPath(cacerts, root.Cert)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed install left its backup: %v", err)
			}
		})
	}
}

func TestJavaMissingKeytool(t *testing.T) {
	root := javaRoot(t, "vouch root nokeytool")
	f := newFakeJava(t)
	f.jdk(t, "/usr/lib/jvm/jlinked", jksBytes(t), "")
	f.write(t, "/etc/os-release", []byte("ID=debian\n"))
	rec := &javaRec{}
	j := f.store(rec, "")
	_, err := j.Install(context.Background(), root)
	var mt *MissingToolError
	if !errors.As(err, &mt) || mt.Tool != "keytool" || mt.Hint != "sudo apt install openjdk-17-jre-headless" || !strings.Contains(err.Error(), "jlinked") {
		t.Errorf("Install = %v, want keytool missing, with the Debian package as the hint", err)
	}
	if len(rec.cmds) != 0 {
		t.Errorf("ran %q", rec.argvs())
	}
	for goos, want := range map[string]string{"darwin": "brew install openjdk", "freebsd": "openjdk17", "windows": "winget"} {
		if got := platform.KeytoolHint(goos, nil); !strings.Contains(got, want) {
			t.Errorf("KeytoolHint(%s) = %q, want %q in it", goos, got, want)
		}
	}
	for id, want := range map[string]string{"fedora": "dnf install java-17-openjdk-headless", "": "openjdk-17-jre-headless (Debian, Ubuntu)"} {
		if got := platform.KeytoolHint("linux", []byte("ID="+id+"\n")); !strings.Contains(got, want) {
			t.Errorf("KeytoolHint(linux, %s) = %q, want %q in it", id, got, want)
		}
	}
}

// realKeystores caches the real JDK's cacerts converted to each format,
// since converting 150 entries to PKCS#12 takes keytool seconds.
var realKeystores = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

// realKeystore is the real JDK's cacerts as format ("JKS", "PKCS12", or
// "PKCS12-nopass", as JDK 18+ ship it); small keeps its first three
// trusted entries only.
func realKeystore(t *testing.T, kt, real, format string, small bool) []byte {
	t.Helper()
	key := fmt.Sprint(format, small)
	realKeystores.Lock()
	defer realKeystores.Unlock()
	if data, ok := realKeystores.m[key]; ok {
		return data
	}
	data := mustRead(t, real)
	ks, err := parseKeystore(data)
	if err != nil {
		t.Fatalf("reading %s: %v", real, err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if small {
		var entries []jksEntry
		for _, e := range ks.Entries {
			if c, err := x509.ParseCertificate(e.Certs[0]); err == nil && e.Trusted && len(entries) < 3 {
				entries = append(entries, jksEntry{fmt.Sprint("real-", len(entries)), c})
			}
		}
		data = jksBytes(t, entries...)
		ks.Format = "JKS"
	}
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if ks.Format != format {
		conv := filepath.Join(dir, "conv")
		args := []string{"-importkeystore", "-noprompt", "-srckeystore", src, "-srcstorepass", "changeit",
			"-destkeystore", conv, "-deststorepass", "changeit", "-deststoretype", strings.TrimSuffix(format, "-nopass")}
		if strings.HasSuffix(format, "-nopass") {
			args = append(args, "-J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE", "-J-Dkeystore.pkcs12.macAlgorithm=NONE")
		}
		keytool(t, kt, args...)
		data = mustRead(t, conv)
	}
	realKeystores.m[key] = data
	return data
}

// realCopy is a fake machine with one JDK whose keytool runs the real one
// and whose cacerts is a temp copy of the real JDK's, as format.
func realCopy(t *testing.T, format string, small bool) (f *fakeJava, cacerts string, kt string) {
	t.Helper()
	kt, real := needKeytool(t)
	f = newFakeJava(t)
	cacerts = f.jdk(t, "/usr/lib/jvm/copy", realKeystore(t, kt, real, format, small), kt)
	return f, cacerts, kt
}

// TestJavaRealKeytool installs and uninstalls with the real keytool in temp
// copies of the real JDK's cacerts, JKS and PKCS#12: trusted after install,
// not after uninstall, and the file byte for byte as before when nothing
// else changed; when something did, keytool -delete keeps it.
func TestJavaRealKeytool(t *testing.T) {
	for _, format := range []string{"JKS", "PKCS12", "PKCS12-nopass"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			// The whole real keystore for the restore, and for JKS (Debian's
			// format) throughout; PKCS#12 writes are slow with 150 entries,
			// so a three-entry one for the rest.
			small := format != "JKS"
			t.Run("restore", func(t *testing.T) { testJavaRestore(t, format) })
			t.Run("keytool delete", func(t *testing.T) { testJavaDelete(t, format, small) })
			t.Run("debian hook alias", func(t *testing.T) { testJavaHookAlias(t, format, small) })
			t.Run("two roots out in install order", func(t *testing.T) { testJavaTwoRoots(t, format) })
		})
	}
}

func testJavaRestore(t *testing.T, format string) {
	root := javaRoot(t, "vouch root restore "+format)
	f, cacerts, _ := realCopy(t, format, false)
	before := mustRead(t, cacerts)
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()

	if st := j.Status(root); st.State != NotTrusted {
		t.Fatalf("Status before = %+v", st)
	}
	if changed, err := j.Install(ctx, root); err != nil || !changed {
		t.Fatalf("Install = %v, %v", changed, err)
	}
	if st := j.Status(root); st.State != Trusted {
		t.Fatalf("Status after install = %+v, want trusted", st)
	}
	if bytes.Equal(mustRead(t, cacerts), before) {
		t.Fatal("install did not change the keystore")
	}
	rec.cmds = nil
	if changed, err := j.Install(ctx, root); err != nil || changed || len(rec.cmds) != 0 {
		t.Errorf("second Install = %v, %v, ran %q; want no command", changed, err, rec.argvs())
	}
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	if st := j.Status(root); st.State != NotTrusted {
		t.Errorf("Status after uninstall = %+v, want not trusted", st)
	}
	if !bytes.Equal(mustRead(t, cacerts), before) {
		t.Errorf("after install and uninstall, %s differs from before", cacerts)
	}
	for _, c := range rec.argvs() {
		if strings.Contains(c, "-delete") {
			t.Errorf("Uninstall ran %q; want the original put back, not keytool -delete", c)
		}
	}
	if _, err := os.Stat(j.backupPath(cacerts, root.Cert)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Uninstall left the backup: %v", err)
	}
	rec.cmds = nil
	if changed, err := j.Uninstall(ctx, root, false); err != nil || changed || len(rec.cmds) != 0 {
		t.Errorf("second Uninstall = %v, %v, ran %q; want nothing", changed, err, rec.argvs())
	}
}

// testJavaTwoRoots: roots A then B installed with keytool, then taken out
// in the same order (vouch rotate, then uninstall of the retired CA first).
// A's uninstall must delete with keytool (B is still in); B's puts back
// A's copy, from before both, so the keystore ends byte for byte as it
// began.
func testJavaTwoRoots(t *testing.T, format string) {
	a, b := javaRoot(t, "vouch root old "+format), javaRoot(t, "vouch root new "+format)
	f, cacerts, _ := realCopy(t, format, true)
	before := mustRead(t, cacerts)
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()
	for _, r := range []Root{a, b} {
		if changed, err := j.Install(ctx, r); err != nil || !changed {
			t.Fatalf("Install = %v, %v", changed, err)
		}
	}
	if changed, err := j.Uninstall(ctx, a, false); err != nil || !changed {
		t.Fatalf("Uninstall of A = %v, %v", changed, err)
	}
	if st := j.Status(a); st.State != NotTrusted {
		t.Errorf("A after its uninstall: %+v", st)
	}
	if st := j.Status(b); st.State != Trusted {
		t.Errorf("B after A's uninstall: %+v", st)
	}
	if changed, err := j.Uninstall(ctx, b, false); err != nil || !changed {
		t.Fatalf("Uninstall of B = %v, %v", changed, err)
	}
	if !bytes.Equal(mustRead(t, cacerts), before) {
		t.Errorf("after installs of A, B and uninstalls of A, B, %s differs from before", cacerts)
	}
	for _, r := range []Root{a, b} {
		if _, err := os.Stat(j.backupPath(cacerts, r.Cert)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a copy is left once both roots are out: %v", err)
		}
	}
}

func testJavaDelete(t *testing.T, format string, small bool) {
	root := javaRoot(t, "vouch root delete "+format)
	other := javaRoot(t, "added meanwhile")
	f, cacerts, kt := realCopy(t, format, small)
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()
	if _, err := j.Install(ctx, root); err != nil {
		t.Fatal(err)
	}
	// Something else changes the keystore meanwhile: putting the old bytes
	// back would undo it, so uninstall must delete instead.
	keytool(t, kt, "-importcert", "-noprompt", "-alias", "meanwhile", "-file", other.File, "-keystore", cacerts, "-storepass", "changeit")
	rec.cmds = nil
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	_, ks, err := readKeystore(cacerts)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ks.holders(root.Cert)); n != 0 {
		t.Errorf("after uninstall %d entries hold the root, want 0", n)
	}
	if n := len(ks.holders(other.Cert)); n != 1 {
		t.Errorf("after uninstall %d entries hold the other root, want 1 (kept)", n)
	}
	if !slices.ContainsFunc(rec.argvs(), func(c string) bool {
		return strings.Contains(c, "-delete -alias "+JavaAlias(root.Cert)+" ")
	}) {
		t.Errorf("Uninstall ran %q, want keytool -delete of %s", rec.argvs(), JavaAlias(root.Cert))
	}
	if _, err := os.Stat(j.backupPath(cacerts, root.Cert)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Uninstall left the backup: %v", err)
	}
}

// testJavaHookAlias: Debian's ca-certificates-java imports the system
// anchor as debian:vouch-….pem. Uninstall removes it too, whether vouch
// installed into the keystore (then the original comes back) or not.
func testJavaHookAlias(t *testing.T, format string, small bool) {
	root := javaRoot(t, "vouch root hook "+format)
	f, cacerts, kt := realCopy(t, format, small)
	before := mustRead(t, cacerts)
	hook := "debian:" + JavaAlias(root.Cert) + ".pem"
	addHook := func() {
		keytool(t, kt, "-importcert", "-noprompt", "-alias", hook, "-file", root.File, "-keystore", cacerts, "-storepass", "changeit")
	}
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()

	// Only the hook's alias.
	addHook()
	st := j.Status(root)
	if st.State != Trusted {
		t.Fatalf("Status with the hook's alias = %+v, want trusted", st)
	}
	if format == "JKS" && !strings.Contains(st.Reason, "trusted as "+hook+" (taking this root out removes every alias") {
		t.Errorf("Status reason = %q, want it to name %s", st.Reason, hook)
	}
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	if st := j.Status(root); st.State != NotTrusted {
		t.Errorf("after uninstall, Status = %+v, want not trusted", st)
	}

	// vouch's alias, then the hook's beside it: the entries are the
	// original ones plus the root's, so the original comes back.
	if err := os.WriteFile(cacerts, before, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Install(ctx, root); err != nil {
		t.Fatal(err)
	}
	addHook()
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	if !bytes.Equal(mustRead(t, cacerts), before) {
		t.Errorf("after install, the hook's import and uninstall, %s differs from before", cacerts)
	}
}

// TestJavaStaleAliases: the aliases of other vouch roots, vouch's own and
// those Debian's hook made from their anchors (after a rotate, the retired
// root's), are listed, and removed only with all; the current root's hook
// alias is not stale, nor is an alias that only looks like vouch's.
func TestJavaStaleAliases(t *testing.T) {
	root := javaRoot(t, "vouch root now")
	old := javaRoot(t, "vouch root old")
	retired := javaRoot(t, "vouch root retired")
	f, cacerts, kt := realCopy(t, "JKS", false)
	hookAlias := "debian:" + JavaAlias(retired.Cert) + ".pem"
	for _, e := range []struct {
		alias string
		r     Root
	}{
		{JavaAlias(old.Cert), old},
		{hookAlias, retired},
		{"debian:" + JavaAlias(root.Cert) + ".pem", root},
		{"debian:" + JavaAlias(old.Cert), old},
	} {
		keytool(t, kt, "-importcert", "-noprompt", "-alias", e.alias, "-file", e.r.File, "-keystore", cacerts, "-storepass", "changeit")
	}
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()
	want := []string{cacerts + ": " + hookAlias, cacerts + ": " + JavaAlias(old.Cert)}
	if st := j.Status(root); !slices.Equal(slices.Sorted(slices.Values(st.Stale)), want) {
		t.Errorf("Stale = %q, want %q", st.Stale, want)
	}
	// The hook's alias of a root vouch rotate retired from this CA: still
	// listed, but named as retired, and not counted with the stale ones.
	withRetired := root
	withRetired.Retired = []RetiredRoot{{Cert: retired.Cert, Dir: "/ca/retired/2026-01-02-x"}}
	st := j.Status(withRetired)
	note := "; " + cacerts + " (" + hookAlias + ") holds the root of the CA vouch rotate retired to /ca/retired/2026-01-02-x, trusted until vouch uninstall --caroot /ca/retired/2026-01-02-x --purge"
	if !slices.Equal(slices.Sorted(slices.Values(st.Stale)), want) || !strings.Contains(st.Reason, note) || !strings.Contains(st.Reason, "1 alias(es) of other vouch roots: "+cacerts+": "+JavaAlias(old.Cert)) {
		t.Errorf("Status with a retired root's alias = %+v; want it listed, named as retired (%q), and one stale alias", st, note)
	}
	// Its own alias beside the hook's: one note names both.
	keytool(t, kt, "-importcert", "-noprompt", "-alias", JavaAlias(retired.Cert), "-file", retired.File, "-keystore", cacerts, "-storepass", "changeit")
	st = j.Status(withRetired)
	if n := strings.Count(st.Reason, "holds the root of the CA vouch rotate retired"); n != 1 || !strings.Contains(st.Reason, JavaAlias(retired.Cert)+")") && !strings.Contains(st.Reason, JavaAlias(retired.Cert)+", ") {
		t.Errorf("Status with a retired root's two aliases = %q; want one note naming both", st.Reason)
	}
	keytool(t, kt, "-delete", "-alias", JavaAlias(retired.Cert), "-keystore", cacerts, "-storepass", "changeit")
	// Without all, only the root's own (hook) alias goes.
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Errorf("Uninstall without all = %v, %v; want the root's hook alias removed", changed, err)
	}
	if st := j.Status(root); st.State != NotTrusted || !slices.Equal(slices.Sorted(slices.Values(st.Stale)), want) {
		t.Errorf("after Uninstall without all, Status = %+v; want not trusted, stale %q", st, want)
	}
	if changed, err := j.Uninstall(ctx, root, true); err != nil || !changed {
		t.Errorf("Uninstall with all = %v, %v; want the old aliases removed", changed, err)
	}
	if st := j.Status(root); len(st.Stale) != 0 {
		t.Errorf("after Uninstall with all, Stale = %q", st.Stale)
	}
	if st := j.Status(old); st.State != Trusted || !strings.Contains(st.Reason, "debian:"+JavaAlias(old.Cert)) {
		t.Errorf("after Uninstall with all, Status(old) = %+v; want it trusted by the alias that is not vouch's", st)
	}
}

// TestJavaKeep: the alias of a root the user keeps (trusted for someone
// else) is not stale and survives Uninstall with all.
func TestJavaKeep(t *testing.T) {
	root := javaRoot(t, "vouch root now")
	friend := javaRoot(t, "vouch root friend")
	f, cacerts, kt := realCopy(t, "JKS", false)
	keytool(t, kt, "-importcert", "-noprompt", "-alias", JavaAlias(friend.Cert), "-file", friend.File, "-keystore", cacerts, "-storepass", "changeit")
	j := f.store(realRunner(), t.TempDir())
	root.Keep = []*x509.Certificate{friend.Cert}
	if st := j.Status(root); len(st.Stale) != 0 {
		t.Errorf("Stale = %q, want none (the friend's root is kept)", st.Stale)
	}
	if _, err := j.Uninstall(context.Background(), root, true); err != nil {
		t.Fatal(err)
	}
	if st := j.Status(friend); st.State != Trusted {
		t.Errorf("Uninstall with all removed a kept root: %+v", st)
	}
}

// TestJavaRestoreAsRoot checks the commands that put a keystore back when
// it can't be replaced without root, with a runner that carries them out.
func TestJavaRestoreAsRoot(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("install(1) and mv(1)")
	}
	for _, tool := range []string{"install", "mv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
	root := javaRoot(t, "vouch root asroot")
	other := javaRoot(t, "other")
	f := newFakeJava(t)
	orig := jksBytes(t, jksEntry{"other", other.Cert})
	cacerts := f.jdk(t, "/usr/lib/jvm/a", orig, "fake")
	if err := os.Chmod(cacerts, 0o640); err != nil {
		t.Fatal(err)
	}
	installed := jksBytes(t, jksEntry{"other", other.Cert}, jksEntry{JavaAlias(root.Cert), root.Cert})
	ex := &platform.Exec{IsRoot: true}
	rec := &javaRec{run: func(c platform.Cmd) ([]byte, error) {
		if strings.HasSuffix(c.Argv[0], "keytool") {
			// The fake keytool "imports": the root is added.
			return nil, os.WriteFile(c.Argv[slices.Index(c.Argv, "-keystore")+1], installed, 0o640)
		}
		return ex.Run(context.Background(), c)
	}}
	state := t.TempDir()
	j := f.store(rec, state)
	j.CanReplace = func(string) bool { return false }
	ctx := context.Background()
	if _, err := j.Install(ctx, root); err != nil {
		t.Fatal(err)
	}
	rec.cmds = nil
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	tmp := filepath.Join(filepath.Dir(cacerts), ".cacerts.vouch-restore")
	uid, gid := os.Getuid(), os.Getgid()
	want := []string{
		fmt.Sprintf("install -m 0640 -o %d -g %d %s %s", uid, gid, j.backupPath(cacerts, root.Cert), tmp),
		"mv -f " + tmp + " " + cacerts,
	}
	if got := rec.argvs(); !slices.Equal(got, want) {
		t.Errorf("Uninstall ran\n%q\nwant\n%q", got, want)
	}
	for _, c := range rec.cmds {
		if !c.Root {
			t.Errorf("%q did not ask for root", c.Argv)
		}
	}
	if got := mustRead(t, cacerts); !bytes.Equal(got, orig) {
		t.Errorf("keystore not put back")
	}
	if fi, _ := os.Stat(cacerts); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after restore = %v, want 0640", fi.Mode().Perm())
	}
}

// TestJavaUninstallNeedsRoot: where sudo can't help, the error lists every
// command left to run as root, in order.
func TestJavaUninstallNeedsRoot(t *testing.T) {
	root := javaRoot(t, "vouch root needroot")
	other := javaRoot(t, "other")
	needRoot := func(c platform.Cmd) ([]byte, error) {
		if c.Root {
			return nil, &platform.NeedRootError{Reason: "sudo is not installed", Commands: []platform.Cmd{c}}
		}
		return nil, nil
	}
	orig := jksBytes(t, jksEntry{"other", other.Cert})
	installed := jksBytes(t, jksEntry{"other", other.Cert}, jksEntry{JavaAlias(root.Cert), root.Cert}, jksEntry{"debian:x.pem", root.Cert})
	for _, tt := range []struct {
		name  string
		state bool
		want  []string
	}{
		{"restore", true, []string{"install -m 0644", "mv -f"}},
		{"delete", false, []string{"install -m 0644", "-delete -alias debian:x.pem -keystore ", "-delete -alias " + JavaAlias(root.Cert), "mv -f"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeJava(t)
			cacerts := f.jdk(t, "/usr/lib/jvm/a", orig, "fake")
			state := ""
			if tt.state {
				state = t.TempDir()
			}
			j := f.store(&javaRec{}, state)
			j.CanReplace = func(string) bool { return false }
			if _, err := j.Install(context.Background(), root); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cacerts, installed, 0o644); err != nil {
				t.Fatal(err)
			}
			j.Runner = &javaRec{run: needRoot}
			_, err := j.Uninstall(context.Background(), root, false)
			var nr *platform.NeedRootError
			if !errors.As(err, &nr) || len(nr.Commands) != len(tt.want) {
				t.Fatalf("Uninstall = %v, want a NeedRootError with %d commands", err, len(tt.want))
			}
			for i, w := range tt.want {
				if got := nr.Commands[i].String(); !strings.Contains(got, w) || !nr.Commands[i].Root {
					t.Errorf("command %d = %q (root %v), want %q as root", i, got, nr.Commands[i].Root, w)
				}
				// keytool changes the copy install(1) made, never cacerts.
				if got := nr.Commands[i].String(); strings.Contains(got, "-delete") && !strings.Contains(got, ".cacerts.vouch-edit -storepass") {
					t.Errorf("command %d = %q, want it to change the copy .cacerts.vouch-edit", i, got)
				}
			}
		})
	}
}

func TestParseKeytoolList(t *testing.T) {
	root := javaRoot(t, "vouch root list")
	body := strings.TrimSpace(string(root.PEM))
	out := "Keystore type: PKCS12\nKeystore provider: SUN\n\nYour keystore contains 2 entries\n\n" +
		"Alias name: debian:vouch-x.pem\nCreation date: Nov 23, 2026\nEntry type: trustedCertEntry\n\n" + body + "\n\n\n" +
		"*******************************************\n\n\n" +
		"Alias name: mykey\r\nCreation date: Nov 23, 2026\r\nEntry type: PrivateKeyEntry\r\nCertificate chain length: 2\r\nCertificate[1]:\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\nCertificate[2]:\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	got, err := parseKeytoolList([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Alias != "debian:vouch-x.pem" || !got[0].Trusted || len(got[0].Certs) != 1 ||
		!bytes.Equal(got[0].Certs[0], root.Cert.Raw) || got[1].Alias != "mykey" || got[1].Trusted || len(got[1].Certs) != 2 {
		t.Errorf("parseKeytoolList = %+v", got)
	}
	if _, err := parseKeytoolList([]byte("Alias name: x\n-----BEGIN CERTIFICATE-----\nAAAA\n")); err == nil {
		t.Error("parseKeytoolList of a cut listing succeeded, want an error")
	}
}

func TestJavaAlias(t *testing.T) {
	root := javaRoot(t, "vouch root alias")
	sum := sha256.Sum256(root.Cert.Raw)
	if got, want := JavaAlias(root.Cert), fmt.Sprintf("vouch-%x", sum[:8]); got != want || len(got) != len("vouch-")+16 {
		t.Errorf("JavaAlias = %q, want %q", got, want)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestJavaRealStoreInNamespace finds this machine's real Java keystores
// and installs into and uninstalls from them, inside nstest's throwaway
// mount namespace where they are tmpfs copies. On Debian it also runs
// update-ca-certificates, whose ca-certificates-java hook imports the
// system anchor as debian:vouch-….pem, and checks that uninstall takes
// that out too and gives back the keystore byte for byte.
func TestJavaRealStoreInNamespace(t *testing.T) {
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		ctx := context.Background()
		search := platform.JavaSearch{Root: "/", Home: env.Home, Getenv: os.Getenv, GOOS: runtime.GOOS}
		j := NewJava(search, realRunner(), filepath.Join(env.Home, ".local", "state", "vouch"))
		stores := j.Keystores(ctx)
		if len(stores) == 0 {
			needKeytool(t) // skips, or fails under VOUCH_E2E=1, when there is no Java
			t.Fatalf("keytool is here but no keystore was found: %s", j.notFound())
		}
		// Never change a keystore that is not a copy.
		for _, k := range stores {
			inside := false
			for _, p := range env.Paths {
				inside = inside || k.Path == p || strings.HasPrefix(k.Path, p+"/")
			}
			if !inside {
				t.Fatalf("found %s, which nstest did not copy (copied: %q); refusing to change it", k.Path, env.Paths)
			}
		}
		// Every JDK that links to Debian's shared keystore shares one store.
		const shared = "/etc/ssl/certs/java/cacerts"
		links, _ := filepath.Glob("/usr/lib/jvm/*/lib/security/cacerts")
		sharedBy := 0
		for _, l := range links {
			if r, err := filepath.EvalSymlinks(l); err == nil && r == shared {
				sharedBy++
			}
		}
		n := 0
		for _, k := range stores {
			if k.Path == shared {
				n++
				if len(k.Homes) < 2 && sharedBy >= 2 {
					t.Errorf("%s lists %d JDKs, want the %d linking to it", shared, len(k.Homes), sharedBy)
				}
			}
		}
		if sharedBy > 0 && n != 1 {
			t.Errorf("%s appears %d times, want once", shared, n)
		}

		before := map[string][]byte{}
		for _, k := range stores {
			before[k.Path] = mustRead(t, k.Path)
		}
		root := javaRoot(t, "vouch root namespace")
		if changed, err := j.Install(ctx, root); err != nil || !changed {
			t.Fatalf("Install = %v, %v", changed, err)
		}
		st := j.Status(root)
		if st.State != Trusted {
			t.Fatalf("Status after install = %+v", st)
		}
		t.Logf("after install: %s", st.Reason)

		if _, err := os.Stat("/etc/ca-certificates/update.d/jks-keystore"); err == nil && n == 1 {
			anchor := filepath.Join("/usr/local/share/ca-certificates", platform.AnchorName(root.Cert))
			if err := os.WriteFile(anchor, root.PEM, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("update-ca-certificates").CombinedOutput(); err != nil {
				t.Fatalf("update-ca-certificates: %v\n%s", err, out)
			}
			hook := "debian:" + JavaAlias(root.Cert) + ".pem"
			_, ks, err := readKeystore(shared)
			if err != nil {
				t.Fatal(err)
			}
			var aliases []string
			for _, h := range ks.holders(root.Cert) {
				aliases = append(aliases, h.Alias)
			}
			if !slices.Contains(aliases, hook) {
				t.Fatalf("after update-ca-certificates, %s holds the root as %q, want %s too", shared, aliases, hook)
			}
		}

		if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
			t.Fatalf("Uninstall = %v, %v", changed, err)
		}
		if st := j.Status(root); st.State != NotTrusted {
			t.Errorf("Status after uninstall = %+v, want not trusted", st)
		}
		for p, data := range before {
			if !bytes.Equal(mustRead(t, p), data) {
				t.Errorf("after install and uninstall, %s differs from before", p)
			}
		}
	})
}

// TestJavaMkcertAliases: an mkcert root that mkcert -install put in a
// keystore (its own alias, and Debian's hook's import of its anchor).
// Uninstall takes out vouch's alias and leaves mkcert's, as it leaves
// mkcert's system anchor; with Mkcert they go too.
func TestJavaMkcertAliases(t *testing.T) {
	t.Parallel()
	r := javaRoot(t, "mkcert root@host")
	f, cacerts, kt := realCopy(t, "JKS", true)
	rec := realRunner()
	j := f.store(rec, t.TempDir())
	ctx := context.Background()
	serial := r.Cert.SerialNumber.String()
	for _, alias := range []string{"mkcert development CA " + serial, "debian:mkcert_development_CA_" + serial + ".pem", JavaAlias(r.Cert)} {
		keytool(t, kt, "-importcert", "-noprompt", "-alias", alias, "-file", r.File, "-keystore", cacerts, "-storepass", "changeit")
	}
	if st := j.Status(r); st.State != Trusted || !strings.Contains(st.Reason, "mkcert's aliases go only with vouch uninstall --mkcert") {
		t.Errorf("Status = %+v, want trusted, saying mkcert's aliases go only with --mkcert", st)
	}
	if _, err := j.Uninstall(ctx, r, false); err != nil {
		t.Fatalf("Uninstall = %v", err)
	}
	_, ks, err := readKeystore(cacerts)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ks.holders(r.Cert) {
		left = append(left, e.Alias)
	}
	slices.Sort(left)
	if want := []string{"debian:mkcert_development_ca_" + serial + ".pem", "mkcert development ca " + serial}; !slices.Equal(left, want) {
		t.Errorf("after Uninstall the root is held by %q, want mkcert's %q only", left, want)
	}
	r.Mkcert = true
	if changed, err := j.Uninstall(ctx, r, false); !changed || err != nil {
		t.Fatalf("Uninstall with Mkcert = %v, %v", changed, err)
	}
	if st := j.Status(r); st.State != NotTrusted {
		t.Errorf("Status after Uninstall with Mkcert = %+v, want not trusted", st)
	}
}

// TestJavaStatusNamesUnusedJavaHome: a $JAVA_HOME that added no keystore
// is named in the reason, with Java found elsewhere and with none found.
func TestJavaStatusNamesUnusedJavaHome(t *testing.T) {
	root := javaRoot(t, "vouch root javahome")
	f := newFakeJava(t)
	env := func(k string) string {
		if k == "JAVA_HOME" {
			return "/opt/jdk-21-typo"
		}
		return ""
	}
	j := f.store(&javaRec{}, t.TempDir())
	j.Search.Getenv = env
	want := "$JAVA_HOME is /opt/jdk-21-typo, which does not exist, so no Java there was checked"
	if st := j.Status(root); st.State != NotPresent || !strings.HasSuffix(st.Reason, "; "+want) {
		t.Errorf("Status with no Java = %+v, want not present, ending %q", st, want)
	}
	f.jdk(t, "/usr/lib/jvm/jdk", jksBytes(t), "fake")
	if st := j.Status(root); st.State != NotTrusted || !strings.HasSuffix(st.Reason, "; "+want) {
		t.Errorf("Status with a JDK elsewhere = %+v, want not trusted, ending %q", st, want)
	}
}

// TestJavaReachesRecordedHomes: a JDK found only through $JAVA_HOME when
// the root went in is still reached from a shell without it: status names
// it trusted, and uninstall gives its keystore back byte for byte. Before,
// the search no longer found it, and uninstall left it trusting the root.
func TestJavaReachesRecordedHomes(t *testing.T) {
	kt, _ := needKeytool(t)
	root := javaRoot(t, "vouch root recorded home")
	other := javaRoot(t, "other")
	f := newFakeJava(t)
	cacerts := f.jdk(t, "/opt/custom/jdk-21", jksBytes(t, jksEntry{"other", other.Cert}), kt)
	before := mustRead(t, cacerts)
	state := t.TempDir()
	ctx := context.Background()

	withHome := f.store(realRunner(), state)
	withHome.Search.Getenv = func(k string) string {
		if k == "JAVA_HOME" {
			return "/opt/custom/jdk-21"
		}
		return ""
	}
	if changed, err := withHome.Install(ctx, root); err != nil || !changed {
		t.Fatalf("Install with $JAVA_HOME = %v, %v", changed, err)
	}

	j := f.store(realRunner(), state) // no $JAVA_HOME
	st := j.Status(root)
	if st.State != Trusted || !strings.Contains(st.Reason, f.path("/opt/custom/jdk-21")) {
		t.Errorf("Status without $JAVA_HOME = %s: %s; want trusted, naming the JDK", st.State, st.Reason)
	}
	if changed, err := j.Uninstall(ctx, root, false); err != nil || !changed {
		t.Fatalf("Uninstall without $JAVA_HOME = %v, %v; want the JDK's keystore given back", changed, err)
	}
	if !bytes.Equal(mustRead(t, cacerts), before) {
		t.Errorf("%s differs from before the install", cacerts)
	}
	if left, _ := filepath.Glob(filepath.Join(state, "java", "*")); len(left) != 0 {
		t.Errorf("uninstall left %q in the state folder", left)
	}
	if st := j.Status(root); st.State != NotPresent {
		t.Errorf("Status after uninstall = %s: %s; want no Java found (nothing recorded any more)", st.State, st.Reason)
	}
}

// TestJavaWrongPassword: a keystore whose password is not changeit is
// named as such, with the keytool that sets changeit back; before, the
// status line said only "got invalid digest" (JKS) or "decryption
// password incorrect" (PKCS#12).
func TestJavaWrongPassword(t *testing.T) {
	other := javaRoot(t, "other")
	ks := keystore.New()
	if err := ks.SetTrustedCertificateEntry("other", keystore.TrustedCertificateEntry{
		CreationTime: time.Now(), Certificate: keystore.Certificate{Type: "X509", Content: other.Cert.Raw},
	}); err != nil {
		t.Fatal(err)
	}
	var jks bytes.Buffer
	if err := ks.Store(&jks, []byte("hunter2")); err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.EncodeTrustStoreEntries([]pkcs12.TrustStoreEntry{{Cert: other.Cert, FriendlyName: "other"}}, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	for format, data := range map[string][]byte{"JKS": jks.Bytes(), "PKCS12": p12} {
		f := newFakeJava(t)
		cacerts := f.jdk(t, "/usr/lib/jvm/x-jdk", data, "fake")
		st := f.store(&javaRec{}, t.TempDir()).Status(javaRoot(t, "vouch root pw"))
		want := "its password is not changeit, the one every JDK's trust store has (or the file is damaged), so vouch can't read it as a " + format + " keystore; if someone set another password, this puts changeit back: keytool -storepasswd -keystore " + cacerts + " -storepass THAT_PASSWORD -new changeit"
		if st.State != Failed || !strings.Contains(st.Reason, want) {
			t.Errorf("%s with another password: status %s: %s\nwant failed, saying %q", format, st.State, st.Reason, want)
		}
	}
}
