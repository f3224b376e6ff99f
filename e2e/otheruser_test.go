//go:build linux

package e2e

import (
	"context"
	"os"
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
	bin := filepath.Join(work, "vouch")
	out := filepath.Join(work, "out")
	ca := filepath.Join(work, "ca")
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
	env := []string{"HOME=" + out, "PATH=/usr/bin:/bin"}
	if res, err := runCmd(context.Background(), env, "", time.Minute, bin, "--caroot", ca, "--cert-file", filepath.Join(work, "root.pem"), "--key-file", filepath.Join(work, "root-key.pem"), "localhost"); err != nil || res.exitCode != 0 {
		t.Fatalf("vouch as root = %v, %v", res, err)
	}
	before, err := nstest.Snapshot(ca)
	if err != nil {
		t.Fatal(err)
	}

	// As nobody (uid and gid 65534), in a working folder of its own.
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
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
