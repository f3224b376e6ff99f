package truststore

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/platform"
)

const fixtures = "testdata/certutil-exe"

// fixtureRoot is the root whose certutil.exe outputs are recorded.
func fixtureRoot(t testing.TB) Root {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, "rootCA.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return Root{Cert: c, PEM: data, File: "/home/dev/.local/share/vouch/rootCA.pem"}
}

// fixture is one recorded certutil.exe run: its output and exit code
// (from the file name, NAME.exitN.txt).
func fixture(t testing.TB, name string) ([]byte, int) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(fixtures, name+".exit*.txt"))
	if len(matches) != 1 {
		t.Fatalf("fixture %s: found %q", name, matches)
	}
	code, err := strconv.Atoi(strings.TrimPrefix(filepath.Ext(strings.TrimSuffix(matches[0], ".txt")), ".exit"))
	if err != nil {
		t.Fatalf("fixture %s: exit code: %v", matches[0], err)
	}
	out, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return out, code
}

// replay returns a fixture as the Exec runner would: the output, and for
// a non-zero exit an *ExecError carrying it.
func replay(t testing.TB, argv []string, name string) ([]byte, error) {
	out, code := fixture(t, name)
	if code == 0 {
		return out, nil
	}
	return out, &platform.ExecError{Argv: argv, Output: strings.TrimSpace(string(out)), Err: fmt.Errorf("exit status %d", code)}
}

// fakeWindowsUser is the Windows side of WSL interop: certutil.exe with a
// Root store that holds the root or not, and wslpath.
type fakeWindowsUser struct {
	t       *testing.T
	has     bool
	decline bool // the user answers No in the dialog
	ran     []string
}

const fakeCertutil = "/mnt/c/WINDOWS/system32/certutil.exe"

func (f *fakeWindowsUser) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	f.ran = append(f.ran, strings.Join(c.Argv, " "))
	if c.Root {
		f.t.Errorf("%s asked for root; certutil.exe -user needs none", c)
	}
	switch {
	case c.Argv[0] == "wslpath":
		return []byte(`\\wsl.localhost\Ubuntu\home\dev\.local\share\vouch\rootCA.pem` + "\n"), nil
	case c.Argv[0] != fakeCertutil:
		return nil, fmt.Errorf("unexpected command %s", c)
	case c.Argv[2] == "-store" && f.has:
		return replay(f.t, c.Argv, "store_found")
	case c.Argv[2] == "-store":
		return replay(f.t, c.Argv, "store_absent")
	case c.Argv[2] == "-addstore" && f.decline:
		return replay(f.t, c.Argv, "addstore_cancelled")
	case c.Argv[2] == "-addstore":
		f.has = true
		return replay(f.t, c.Argv, "addstore_ok")
	case c.Argv[2] == "-delstore" && f.has:
		f.has = false
		return replay(f.t, c.Argv, "delstore_ok")
	case c.Argv[2] == "-delstore":
		return replay(f.t, c.Argv, "delstore_absent")
	}
	return nil, fmt.Errorf("unexpected command %s", c)
}

// newWSL is the windows store on a WSL machine (interop entry present,
// WSL's environment) whose Windows side is f.
func newWSL(t *testing.T, f *fakeWindowsUser, interop bool, env map[string]string) *WSL {
	root := t.TempDir()
	if interop {
		dir := filepath.Join(root, "proc/sys/fs/binfmt_misc")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "WSLInterop"), []byte("enabled\n"), 0o644)
	}
	return &WSL{
		Runner: f, FSRoot: root,
		Getenv: func(k string) string { return env[k] },
		LookPath: func(name string) (string, error) {
			if name == "certutil.exe" {
				return fakeCertutil, nil
			}
			return "", errors.New("not found")
		},
		Notify: func(msg string) { f.ran = append(f.ran, "NOTIFY "+msg) },
	}
}

var wslEnv = map[string]string{"WSL_DISTRO_NAME": "Ubuntu", "WSL_INTEROP": "/run/WSL/1_interop"}

