package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/internal/fsinfo"
	"github.com/vouchdev/vouch/truststore"
)

// sudoApp is vouch run as root by sudo from the user "alice", whose home
// is aliceHome; env is the rest of the environment (SUDO_UID included).
func sudoApp(t *testing.T, home, aliceHome string, env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	return &app{
		stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] },
		home:   home, goos: "linux", owner: "root@host",
		now: time.Now, isRoot: true,
		lookupUID: func(uid string) (*user.User, error) {
			if uid != "1000" {
				return nil, errors.New("no such user")
			}
			return &user.User{Uid: uid, Username: "alice", HomeDir: aliceHome}, nil
		},
	}, &stdout, &stderr
}

func caFolder(home string) string { return filepath.Join(home, ".local", "share", "vouch") }

func TestSudoRefused(t *testing.T) {
	sudo := map[string]string{"SUDO_UID": "1000", "SUDO_USER": "alice"}
	for _, tc := range []struct {
		name string
		args []string
		// sameHome: sudo kept HOME (macOS, sudo -E), so HOME is alice's.
		sameHome, aliceHasCA bool
		want                 []string
	}{
		{"install", []string{"install"}, false, false, []string{
			`^vouch: error: vouch install is running under sudo, so it would use root's CA folder \(ROOTCA\), not alice's \(ALICECA\)$`,
			`^vouch: hint: vouch install   \(without sudo: vouch asks for sudo itself where it needs root\)$`,
			`^vouch: hint: sudo vouch --caroot ROOTCA install   \(root's own CA, on purpose\)$`,
		}},
		{"mkcert -install", []string{"-install"}, false, true, []string{
			`^vouch: error: vouch install is running under sudo`,
			`^vouch: hint: vouch -install   \(without sudo`,
		}},
		{"install keeping HOME", []string{"install", "--stores", "system"}, true, true, []string{
			`^vouch: error: vouch install is running under sudo, so it would leave files owned by root in alice's home folder \(ALICE\)$`,
			`^vouch: hint: vouch install --stores system   \(without sudo`,
		}},
		{"uninstall", []string{"uninstall"}, false, true, []string{`^vouch: error: vouch uninstall is running under sudo`}},
		{"rotate", []string{"rotate"}, false, true, []string{`^vouch: error: vouch rotate is running under sudo`}},
		{"cert, root's CA", []string{"--cert-file", "/etc/web/dev.pem", "*.app.test"}, false, true, []string{
			`^vouch: error: vouch cert is running under sudo, so it would use root's CA folder \(ROOTCA\), not alice's \(ALICECA\)$`,
			`^vouch: hint: vouch --cert-file /etc/web/dev.pem '\*.app.test'   \(without sudo, as alice\)$`,
			`^vouch: hint: sudo vouch --caroot ALICECA --cert-file /etc/web/dev.pem '\*.app.test'   \(alice's CA, files written as root\)$`,
			`^vouch: hint: sudo vouch --caroot ROOTCA --cert-file`,
		}},
		{"cert, alice has no CA yet", []string{"localhost"}, true, false, []string{
			`^vouch: error: vouch cert is running under sudo, so it would leave files owned by root in alice's home folder`,
		}},
		{"export", []string{"export"}, false, true, []string{`^vouch: error: vouch export is running under sudo`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aliceHome := t.TempDir()
			home := aliceHome
			if !tc.sameHome {
				home = t.TempDir()
			}
			if tc.aliceHasCA {
				if _, _, err := certs.LoadOrCreate(caFolder(aliceHome), true, certs.CreateOptions{Constraints: certs.DefaultConstraints(), Owner: "alice@host"}); err != nil {
					t.Fatal(err)
				}
			}
			before := listTree(t, home, aliceHome)
			d := newFakeDebian(t)
			withFake(t, d)
			a, stdout, stderr := sudoApp(t, home, aliceHome, sudo)
			if code := a.run(tc.args); code != exitFail {
				t.Fatalf("vouch %q under sudo = %d, want 1; stderr:\n%s", tc.args, code, stderr)
			}
			for _, w := range tc.want {
				w = regexp.MustCompile(`ROOTCA|ALICECA|ALICE`).ReplaceAllStringFunc(w, func(m string) string {
					return regexp.QuoteMeta(map[string]string{"ROOTCA": caFolder(home), "ALICECA": caFolder(aliceHome), "ALICE": aliceHome}[m])
				})
				if !regexp.MustCompile("(?m)" + w).MatchString(stderr.String()) {
					t.Errorf("stderr lacks %s:\n%s", w, stderr)
				}
			}
			if stdout.Len() != 0 || len(d.ran) != 0 {
				t.Errorf("refused, yet printed %q and ran %q", stdout, d.ran)
			}
			if after := listTree(t, home, aliceHome); !slices.Equal(before, after) {
				t.Errorf("refused, yet the homes changed:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// TestSudoKeptXDG: sudo -E keeps alice's $XDG_DATA_HOME, which names a CA
// folder in her home: hers, not root's, so root would leave files there.
func TestSudoKeptXDG(t *testing.T) {
	aliceHome := t.TempDir()
	withFake(t, newFakeDebian(t))
	a, _, stderr := sudoApp(t, aliceHome, aliceHome, map[string]string{"SUDO_UID": "1000", "XDG_DATA_HOME": filepath.Join(aliceHome, "data")})
	want := "vouch: error: vouch install is running under sudo, so it would leave files owned by root in alice's home folder (" + aliceHome + ")\n"
	if code := a.run([]string{"install"}); code != exitFail || !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("install under sudo -E = %d, said\n%s\nwant it to start with\n%s", code, stderr, want)
	}
}

func TestSudoAllowed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		isRoot   bool
		sameHome bool
		args     []string
	}{
		{"root, not through sudo (a CI image)", nil, true, false, []string{"install"}},
		{"sudo from root", map[string]string{"SUDO_UID": "0"}, true, false, []string{"install"}},
		{"sudo to another user, not root", map[string]string{"SUDO_UID": "1000"}, false, false, []string{"--cert-file", "OUT/c.pem", "--key-file", "OUT/k.pem", "localhost"}},
		{"--caroot names the folder", map[string]string{"SUDO_UID": "1000"}, true, false, []string{"install", "--caroot", "CA"}},
		{"$VOUCH_CAROOT names the folder", map[string]string{"SUDO_UID": "1000", "VOUCH_CAROOT": "CA"}, true, false, []string{"install"}},
		{"$CAROOT names the folder", map[string]string{"SUDO_UID": "1000", "CAROOT": "CA"}, true, false, []string{"-install"}},
		{"unknown user", map[string]string{"SUDO_UID": "1001"}, true, false, []string{"install"}},
		{"cert with alice's own CA, HOME kept", map[string]string{"SUDO_UID": "1000"}, true, true, []string{"--cert-file", "OUT/c.pem", "--key-file", "OUT/k.pem", "localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aliceHome, out := t.TempDir(), t.TempDir()
			home := aliceHome
			if !tc.sameHome {
				home = t.TempDir()
			}
			if _, _, err := certs.LoadOrCreate(caFolder(aliceHome), true, certs.CreateOptions{Constraints: certs.DefaultConstraints(), Owner: "alice@host"}); err != nil {
				t.Fatal(err)
			}
			ca := filepath.Join(t.TempDir(), "ca")
			env := map[string]string{}
			fill := strings.NewReplacer("CA", ca, "OUT", out)
			for k, v := range tc.env {
				env[k] = fill.Replace(v)
			}
			var args []string
			for _, arg := range tc.args {
				args = append(args, fill.Replace(arg))
			}
			withFake(t, newFakeDebian(t))
			a, _, stderr := sudoApp(t, home, aliceHome, env)
			a.isRoot = tc.isRoot
			if code := a.run(args); code != exitOK {
				t.Fatalf("vouch %q = %d, want 0; stderr:\n%s", args, code, stderr)
			}
			if strings.Contains(stderr.String(), "under sudo") {
				t.Errorf("stderr speaks of sudo:\n%s", stderr)
			}
		})
	}
}

func TestSudoReadOnlyWarns(t *testing.T) {
	aliceHome, home := t.TempDir(), t.TempDir()
	withFake(t, newFakeDebian(t))
	a, stdout, stderr := sudoApp(t, home, aliceHome, map[string]string{"SUDO_UID": "1000"})
	if code := a.run([]string{"caroot"}); code != exitOK || stdout.String() != caFolder(home)+"\n" {
		t.Fatalf("caroot under sudo = %d, %q; want 0 and root's folder", code, stdout)
	}
	want := "vouch: warning: under sudo this is root's CA folder (" + caFolder(home) + "), not alice's (" + caFolder(aliceHome) + ")\n" +
		"vouch: hint: vouch caroot   (without sudo)\n"
	if stderr.String() != want {
		t.Errorf("caroot under sudo said\n%s\nwant\n%s", stderr, want)
	}
}

// TestSudoStatusLeavesHome: status under sudo that kept HOME writes no
// cache into the user's home: a root-owned ~/.local/state/vouch had made
// their own next install fail ("mkdir …/.local/state/vouch: permission
// denied").
func TestSudoStatusLeavesHome(t *testing.T) {
	aliceHome := t.TempDir()
	a, _, _ := sudoApp(t, aliceHome, aliceHome, map[string]string{"SUDO_UID": "1000"})
	for _, s := range a.stores() {
		if n, ok := s.(*truststore.NSS); ok && n.CacheFile != "" {
			t.Errorf("under sudo with alice's HOME, the NSS listings cache is %s, want none", n.CacheFile)
		}
	}
	// As alice herself, the cache is kept.
	a.isRoot = false
	for _, s := range a.stores() {
		if n, ok := s.(*truststore.NSS); ok && n.CacheFile == "" {
			t.Errorf("as alice, no NSS listings cache")
		}
	}
}

func TestSudoFriendWarns(t *testing.T) {
	fp := strings.Repeat("00", 32)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trust", "nothing.pem", "--fingerprint", fp}, "vouch: warning: vouch trust is running under sudo: it reaches root's browser profiles and keeps its record in root's home (HOME), not alice's\n" +
			"vouch: hint: vouch trust nothing.pem --fingerprint " + fp + "   (without sudo: vouch asks for sudo itself where it needs root)\n"},
		{[]string{"untrust", "bob"}, "vouch: warning: vouch untrust is running under sudo: it reaches root's browser profiles"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			aliceHome, home := t.TempDir(), t.TempDir()
			withFake(t, newFakeDebian(t))
			a, _, stderr := sudoApp(t, home, aliceHome, map[string]string{"SUDO_UID": "1000"})
			if code := a.run(tc.args); code != exitFail {
				t.Errorf("vouch %q = %d, want 1 (no such root)", tc.args, code)
			}
			if want := strings.ReplaceAll(tc.want, "HOME", home); !strings.HasPrefix(stderr.String(), want) {
				t.Errorf("vouch %q under sudo said\n%s\nwant it to start with\n%s", tc.args, stderr, want)
			}
		})
	}
}

