package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
)

func TestEnv(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	root := filepath.Join(a.getenv("VOUCH_CAROOT"), "rootCA.pem")
	bundle := filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt")

	if code := a.run([]string{"env"}); code != exitFail || !strings.Contains(stderr.String(), "vouch: hint: vouch install\n") {
		t.Fatalf("env with no CA = %d, stderr %q; want 1 and the hint to install", code, stderr)
	}
	// A broken CA: install would fail the same way, so no hint to run it.
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "rootCA.pem"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := a.run([]string{"env", "--caroot", broken}); code != exitFail || strings.Contains(stderr.String(), "install") {
		t.Errorf("env with a broken CA = %d, stderr %q; want 1 and no install hint", code, stderr)
	}

	// A CA that is not installed: nothing to export.
	if code := a.run([]string{"cert", "--cert-file", filepath.Join(t.TempDir(), "c.pem"), "--key-file", filepath.Join(t.TempDir(), "k.pem"), "localhost"}); code != exitOK {
		t.Fatalf("cert = %d: %s", code, stderr)
	}
	stdout.Reset()
	stderr.Reset()
	if code := a.run([]string{"env"}); code != exitOK {
		t.Fatalf("env = %d: %s", code, stderr)
	}
	if stdout.Len() != 0 {
		t.Errorf("env before install printed %q, want nothing", stdout)
	}
	if !strings.Contains(stderr.String(), "vouch: warning: the root is not in the system store") ||
		!strings.Contains(stderr.String(), `vouch: hint: vouch install && eval "$(vouch env)"`) {
		t.Errorf("env before install: stderr %q lacks the warning and the hint", stderr)
	}
	// The hint in each shell's own words (it had been sh's for all).
	for shell, hint := range map[string]string{
		"fish":       "vouch: hint: vouch install; and vouch env --shell fish | source\n",
		"powershell": "vouch: hint: vouch install; if ($?) { vouch env --shell powershell | Out-String | Invoke-Expression }\n",
	} {
		stderr.Reset()
		if code := a.run([]string{"env", "--shell", shell}); code != exitOK || !strings.HasSuffix(stderr.String(), hint) {
			t.Errorf("env --shell %s before install = %d, stderr %q; want the hint %q", shell, code, stderr, hint)
		}
	}

	if code := a.run([]string{"install"}); code != exitOK {
		t.Fatalf("install = %d: %s", code, stderr)
	}
	tests := []struct {
		shell string
		want  []string
	}{
		{"sh", []string{
			"export CURL_CA_BUNDLE='" + bundle + "'",
			"export DENO_TLS_CA_STORE='mozilla,system'",
			"export NODE_EXTRA_CA_CERTS='" + root + "'",
			"export REQUESTS_CA_BUNDLE='" + bundle + "'",
			"export SSL_CERT_FILE='" + bundle + "'",
		}},
		{"fish", []string{"set -gx NODE_EXTRA_CA_CERTS '" + root + "';"}},
		{"powershell", []string{"$env:SSL_CERT_FILE = '" + bundle + "'"}},
	}
	for _, tt := range tests {
		stdout.Reset()
		if code := a.run([]string{"env", "--shell", tt.shell}); code != exitOK {
			t.Fatalf("env --shell %s = %d", tt.shell, code)
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 5 {
			t.Errorf("env --shell %s printed %d lines, want 5:\n%s", tt.shell, len(lines), stdout)
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout.String(), w+"\n") {
				t.Errorf("env --shell %s lacks %q:\n%s", tt.shell, w, stdout)
			}
		}
		// Never a file holding only the root in a variable that replaces.
		for _, l := range lines {
			if strings.Contains(l, root) && !strings.Contains(l, "NODE_EXTRA_CA_CERTS") {
				t.Errorf("env --shell %s points a replacing variable at the root alone: %s", tt.shell, l)
			}
		}
	}
	if code := a.run([]string{"env", "--shell", "csh"}); code != exitUsage {
		t.Errorf("env --shell csh = %d, want 2", code)
	}

	// After uninstall, nothing again.
	if code := a.run([]string{"uninstall"}); code != exitOK {
		t.Fatalf("uninstall = %d: %s", code, stderr)
	}
	stdout.Reset()
	if code := a.run([]string{"env"}); code != exitOK || stdout.Len() != 0 {
		t.Errorf("env after uninstall = %d, %q; want 0 and nothing", code, stdout)
	}
}

// TestEnvFriendOnly: someone with no CA of their own who trusted a
// friend's root is told where that root already is and how Node reads
// it, not to run vouch install (which would make them a CA they don't
// need, and still not give Node the friend's root).
func TestEnvFriendOnly(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, _, stderr := testApp(t, true)
	alice := ownerCA(t, "alice@nas", "photos.alice.org")
	fp := certs.Fingerprint(alice.Root)
	if code := a.run([]string{"trust", rootFileOf(alice), "--fingerprint", fp, "--name", "alice"}); code != exitOK {
		t.Fatalf("trust = %d; %s", code, stderr)
	}
	stderr.Reset()
	code := a.run([]string{"env"})
	out := stderr.String()
	book, _ := record.Load(platform.StateDir("linux", a.home, a.getenv))
	if code != exitFail || strings.Contains(out, "hint: vouch install") || !strings.Contains(out, "the roots you trusted for others (1) are where vouch trust put them (vouch status shows which stores)") ||
		!strings.Contains(out, "export NODE_EXTRA_CA_CERTS="+shQuote(book.RootFile(fp))) {
		t.Errorf("env with only a friend's root = %d, stderr:\n%s\nwant 1, where the root is and Node's variable, and no vouch install", code, out)
	}
}
