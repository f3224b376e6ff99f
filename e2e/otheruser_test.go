//go:build linux

package e2e

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/nstest"
)

// TestCAOfAnotherUser: a user who runs vouch on a CA folder made by another
// user (root, in a CI image) gets told whose it is, not to move it aside
// and make a new one, which would be a second root to trust everywhere.
// The folder is left as it was and nothing is written. It changes no trust
// store, so it needs no namespace; it needs root to run vouch as nobody.
func TestCAOfAnotherUser(t *testing.T) {
	work, out, bin, env := nobodysFolder(t)
	ca := filepath.Join(work, "ca")
	if res, err := runCmd(context.Background(), env, "", time.Minute, bin, "--caroot", ca, "--cert-file", filepath.Join(work, "root.pem"), "--key-file", filepath.Join(work, "root-key.pem"), "localhost"); err != nil || res.exitCode != 0 {
		t.Fatalf("vouch as root = %v, %v", res, err)
	}
	before, err := nstest.Snapshot(ca)
	if err != nil {
		t.Fatal(err)
	}

	res, err := runCmdAs(context.Background(), nobody, out, env, "", time.Minute, bin, "--caroot", ca, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("as uid 65534: vouch --caroot %s localhost: exit %d\n%s", ca, res.exitCode, res.stderr)
	if res.exitCode != 1 {
		t.Errorf("exit %d, want 1", res.exitCode)
	}
	if !strings.Contains(res.stderr, "vouch: hint: the CA in "+ca+" is not readable by you: run vouch as the user who made it, or give a folder of your own with --caroot") || strings.Contains(res.stderr, "aside") {
		t.Errorf("stderr %q, want the hint that the CA is another user's, and no advice to move it aside", res.stderr)
	}
	after, err := nstest.Snapshot(ca)
	if err != nil {
		t.Fatal(err)
	}
	if d := nstest.Diff(before, after); d != "" {
		t.Errorf("the CA folder changed:\n%s", d)
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Errorf("vouch wrote %d files in the working folder", len(left))
	}
}

// nobody is uid and gid 65534, in no other group.
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}

// nobodysFolder makes a folder open to nobody (work, with a copy of vouch
// in it) and in it a working folder of nobody's own (out), with the
// environment to run vouch in. It needs root.
func nobodysFolder(t *testing.T) (work, out, bin string, env []string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if strict() {
			t.Fatal("VOUCH_E2E=1 and not root: can't run vouch as another user")
		}
		t.Skip("needs root, to run vouch as another user")
	}
	// Every folder on the way must be open to nobody, so no t.TempDir.
	work, err := os.MkdirTemp("", "vouch-e2e-otheruser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	bin = filepath.Join(work, "vouch")
	out = filepath.Join(work, "out")
	data, err := os.ReadFile(vouchBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{work, out} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(out, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return work, out, bin, []string{"HOME=" + out, "PATH=/usr/bin:/bin"}
}

// TestNamedFilesOfAnotherUser: a user who can't give a replaced key its
// group gets a key only they can read, not one their own group may read;
// and --cert-file /dev/stdout works when stdout is a pipe another user
// made (here the test's, made as root), which opening /dev/stdout anew
// can't.
func TestNamedFilesOfAnotherUser(t *testing.T) {
	_, out, bin, env := nobodysFolder(t)
	ca := filepath.Join(out, "ca")
	vouch := func(args ...string) result {
		t.Helper()
		res, err := runCmdAs(context.Background(), nobody, out, env, "", time.Minute, bin, append([]string{"--caroot", ca}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		if res.exitCode != 0 {
			t.Fatalf("as uid 65534: vouch %s: exit %d\n%s", strings.Join(args, " "), res.exitCode, res.stderr)
		}
		return res
	}
	vouch("localhost")
	key := filepath.Join(out, "localhost-key.pem")
	if err := os.Chown(key, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o640); err != nil {
		t.Fatal(err)
	}
	res := vouch("localhost")
	// Group 1 is daemon on Debian, bin on Fedora and Alpine.
	g, err := user.LookupGroupId("1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"vouch: warning: ./localhost-key.pem belonged to root:" + g.Name + " (mode 0640); only root can give the new one that owner and group, so it is yours now, and a server that read it as root:" + g.Name + " can't\n",
		"vouch: hint: sudo chown root:" + g.Name + " ./localhost-key.pem && sudo chmod 0640 ./localhost-key.pem\n",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	st, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	uid, gid := st.Sys().(*syscall.Stat_t).Uid, st.Sys().(*syscall.Stat_t).Gid
	t.Logf("a key 0:1 -rw-r----- replaced as uid 65534: now %d:%d %v", uid, gid, st.Mode().Perm())
	if uid != 65534 || gid != 65534 || st.Mode().Perm() != 0o600 {
		t.Errorf("want 65534:65534 -rw-------: the group that could read the old key was not kept, so no group may read the new one")
	}

	// Their own key whose group they are not in: only the group is lost,
	// and the warning says that, not that the file "is yours now".
	if err := os.Chown(key, 65534, 1); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(key, 0o640); err != nil {
		t.Fatal(err)
	}
	res = vouch("localhost")
	for _, want := range []string{
		"vouch: warning: ./localhost-key.pem belonged to the group " + g.Name + " (mode 0640), which you are not in; only root can give the new one that group, so its group is yours now, and a server that read it as group " + g.Name + " can't\n",
		"vouch: hint: sudo chgrp " + g.Name + " ./localhost-key.pem && chmod 0640 ./localhost-key.pem\n",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}

	res = vouch("--cert-file", "/dev/stdout", "--key-file", "k.pem", "localhost")
	if n := strings.Count(res.stdout, "-----BEGIN CERTIFICATE-----"); n != 2 || strings.Contains(res.stdout, "k.pem") {
		t.Errorf("stdout through /dev/stdout = %q, want the chain (2 certificates) and no list of paths", res.stdout)
	}
}
