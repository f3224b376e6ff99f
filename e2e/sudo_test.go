//go:build linux

package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nstest"
)

var toolSudo = tool{"sudo", "sudo"}

// TestSystemThroughSudo: a user who is not root installs with the real
// sudo (Debian's, NOPASSWD, no terminal, so vouch runs `sudo -n` itself),
// and the system store and Java's cacerts trust the root; the same user's
// `sudo vouch install` is refused before anything changes, because sudo
// gives vouch root's HOME; `sudo vouch --caroot …` signs with the user's CA
// into a folder only root can write; the user's uninstall, through sudo
// again, leaves every trust store byte-identical to before.
func TestSystemThroughSudo(t *testing.T) {
	debianStoreTest(t, "runs sudo and update-ca-certificates")
	requireTools(t, toolSudo, toolCurl)
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		u := addSudoUser(t)
		before := snapshotStores(t, env)
		cacertsBefore := brFileSum(t, debJavaCacerts)
		caDir := filepath.Join(u.home, ".local", "share", "vouch")

		// The user's first leaf makes their CA; root serves it.
		res := u.vouch(t, "--cert-file", "dev.pem", "--key-file", "dev-key.pem", "localhost")
		if res.exitCode != 0 {
			t.Fatalf("vouch localhost as %s = exit %d", u.name, res.exitCode)
		}
		l := newLeafFiles(t, "sudo")
		for src, dst := range map[string]string{"dev.pem": l.chainFile, "dev-key.pem": l.keyFile} {
			data, err := os.ReadFile(filepath.Join(u.home, src))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		l.load(t)
		root := readOneCert(t, filepath.Join(caDir, "rootCA.pem"))
		srv := serveAt(t, l, "127.0.0.1")
		tg := target{host: "localhost", port: srv.port, marker: srv.marker, leaf: l}
		h := &sysHost{home: env.Home}
		expectCurl(t, h, "before install", tg, false)

		// Java alone, as the user: keytool runs through sudo on a copy
		// that install(1) makes beside cacerts, and mv(1) puts in place.
		cacertsInfo, err := os.Stat(debJavaCacerts)
		if err != nil {
			t.Fatal(err)
		}
		res = u.vouch(t, "install", "--stores", "java")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "java: trusted now") {
			t.Fatalf("install --stores java as %s through sudo = exit %d; want 0 and \"java: trusted now\"", u.name, res.exitCode)
		}
		if res := u.vouch(t, "status", "--stores", "java"); res.exitCode != 0 {
			t.Errorf("status --stores java after the install = exit %d, want 0", res.exitCode)
		}
		if info, err := os.Stat(debJavaCacerts); err != nil || info.Mode() != cacertsInfo.Mode() || info.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("%s after keytool through sudo: %v, %v; want mode %v, owned by root", debJavaCacerts, info, err, cacertsInfo.Mode())
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(debJavaCacerts), ".*")); len(left) != 0 {
			t.Errorf("install left %q beside %s", left, debJavaCacerts)
		}
		res = u.vouch(t, "uninstall", "--stores", "java")
		if res.exitCode != 0 {
			t.Fatalf("uninstall --stores java as %s through sudo = exit %d, want 0", u.name, res.exitCode)
		}
		if now := brFileSum(t, debJavaCacerts); now != cacertsBefore {
			t.Errorf("%s after install and uninstall --stores java: sha256 %s, want %s as before", debJavaCacerts, now, cacertsBefore)
		}

		// As the user: vouch asks sudo for the two system-store commands.
		res = u.vouch(t, "install", "--stores", "system,java")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: trusted now") || strings.Contains(res.stderr, "run these as root") {
			t.Fatalf("install as %s through sudo = exit %d; want 0, \"system: trusted now\" and no commands to paste", u.name, res.exitCode)
		}
		checkInstalled(t, h, root)
		expectCurl(t, h, "after install", tg, true)
		installed := snapshotStores(t, env)

		// `sudo vouch install`: sudo made HOME root's, so vouch stops.
		res = u.run(t, "sudo", "-n", u.bin, "install")
		wantErr := fmt.Sprintf("vouch: error: vouch install is running under sudo, so it would use root's CA folder (%s), not %s's (%s)",
			filepath.Join(u.rootHome, ".local", "share", "vouch"), u.name, caDir)
		if res.exitCode != 1 || !strings.Contains(res.stderr, wantErr) || !strings.Contains(res.stderr, "vouch: hint: vouch install   (without sudo") {
			t.Errorf("sudo vouch install = exit %d; want 1 and\n%s\nand the hint to run vouch install without sudo", res.exitCode, wantErr)
		}
		expectUnchanged(t, env, installed)
		if left, err := os.ReadDir(u.rootHome); err != nil || len(left) != 0 {
			t.Errorf("root's home after the refused sudo vouch install holds %v (%v), want nothing", left, err)
		}

		// The hint's way to sign as root: name the user's CA folder.
		res = u.run(t, "sudo", "-n", u.bin, "--caroot", caDir, "--cert-file", filepath.Join(u.rootOnly, "web.pem"),
			"--key-file", filepath.Join(u.rootOnly, "web-key.pem"), "web.test")
		if res.exitCode != 0 {
			t.Errorf("sudo vouch --caroot %s … web.test = exit %d, want 0", caDir, res.exitCode)
		} else if web := readCerts(t, filepath.Join(u.rootOnly, "web.pem")); web[0].CheckSignatureFrom(readOneCert(t, filepath.Join(caDir, "intermediateCA.pem"))) != nil {
			t.Errorf("web.pem written as root is not signed by %s's intermediate", u.name)
		} else if info, err := os.Stat(filepath.Join(u.rootOnly, "web-key.pem")); err != nil || info.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("web-key.pem: %v, want a file owned by root", err)
		}

		res = u.vouch(t, "uninstall", "--stores", "system,java")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") {
			t.Fatalf("uninstall as %s through sudo = exit %d; want 0 and \"system: removed\"", u.name, res.exitCode)
		}
		checkRemoved(t, h, root)
		expectCurl(t, h, "after uninstall", tg, false)
		expectUnchanged(t, env, before)
		if now := brFileSum(t, debJavaCacerts); now != cacertsBefore {
			t.Errorf("%s after uninstall through sudo: sha256 %s, want %s as before", debJavaCacerts, now, cacertsBefore)
		} else {
			t.Logf("%s byte-identical to before (sha256 %s)", debJavaCacerts, now)
		}
	})
}