func TestWSLInstallStatusUninstall(t *testing.T) {
	f := &fakeWindowsUser{t: t}
	w := newWSL(t, f, true, wslEnv)
	r := fixtureRoot(t)
	thumb := "0F6ABBBDE64985AD491BC9436CD00E2D08024095"
	if got := Thumbprint(r.Cert); got != thumb {
		t.Fatalf("Thumbprint = %s, want %s", got, thumb)
	}
	lookup := fakeCertutil + " -user -store Root " + thumb

	st := w.Status(r)
	if st.State != NotTrusted || st.Where != "wsl Ubuntu" || !slices.Equal(st.Checked, []string{lookup}) {
		t.Errorf("Status before install = %+v", st)
	}
	changed, err := w.Install(context.Background(), r)
	if err != nil || !changed {
		t.Fatalf("Install = %v, %v", changed, err)
	}
	if st := w.Status(r); st.State != Trusted || !strings.Contains(st.Reason, thumb) {
		t.Errorf("Status after install = %+v", st)
	}
	want := []string{
		lookup, // status
		lookup, // install: already there?
		"wslpath -w /home/dev/.local/share/vouch/rootCA.pem",
		"NOTIFY Windows will now ask you to confirm adding \"vouch root root@vm\" to your Root store: check that its thumbprint (sha1) is " + thumb + " and answer Yes",
		fakeCertutil + ` -user -addstore Root \\wsl.localhost\Ubuntu\home\dev\.local\share\vouch\rootCA.pem`,
		lookup, // status
	}
	if !slices.Equal(f.ran, want) {
		t.Errorf("install ran\n%s\nwant\n%s", strings.Join(f.ran, "\n"), strings.Join(want, "\n"))
	}

	// Installed, install runs only the lookup.
	f.ran = nil
	if changed, err := w.Install(context.Background(), r); err != nil || changed || !slices.Equal(f.ran, []string{lookup}) {
		t.Errorf("second Install = %v, %v, ran %q; want no change and only the lookup", changed, err, f.ran)
	}

	f.ran = nil
	changed, err = w.Uninstall(context.Background(), r, false)
	if err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	if st := w.Status(r); st.State != NotTrusted {
		t.Errorf("Status after uninstall = %+v", st)
	}
	want = []string{
		lookup,
		"NOTIFY Windows will now ask you to confirm deleting \"vouch root root@vm\" (thumbprint " + thumb + ") from your Root store: answer Yes",
		fakeCertutil + " -user -delstore Root " + thumb,
		lookup,
	}
	if !slices.Equal(f.ran, want) {
		t.Errorf("uninstall ran\n%s\nwant\n%s", strings.Join(f.ran, "\n"), strings.Join(want, "\n"))
	}

	// Not there: uninstall deletes nothing (certutil.exe -delstore would
	// say it succeeded anyway).
	f.ran = nil
	if changed, err := w.Uninstall(context.Background(), r, false); err != nil || changed || !slices.Equal(f.ran, []string{lookup}) {
		t.Errorf("Uninstall when absent = %v, %v, ran %q", changed, err, f.ran)
	}
}

func TestWSLDialogDeclined(t *testing.T) {
	f := &fakeWindowsUser{t: t, decline: true}
	w := newWSL(t, f, true, wslEnv)
	r := fixtureRoot(t)
	changed, err := w.Install(context.Background(), r)
	if changed || err == nil || !strings.Contains(err.Error(), "answered No") {
		t.Errorf("Install declined = %v, %v; want an error saying the dialog was answered No", changed, err)
	}
	if st := w.Status(r); st.State != NotTrusted {
		t.Errorf("Status after a declined install = %+v", st)
	}
}

