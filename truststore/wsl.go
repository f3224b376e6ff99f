package truststore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vouchdev/vouch/platform"
)

// WSL is the Windows user's Root store as seen from a Linux distribution
// running under WSL: trusting the root there lets the Windows browsers
// trust a server running in WSL. It drives Windows' certutil.exe through
// WSL's interop, and needs no admin (Windows asks the user to confirm).
type WSL struct {
	Runner platform.Runner
	Getenv func(string) string
	// FSRoot is "/" except in tests; the interop entry is looked for
	// under it.
	FSRoot string
	// LookPath finds certutil.exe and wslpath; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// Notify says something to the user before certutil.exe makes
	// Windows show a dialog. May be nil.
	Notify func(msg string)
}

func (w *WSL) Name() string { return "windows" }

// wslCommandTimeout bounds one certutil.exe run, which includes the time
// the user takes to answer Windows' dialog.
const wslCommandTimeout = 5 * time.Minute

// certutilExeDefault is where certutil.exe is when WSL does not put the
// Windows folders on PATH (appendWindowsPath=false).
const certutilExeDefault = "/mnt/c/Windows/System32/certutil.exe"

// detect says whether this is WSL with interop, and which certutil.exe to
// run; an error says why not, for Status to report.
func (w *WSL) detect() (certutil string, notWSL bool, err error) {
	root := w.FSRoot
	if root == "" {
		root = "/"
	}
	interop := false
	for _, f := range []string{"WSLInterop", "WSLInterop-late"} {
		if _, err := os.Stat(filepath.Join(root, "proc", "sys", "fs", "binfmt_misc", f)); err == nil {
			interop = true
		}
	}
	inWSL := w.Getenv("WSL_DISTRO_NAME") != "" || w.Getenv("WSL_INTEROP") != ""
	switch {
	case !interop && !inWSL:
		return "", true, errors.New("not running under WSL")
	case !interop:
		return "", true, errors.New("running under WSL, but Windows interop is off (no /proc/sys/fs/binfmt_misc/WSLInterop), so vouch can't run certutil.exe; turn [interop] enabled back on in /etc/wsl.conf")
	}
	lookPath := w.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	if p, err := lookPath("certutil.exe"); err == nil {
		return p, false, nil
	}
	if p := filepath.Join(root, certutilExeDefault); isRegular(p) {
		return certutilExeDefault, false, nil
	}
	return "", false, fmt.Errorf("certutil.exe is neither on PATH nor at %s", certutilExeDefault)
}

func isRegular(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func (w *WSL) run(ctx context.Context, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, wslCommandTimeout)
	defer cancel()
	return w.Runner.Run(ctx, platform.Cmd{Argv: argv})
}

// lookup runs `certutil.exe -user -store Root SHA1`, which lists the
// root if the user's Root store (with the machine's, which it inherits)
// holds it.
func (w *WSL) lookup(ctx context.Context, certutil string, thumb string) (bool, []string, error) {
	argv := []string{certutil, "-user", "-store", "Root", thumb}
	out, err := w.run(ctx, argv...)
	found, verr := ParseCertutilStore(out, err, thumb)
	return found, argv, verr
}

// ParseCertutilStore reads what `certutil.exe -user -store Root SHA1`
// printed and how it ended: whether the store holds the certificate. It
// goes by the thumbprint and Windows' error codes, not by the words
// around them, which Windows translates.
func ParseCertutilStore(out []byte, runErr error, thumb string) (bool, error) {
	text := strings.ToLower(string(out))
	var ee *platform.ExecError
	if errors.As(runErr, &ee) {
		text += "\n" + strings.ToLower(ee.Output)
	}
	flat := strings.NewReplacer(" ", "", "\t", "").Replace(text)
	switch {
	case runErr == nil:
		// A listing holds "Cert Hash(sha1): <hex>" (older versions put
		// spaces between the bytes).
		return strings.Contains(flat, strings.ToLower(thumb)), nil
	case strings.Contains(text, "0x80090011") || strings.Contains(text, "0x80092004"):
		// NTE_NOT_FOUND (Windows 10 and 11) or CRYPT_E_NOT_FOUND.
		return false, nil
	}
	return false, runErr
}

