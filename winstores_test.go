package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

func TestMachineFlagOffWindows(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	for _, cmd := range []string{"install", "uninstall", "status"} {
		a, _, stderr := testApp(t, true)
		if code := a.run([]string{cmd, "--machine"}); code != exitUsage || !strings.Contains(stderr.String(), `vouch: error: --machine picks Windows' LocalMachine\Root store, and this is linux`) {
			t.Errorf("%s --machine on linux = %d, %q", cmd, code, stderr)
		}
		if _, err := os.Stat(a.getenv("VOUCH_CAROOT")); err == nil {
			t.Errorf("%s --machine made a CA before failing", cmd)
		}
	}
	if len(d.ran) != 0 {
		t.Errorf("ran %q", d.ran)
	}
}

// deniedStore is a Windows whose LocalMachine\Root can't be changed from
// this shell and whose user store is empty.
func deniedStore(s platform.WinStore, write bool) (platform.CertStore, error) {
	if write && s == platform.LocalMachineRoot {
		return nil, fmt.Errorf("open %s: %w", s, platform.ErrAccessDenied)
	}
	return emptyStore{}, nil
}

type emptyStore struct{}

func (emptyStore) Count([]byte) (int, error)  { return 0, nil }
func (emptyStore) Add([]byte) error           { return errors.New("unexpected add") }
func (emptyStore) Delete([]byte) (int, error) { return 0, nil }
func (emptyStore) Close() error               { return nil }

func TestMachineNotElevated(t *testing.T) {
	testOnlyOpenCertStore = deniedStore
	testOnlyVerifyLeaf = func(truststore.Root) error { return errors.New("unknown authority") }
	t.Cleanup(func() { testOnlyOpenCertStore, testOnlyVerifyLeaf = nil, nil })
	a, _, stderr := testApp(t, false)
	a.goos = "windows"
	a.home = t.TempDir()
	if code := a.run([]string{"install", "--machine", "--stores", "system"}); code != exitFail {
		t.Fatalf("install --machine, not elevated = %d, want 1; stderr %s", code, stderr)
	}
	want := "vouch: error: system: LocalMachine\\Root needs an elevated shell\nvouch: hint: run in an Administrator PowerShell: vouch install --machine\n"
	if !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to end with %q", stderr, want)
	}
	if strings.Contains(stderr.String(), "Windows will now ask") {
		t.Errorf("--machine announced the user store's dialog: %q", stderr)
	}
	// status --machine's hint installs into the store it asked about.
	stderr.Reset()
	if code := a.run([]string{"status", "--machine", "--stores", "system"}); code != exitFail || !strings.Contains(stderr.String(), "vouch: hint: vouch install --stores system --machine   (trusts it where it is not trusted yet: system)") {
		t.Errorf("status --machine = %d, stderr %q; want 1 and the install hint with --machine", code, stderr)
	}
}

// Off WSL the windows store is left out, and named it is an error.
func TestWindowsStoreOffWSL(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	a, stdout, stderr := testApp(t, true)
	if code := a.run([]string{"install"}); code != exitOK || strings.Contains(stderr.String(), "windows") {
		t.Errorf("install off WSL = %d, %q", code, stderr)
	}
	stdout.Reset()
	if code := a.run([]string{"status"}); code != exitOK || !strings.Contains(stdout.String(), "windows         NOT PRESENT: not running under WSL") {
		t.Errorf("status off WSL = %d, %q", code, stdout)
	}
	stderr.Reset()
	if code := a.run([]string{"install", "--stores", "windows"}); code != exitFail || !strings.Contains(stderr.String(), "vouch: error: windows: not running under WSL") {
		t.Errorf("install --stores windows off WSL = %d, %q", code, stderr)
	}
}

// recordingWSL is certutil.exe and wslpath under WSL, as the runner
// sees them.
type recordingWSL struct {
	ran []string
	has bool
}

func (r *recordingWSL) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	r.ran = append(r.ran, c.String())
	switch {
	case c.Argv[0] == "wslpath":
		return []byte(`\\wsl.localhost\Ubuntu` + strings.ReplaceAll(c.Argv[2], "/", `\`) + "\n"), nil
	case c.Argv[0] == "/usr/sbin/update-ca-certificates":
		return nil, nil
	case c.Argv[2] == "-store" && r.has:
		return []byte("Cert Hash(sha1): " + strings.ToLower(c.Argv[4]) + "\r\nCertUtil: -store command completed successfully.\r\n"), nil
	case c.Argv[2] == "-store":
		return nil, &platform.ExecError{Argv: c.Argv, Output: "CertUtil: -store command FAILED: 0x80090011 (-2146893807 NTE_NOT_FOUND)", Err: errors.New("exit status 17")}
	case c.Argv[2] == "-addstore":
		r.has = true
	}
	return nil, nil
}

func TestWSLInstall(t *testing.T) {
	d := newFakeDebian(t)
	withFake(t, d)
	exe := filepath.Join(d.root, "mnt/c/Windows/System32/certutil.exe")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	os.WriteFile(exe, []byte("MZ"), 0o755)
	os.MkdirAll(filepath.Join(d.root, "proc/sys/fs/binfmt_misc"), 0o755)
	os.WriteFile(filepath.Join(d.root, "proc/sys/fs/binfmt_misc/WSLInterop"), []byte("enabled\n"), 0o644)
	r := &recordingWSL{}
	testOnlyRunner = r
	a, _, stderr := testApp(t, true)
	t.Setenv("PATH", t.TempDir()) // no certutil.exe on PATH: the usual place is used
	if code := a.run([]string{"install", "--stores", "windows"}); code != exitOK {
		t.Fatalf("install --stores windows = %d; stderr %s", code, stderr)
	}
	file := filepath.Join(a.getenv("VOUCH_CAROOT"), "rootCA.pem")
	// status, install's own lookup, the Windows path, the add, status.
	if len(r.ran) != 5 || !strings.HasPrefix(r.ran[0], "/mnt/c/Windows/System32/certutil.exe -user -store Root ") ||
		r.ran[1] != r.ran[0] ||
		r.ran[2] != "wslpath -w "+file ||
		r.ran[3] != `/mnt/c/Windows/System32/certutil.exe -user -addstore Root '\\wsl.localhost\Ubuntu`+strings.ReplaceAll(file, "/", `\`)+"'" ||
		r.ran[4] != r.ran[0] {
		t.Errorf("install ran\n%s", strings.Join(r.ran, "\n"))
	}
	if !strings.Contains(stderr.String(), "vouch: Windows will now ask you to confirm") || !strings.Contains(stderr.String(), "vouch: windows: trusted now") {
		t.Errorf("stderr = %q", stderr)
	}
}
