//go:build linux

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/internal/nstest"
)

// TestFriendTrustSystem: a friend trusts the owner's root, read from a
// file, in the real Debian system store. With a wrong fingerprint vouch
// refuses and every store stays byte-identical; with the right one curl
// trusts the owner's server; after vouch untrust curl refuses it again and
// the stores are as they began.
func TestFriendTrustSystem(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates")
	requireTools(t, toolCurl)
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		ownerHome := filepath.Join(t.TempDir(), "alice")
		otherHome := filepath.Join(t.TempDir(), "mallory")
		for _, d := range []string{ownerHome, otherHome} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		owner, other := &sysHost{home: ownerHome}, &sysHost{home: otherHome}
		friend := &sysHost{home: env.Home}

		l := issueWith(t, owner.vouch, "--permit", "photos.alice.org", "photos.alice.org")
		issueWith(t, other.vouch, "localhost")
		rootFile := filepath.Join(ownerHome, ".local", "share", "vouch", "rootCA.pem")
		root := readOneCert(t, rootFile)
		wrong := readOneCert(t, filepath.Join(otherHome, ".local", "share", "vouch", "rootCA.pem"))
		srv := serveAt(t, l, "127.0.0.1")
		tg := target{host: "photos.alice.org", port: srv.port, marker: srv.marker, leaf: l}
		curl := func(phase string, want bool) {
			t.Helper()
			out, err := curlVerdict(context.Background(), friend.env(), tg, "127.0.0.1")
			if err != nil {
				t.Fatalf("%s: %v", phase, err)
			}
			if out.accepted != want {
				t.Errorf("%s: curl %s accepted = %v (%s), want %v", phase, tg.url(), out.accepted, out.detail, want)
			}
		}
		before := snapshotStores(t, env)
		javaBefore := debJavaEntries(t, friend)
		curl("before trust", false)

		res := friend.vouch(t, "trust", rootFile, "--fingerprint", sha256Hex(wrong.Raw))
		if res.exitCode != 1 || !strings.Contains(res.stderr, "nothing was installed") {
			t.Fatalf("trust with a wrong fingerprint = exit %d, stderr %q; want 1 and \"nothing was installed\"", res.exitCode, res.stderr)
		}
		if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
			t.Fatalf("a refused trust changed the trust stores:\n%s", d)
		}
		t.Logf("after the refused trust the trust stores are byte-identical")
		if _, err := os.Stat(filepath.Join(env.Home, ".local", "state", "vouch")); err == nil {
			t.Errorf("a refused trust made the state folder")
		}

		res = friend.vouch(t, "trust", rootFile, "--fingerprint", sha256Hex(root.Raw), "--name", "alice")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: trusted now") || !strings.Contains(res.stderr, "photos.alice.org") {
			t.Fatalf("trust = exit %d, stderr %q; want 0, \"system: trusted now\" and the permitted names", res.exitCode, res.stderr)
		}
		checkInstalled(t, friend, root)
		curl("after trust", true)
		if _, err := os.Stat(filepath.Join(env.Home, ".local", "share", "vouch")); err == nil {
			t.Errorf("vouch trust made a CA for the friend")
		}
		if res := friend.vouch(t, "status"); res.exitCode != 0 || !strings.Contains(res.stdout, "alice ") {
			t.Errorf("status = exit %d, stdout %q; want 0 and the root listed as alice", res.exitCode, res.stdout)
		}

		res = friend.vouch(t, "untrust", "alice")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: removed") {
			t.Fatalf("untrust = exit %d, stderr %q; want 0 and \"system: removed\"", res.exitCode, res.stderr)
		}
		checkRemoved(t, friend, root)
		curl("after untrust", false)
		if d := nstest.Diff(before, snapshotStores(t, env)); d != "" {
			t.Errorf("after trust and untrust the trust stores differ from before, %s included:\n%s", debJavaCacerts, d)
		} else {
			t.Logf("after trust and untrust every trust store is byte-identical to before, %s included", debJavaCacerts)
		}
		if d := diffEntries(javaBefore, debJavaEntries(t, friend)); d != "" {
			t.Errorf("%s after trust and untrust holds other entries than before:\n%s", debJavaCacerts, d)
		}
	})
}

func sha256Hex(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}