func (w *WSL) where() string {
	if d := w.Getenv("WSL_DISTRO_NAME"); d != "" {
		return "wsl " + d
	}
	return "wsl"
}

func (w *WSL) Status(r Root) Status {
	st := Status{Store: "windows"}
	certutil, notWSL, err := w.detect()
	if err != nil {
		st.State, st.Reason = Failed, err.Error()
		if notWSL {
			st.State = NotPresent
		}
		return st
	}
	st.Where = w.where()
	thumb := Thumbprint(r.Cert)
	found, argv, err := w.lookup(context.Background(), certutil, thumb)
	st.Checked = []string{platform.Cmd{Argv: argv}.String()}
	switch {
	case err != nil:
		st.State, st.Reason = Failed, "can't read the Windows user's Root store: "+summary(err)
	case found:
		st.State, st.Reason = Trusted, fmt.Sprintf("in the Windows Root store (SHA-1 %s), so Windows browsers trust it", thumb)
	default:
		st.State, st.Reason = NotTrusted, `not in the Windows user's Root store (CurrentUser\Root)`
	}
	return st
}

// Install adds the root file, by its Windows path, to the Windows user's
// Root store, unless the store holds it already.
func (w *WSL) Install(ctx context.Context, r Root) (bool, error) {
	certutil, _, err := w.detect()
	if err != nil {
		return false, err
	}
	thumb := Thumbprint(r.Cert)
	if found, _, err := w.lookup(ctx, certutil, thumb); err != nil || found {
		return false, err
	}
	if r.File == "" {
		return false, errors.New("no root certificate file to hand to certutil.exe")
	}
	// certutil.exe reads the file itself, through the \\wsl.localhost
	// share (or C:\ for a CA folder under /mnt/c).
	out, err := w.run(ctx, "wslpath", "-w", r.File)
	if err != nil {
		return false, err
	}
	winPath := strings.TrimSpace(string(out))
	if winPath == "" {
		return false, fmt.Errorf("wslpath -w %s printed nothing", r.File)
	}
	if w.Notify != nil {
		w.Notify(fmt.Sprintf("Windows will now ask you to confirm adding %q to your Root store: check that its thumbprint (sha1) is %s and answer Yes", r.Cert.Subject.CommonName, thumb))
	}
	if out, err := w.run(ctx, certutil, "-user", "-addstore", "Root", winPath); err != nil {
		return false, explainCertutilExe(out, err)
	}
	return true, nil
}

// Uninstall deletes the root, by its thumbprint, from the Windows user's
// Root store. certutil.exe -delstore says it succeeded whether or not it
// deleted anything, so what counts is the lookup after it (which the
// caller's status does).
func (w *WSL) Uninstall(ctx context.Context, r Root, all bool) (bool, error) {
	certutil, notWSL, err := w.detect()
	if notWSL {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	thumb := Thumbprint(r.Cert)
	found, _, err := w.lookup(ctx, certutil, thumb)
	if err != nil || !found {
		return false, err
	}
	if w.Notify != nil {
		w.Notify(fmt.Sprintf("Windows will now ask you to confirm deleting %q (thumbprint %s) from your Root store: answer Yes", r.Cert.Subject.CommonName, thumb))
	}
	if out, err := w.run(ctx, certutil, "-user", "-delstore", "Root", thumb); err != nil {
		return false, explainCertutilExe(out, err)
	}
	return true, nil
}

// explainCertutilExe says what a failed certutil.exe change means.
func explainCertutilExe(out []byte, err error) error {
	text := strings.ToLower(string(out))
	var ee *platform.ExecError
	if errors.As(err, &ee) {
		text += "\n" + strings.ToLower(ee.Output)
	}
	if strings.Contains(text, "0x800704c7") || strings.Contains(text, "error_cancelled") {
		return fmt.Errorf("you answered No in Windows' dialog, so the Windows Root store was left as it was")
	}
	return err
}