func TestWSLNotPresent(t *testing.T) {
	r := fixtureRoot(t)
	tests := []struct {
		name    string
		interop bool
		env     map[string]string
		reason  string
	}{
		{"plain linux", false, nil, "not running under WSL"},
		{"WSL without interop", false, wslEnv, "interop is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeWindowsUser{t: t}
			w := newWSL(t, f, tt.interop, tt.env)
			if st := w.Status(r); st.State != NotPresent || !strings.Contains(st.Reason, tt.reason) {
				t.Errorf("Status = %+v, want not present: %s", st, tt.reason)
			}
			if _, err := w.Install(context.Background(), r); err == nil || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Install = %v, want %q", err, tt.reason)
			}
			if changed, err := w.Uninstall(context.Background(), r, false); changed || err != nil {
				t.Errorf("Uninstall = %v, %v; want nothing to do", changed, err)
			}
			if len(f.ran) != 0 {
				t.Errorf("ran %q off WSL", f.ran)
			}
		})
	}
}

// Interop is there (the binfmt entry) even when the environment was
// cleared, as under sudo.
func TestWSLDetectedByInteropAlone(t *testing.T) {
	f := &fakeWindowsUser{t: t}
	w := newWSL(t, f, true, nil)
	if st := w.Status(fixtureRoot(t)); st.State != NotTrusted || st.Where != "wsl" {
		t.Errorf("Status = %+v", st)
	}
}

func TestWSLNoCertutilExe(t *testing.T) {
	f := &fakeWindowsUser{t: t}
	w := newWSL(t, f, true, wslEnv)
	w.LookPath = func(string) (string, error) { return "", errors.New("not found") }
	st := w.Status(fixtureRoot(t))
	if st.State != Failed || !strings.Contains(st.Reason, "certutil.exe is neither on PATH nor at /mnt/c/Windows/System32/certutil.exe") {
		t.Errorf("Status = %+v", st)
	}
	// …but found at its usual place when WSL keeps Windows off PATH.
	exe := filepath.Join(w.FSRoot, certutilExeDefault)
	os.MkdirAll(filepath.Dir(exe), 0o755)
	os.WriteFile(exe, []byte("MZ"), 0o755)
	if certutil, _, err := w.detect(); err != nil || certutil != certutilExeDefault {
		t.Errorf("detect = %q, %v; want %s", certutil, err, certutilExeDefault)
	}
}

func TestParseCertutilStore(t *testing.T) {
	thumb := Thumbprint(fixtureRoot(t).Cert)
	tests := []struct {
		fixture string
		found   bool
		fails   bool
	}{
		{"store_found", true, false},
		{"store_found_spaced", true, false},
		{"store_absent", false, false},
		{"store_absent_crypt", false, false},
		{"store_denied", false, true},
	}
	for _, tt := range tests {
		argv := []string{fakeCertutil, "-user", "-store", "Root", thumb}
		out, runErr := replay(t, argv, tt.fixture)
		found, err := ParseCertutilStore(out, runErr, thumb)
		if found != tt.found || (err != nil) != tt.fails {
			t.Errorf("ParseCertutilStore(%s) = %v, %v; want %v, fails %v", tt.fixture, found, err, tt.found, tt.fails)
		}
		// Another root's thumbprint is never found in this output.
		if found, _ := ParseCertutilStore(out, runErr, strings.Repeat("AB", 20)); found {
			t.Errorf("ParseCertutilStore(%s, other thumbprint) = true", tt.fixture)
		}
	}
}

func FuzzParseCertutilStore(f *testing.F) {
	for _, name := range []string{"store_found", "store_found_spaced", "store_absent", "store_absent_crypt", "store_denied"} {
		out, code := fixture(f, name)
		f.Add(out, code != 0)
	}
	thumb := Thumbprint(fixtureRoot(f).Cert)
	f.Fuzz(func(t *testing.T, out []byte, failed bool) {
		var runErr error
		if failed {
			runErr = errors.New("exit status 1")
		}
		found, err := ParseCertutilStore(out, runErr, thumb)
		if found && err != nil {
			t.Errorf("found and failed at once: %v", err)
		}
		if found && failed {
			t.Errorf("found in the output of a failed run")
		}
	})
}
