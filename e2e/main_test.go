//go:build linux

// Package e2e proves with real TLS clients what a vouch CA can and cannot
// vouch for: a leaf vouch issues is trusted when the vouch root is the only
// trust anchor, and a leaf forged with the leaked issuing key for a name
// outside the CA's name constraints is rejected by every client.
//
// It owns only this folder. It builds the vouch binary, runs it and every
// client with a temp HOME and temp trust files, and never touches the
// machine's trust stores (/etc/ssl, the system Java cacerts, ~/.pki).
//
// Set VOUCH_E2E=1 (scripts/test.sh does) to turn a missing client program
// into a failure instead of a skip, VOUCH_E2E_BIN to test a prebuilt vouch
// binary instead of building one, and VOUCH_E2E_ARTIFACTS to a folder to
// receive the verdict matrix as trust-matrix.txt.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vouchBin is the binary under test, set once by TestMain.
var vouchBin string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Getenv(goProbeEnv) == "1" {
		// This binary is being run as a fresh Go client (see goProbeMain).
		return goProbeMain(os.Args[1:])
	}
	if bin := os.Getenv("VOUCH_E2E_BIN"); bin != "" {
		vouchBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "vouch-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	vouchBin = filepath.Join(dir, "vouch")
	build := exec.Command("go", "build", "-o", vouchBin, "github.com/vouchdev/vouch")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: failed to build vouch: %v\n%s", err, out)
		return 1
	}
	// nstest runs this test binary again inside a mount namespace; the
	// copy there must test this same vouch, not build another.
	os.Setenv("VOUCH_E2E_BIN", vouchBin)
	return m.Run()
}

// strict reports whether a missing client program is a failure, not a skip.
func strict() bool { return os.Getenv("VOUCH_E2E") == "1" }

// tool is a program a client needs and the Debian package that ships it.
type tool struct {
	name string
	pkg  string
}

// requireTools skips the test (or, under VOUCH_E2E=1, fails it) when a
// program is missing, naming the package to install.
func requireTools(t *testing.T, tools ...tool) {
	t.Helper()
	for _, tl := range tools {
		if _, err := exec.LookPath(tl.name); err != nil {
			msg := fmt.Sprintf("%s not found in PATH; install it with: apt-get install %s", tl.name, tl.pkg)
			if strict() {
				t.Fatal(msg + " (VOUCH_E2E=1 makes this a failure)")
			}
			t.Skip(msg)
		}
	}
}

// sandboxEnv is the environment every child process gets: a temp HOME and
// XDG folders under it, and none of the variables that would add trust
// anchors or proxies from the outside.
func sandboxEnv(home string, extra ...string) []string {
	drop := map[string]bool{
		"HOME": true, "XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true, "XDG_DATA_HOME": true,
		"XDG_STATE_HOME": true, "XDG_RUNTIME_DIR": true, "SSL_CERT_FILE": true, "SSL_CERT_DIR": true, "CURL_CA_BUNDLE": true,
		"REQUESTS_CA_BUNDLE": true, "NODE_EXTRA_CA_CERTS": true, "NODE_OPTIONS": true,
		"JAVA_TOOL_OPTIONS": true, "JDK_JAVA_OPTIONS": true, "_JAVA_OPTIONS": true,
		"CAROOT": true, "VOUCH_CAROOT": true, "TRUST_STORES": true, "SUDO_UID": true, "SUDO_USER": true, "DISPLAY": true, "WAYLAND_DISPLAY": true,
		"HTTP_PROXY": true, "HTTPS_PROXY": true, "ALL_PROXY": true, "NO_PROXY": true,
		"http_proxy": true, "https_proxy": true, "all_proxy": true, "no_proxy": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
	)
	return append(env, extra...)
}

// result is what one child process did.
type result struct {
	stdout, stderr string
	exitCode       int // -1 when it did not exit on its own
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.exitCode, r.stdout, r.stderr)
}

// runCmd runs a program in its own process group, with stdin if given, and
// kills the whole group when it ends or times out, so browsers leave no
// helper processes behind. A non-zero exit is not an error; failing to start
// or timing out is.
func runCmd(ctx context.Context, env []string, stdin string, timeout time.Duration, name string, args ...string) (result, error) {
	return runCmdAs(ctx, nil, "", env, stdin, timeout, name, args...)
}

// runCmdAs is runCmd as another user (cred; nil for this process's) in
// dir ("" for this process's).
func runCmdAs(ctx context.Context, cred *syscall.Credential, dir string, env []string, stdin string, timeout time.Duration, name string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = dir
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		// The leader is gone; end any child it left in its group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	res := result{stdout: stdout.String(), stderr: stderr.String(), exitCode: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%s timed out after %v: %w\n%v", name, timeout, ctx.Err(), res)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return res, fmt.Errorf("failed to run %s: %w", name, err)
	}
	return res, nil
}