// TestSudoKeepingHome: where sudo keeps HOME (macOS's sudo, sudo -E,
// --preserve-env=HOME), `sudo vouch --caroot X install` finds the user's
// browser databases and keeps its copies (NSS's, Java's) in the user's
// state folder. Whatever it makes in their home is theirs, not root's, so
// their own install afterwards can keep its copies there too, and the
// sudo uninstall still puts their NSS database back as it was.
func TestSudoKeepingHome(t *testing.T) {
	debianStoreTest(t, "runs sudo and keytool")
	requireTools(t, toolSudo, toolCertutil, toolKeytool)
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		u := addSudoUser(t)
		nssdb := filepath.Join(u.home, ".pki", "nssdb")
		if res := u.run(t, "mkdir", "-p", nssdb); res.exitCode != 0 {
			t.Fatalf("mkdir -p %s as %s = exit %d", nssdb, u.name, res.exitCode)
		}
		if res := u.run(t, "certutil", "-N", "-d", "sql:"+nssdb, "--empty-password"); res.exitCode != 0 {
			t.Fatalf("certutil -N as %s = exit %d", u.name, res.exitCode)
		}
		dbBefore := brFileSum(t, filepath.Join(nssdb, "cert9.db"))
		notTheirs := func(phase string) {
			t.Helper()
			var bad []string
			filepath.WalkDir(u.home, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					bad = append(bad, p+": "+err.Error())
					return nil
				}
				if info, err := d.Info(); err == nil && info.Sys().(*syscall.Stat_t).Uid != u.cred.Uid {
					bad = append(bad, fmt.Sprintf("%s (uid %d)", p, info.Sys().(*syscall.Stat_t).Uid))
				}
				return nil
			})
			if len(bad) > 0 {
				t.Errorf("after %s, %s's home holds what is not theirs:\n%s", phase, u.name, strings.Join(bad, "\n"))
			}
		}
		ca := filepath.Join(u.rootOnly, "ca")
		sudo := func(args ...string) result {
			t.Helper()
			return u.run(t, "sudo", append([]string{"-n", "--preserve-env=HOME", u.bin, "--caroot", ca}, args...)...)
		}

		res := sudo("install", "--stores", "nss,java")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "nss: trusted now") || !strings.Contains(res.stderr, "java: trusted now") {
			t.Fatalf("sudo --preserve-env=HOME vouch --caroot %s install = exit %d; want 0, \"nss: trusted now\" and \"java: trusted now\"", ca, res.exitCode)
		}
		state := filepath.Join(u.home, ".local", "state", "vouch")
		if _, err := os.Stat(filepath.Join(state, "nss")); err != nil {
			t.Errorf("the sudo install kept no NSS copy in %s: %v", state, err)
		}
		notTheirs("sudo vouch install")

		// Their own CA, their own install and uninstall, without sudo.
		for _, args := range [][]string{{"install", "--stores", "nss"}, {"uninstall", "--stores", "nss"}} {
			res := u.vouch(t, args...)
			if res.exitCode != 0 || strings.Contains(res.stderr, "warning") || strings.Contains(res.stderr, "error") {
				t.Errorf("vouch %s as %s after the sudo install = exit %d; want 0 with no warning or error", strings.Join(args, " "), u.name, res.exitCode)
			}
		}
		notTheirs("their own install and uninstall")

		res = sudo("uninstall", "--stores", "nss,java")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "nss: removed") {
			t.Errorf("sudo --preserve-env=HOME vouch --caroot %s uninstall = exit %d; want 0 and \"nss: removed\"", ca, res.exitCode)
		}
		if now := brFileSum(t, filepath.Join(nssdb, "cert9.db")); now != dbBefore {
			t.Errorf("%s/cert9.db after the uninstalls: sha256 %s, want %s as before", nssdb, now, dbBefore)
		}
		notTheirs("sudo vouch uninstall")
	})
}