// listTree lists every path under the folders, with its size.
func listTree(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		err := filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s %v %d", p, fi.Mode(), fi.Size()))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSudoStateGivenBack: under a sudo that kept alice's HOME, what a
// command leaves in vouch's state folder, and the folders it made on the
// way there, are given to alice; a folder of hers that was already root's
// before the command, outside the state folder, stays root's.
func TestSudoStateGivenBack(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("VOUCH_E2E") == "1" { // as the other tests read it
			t.Fatal("giving files away needs root")
		}
		t.Skip("giving files away needs root")
	}
	alice := t.TempDir()
	a, _, _ := sudoApp(t, alice, alice, map[string]string{"SUDO_UID": "1000"})
	a.lookupUID = func(uid string) (*user.User, error) {
		return &user.User{Uid: "4242", Gid: "4343", Username: "alice", HomeDir: alice}, nil
	}
	if err := os.Chown(alice, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	// ~/.local was root's already; ~/.local/state and below are made now.
	local := filepath.Join(alice, ".local")
	if err := os.Mkdir(local, 0o755); err != nil {
		t.Fatal(err)
	}
	done := a.keepStateTheirs()
	state := filepath.Join(local, "state", "vouch")
	if err := os.MkdirAll(filepath.Join(state, "nss", "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "nss", "db", "cert9.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("cert9.db", filepath.Join(state, "nss", "db", "link")); err != nil {
		t.Fatal(err)
	}
	done()
	for path, want := range map[string][2]int{
		local:                             {0, 0},
		filepath.Join(local, "state"):     {4242, 4343},
		state:                             {4242, 4343},
		filepath.Join(state, "nss"):       {4242, 4343},
		filepath.Join(state, "nss", "db"): {4242, 4343},
		filepath.Join(state, "nss", "db", "cert9.db"): {4242, 4343},
		filepath.Join(state, "nss", "db", "link"):     {4242, 4343},
	} {
		info, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		uid, gid, _ := fsinfo.Owner(info)
		if got := [2]int{uid, gid}; got != want {
			t.Errorf("%s is owned by %d:%d, want %d:%d", path, got[0], got[1], want[0], want[1])
		}
	}
}

// TestSudoFriendKeptHome: under a sudo that kept alice's HOME, trust says
// nothing of sudo when its record's folder is in her home (it is given
// back to her), and names the folder when $XDG_STATE_HOME put it outside.
func TestSudoFriendKeptHome(t *testing.T) {
	fp := strings.Repeat("00", 32)
	elsewhere := t.TempDir()
	for _, tc := range []struct {
		name, xdg, want string
	}{
		{"state in her home", "", ""},
		{"state elsewhere", elsewhere, "vouch: warning: vouch trust is running under sudo: what it keeps in " + filepath.Join(elsewhere, "vouch") + " will be owned by root\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alice := t.TempDir()
			withFake(t, newFakeDebian(t))
			a, _, stderr := sudoApp(t, alice, alice, map[string]string{"SUDO_UID": "1000", "XDG_STATE_HOME": tc.xdg})
			if code := a.run([]string{"trust", "nothing.pem", "--fingerprint", fp}); code != exitFail {
				t.Errorf("vouch trust = %d, want 1 (no such root)", code)
			}
			got := stderr.String()
			if tc.want == "" && strings.Contains(got, "sudo") || !strings.HasPrefix(got, tc.want) {
				t.Errorf("vouch trust under a sudo that kept HOME said\n%s\nwant it to start with %q (and name sudo only then)", got, tc.want)
			}
		})
	}
}