// sudoUser is a user made for one test inside its namespace, who may run
// anything as root through sudo with no password.
type sudoUser struct {
	name     string
	cred     *syscall.Credential
	home     string // theirs
	rootHome string // root's, as this namespace's passwd says
	rootOnly string // a folder only root may write
	bin      string // a vouch they may run
}

// addSudoUser writes the user into copies of passwd, group and shadow and
// a sudoers rule, each mounted over the real one in this namespace only;
// root's home in that passwd is a fresh folder, so a sudo that resets
// HOME sends vouch there, never to the real /root. sudo's own state
// (/run/sudo, /var/lib/sudo) is a tmpfs here too.
func addSudoUser(t *testing.T) *sudoUser {
	t.Helper()
	requirePrivateNamespace(t)
	// Every folder on the way must be open to the user, so neither
	// t.TempDir nor nstest's $TMPDIR (both 0700).
	work, err := os.MkdirTemp("/tmp", "vouch-e2e-sudo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	uid := 4242
	for strings.Contains(string(passwd), ":"+strconv.Itoa(uid)+":") {
		uid++
	}
	u := &sudoUser{
		name:     "vouchsudo",
		cred:     &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{}},
		home:     filepath.Join(work, "home"),
		rootHome: filepath.Join(work, "root"),
		rootOnly: filepath.Join(work, "root-only"),
		bin:      filepath.Join(work, "vouch"),
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{work, 0o755}, {u.home, 0o755}, {u.rootHome, 0o700}, {u.rootOnly, 0o700}} {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(u.home, uid, uid); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(vouchBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(u.bin, bin, 0o755); err != nil {
		t.Fatal(err)
	}

	var lines []string
	for _, line := range strings.Split(strings.TrimRight(string(passwd), "\n"), "\n") {
		if f := strings.Split(line, ":"); len(f) == 7 && f[0] == "root" {
			f[5] = u.rootHome
			line = strings.Join(f, ":")
		}
		lines = append(lines, line)
	}
	lines = append(lines, fmt.Sprintf("%s:x:%d:%d:vouch e2e:%s:/bin/sh", u.name, uid, uid, u.home))
	overlayFile(t, work, "/etc/passwd", strings.Join(lines, "\n")+"\n", 0o644)
	appendOverlay(t, work, "/etc/group", fmt.Sprintf("%s:x:%d:\n", u.name, uid), 0o644)
	// pam_unix's account check wants a shadow entry; "*" has no password.
	appendOverlay(t, work, "/etc/shadow", u.name+":*:20000:0:99999:7:::\n", 0o640)
	nsMount(t, "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/etc/sudoers.d")
	if err := os.WriteFile("/etc/sudoers.d/vouchsudo", []byte(u.name+" ALL=(root) NOPASSWD: ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	nsMount(t, "-t", "tmpfs", "tmpfs", "/run")
	if _, err := os.Stat("/var/lib/sudo"); err == nil {
		nsMount(t, "-t", "tmpfs", "tmpfs", "/var/lib/sudo")
	}
	return u
}

// overlayFile mounts a file holding content over path, in this namespace.
func overlayFile(t *testing.T, work, path, content string, mode os.FileMode) {
	t.Helper()
	dup := filepath.Join(work, filepath.Base(path))
	if err := os.WriteFile(dup, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dup, mode); err != nil {
		t.Fatal(err)
	}
	nsMount(t, "--bind", dup, path)
}

// appendOverlay is overlayFile with path's own content and more after it.
func appendOverlay(t *testing.T, work, path, more string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	overlayFile(t, work, path, string(data)+more, mode)
}

// run runs a command as the user, in their home, with a login-like
// environment and no terminal.
func (u *sudoUser) run(t *testing.T, name string, args ...string) result {
	t.Helper()
	env := []string{"HOME=" + u.home, "USER=" + u.name, "LOGNAME=" + u.name, "PATH=/usr/local/bin:/usr/bin:/bin"}
	start := time.Now()
	res, err := runCmdAs(context.Background(), u.cred, u.home, env, "", 3*time.Minute, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s$ %s %s  (%v)\n%v", u.name, name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), res)
	return res
}

func (u *sudoUser) vouch(t *testing.T, args ...string) result {
	t.Helper()
	return u.run(t, u.bin, args...)
}

// expectCurl fails t unless curl, reading the system store, accepts tg
// (want) or rejects it.
func expectCurl(t *testing.T, h *sysHost, phase string, tg target, want bool) {
	t.Helper()
	got, err := curlVerdict(context.Background(), h.env(), tg, addrOf(tg))
	if err != nil {
		t.Fatalf("%s: curl: %v", phase, err)
	}
	if got.accepted != want {
		t.Errorf("%s: curl %s accepted = %v (%s), want %v", phase, tg.url(), got.accepted, got.detail, want)
	} else {
		t.Logf("%s: curl %s accepted = %v", phase, tg.url(), got.accepted)
	}
}
