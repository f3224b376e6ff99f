package truststore

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/platform"
)

// Windows is the Windows Root store that vouch trusts the root in: the
// current user's by default, the machine's with Machine (--machine). It
// decides everything here, on any OS; Open is the only part that reaches
// Windows (platform.OpenWinStore), so tests hand in a fake.
type Windows struct {
	Open    platform.OpenCertStore
	Machine bool
	// Verify checks that a leaf the CA issues is accepted by the
	// platform's verifier (Go's x509 with no Roots: on Windows, the
	// CryptoAPI chain engine). Nil means VerifyLeaf.
	Verify func(Root) error
	// Notify says something to the user before a call that makes Windows
	// show a dialog. May be nil.
	Notify func(msg string)
}

func (w *Windows) Name() string { return "system" }

func (w *Windows) target() platform.WinStore {
	if w.Machine {
		return platform.LocalMachineRoot
	}
	return platform.CurrentUserRoot
}

func (w *Windows) other() platform.WinStore {
	if w.Machine {
		return platform.CurrentUserRoot
	}
	return platform.LocalMachineRoot
}

// Thumbprint is the root's SHA-1 as Windows shows it (certutil, certmgr).
func Thumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return fmt.Sprintf("%X", sum[:])
}

// count reads how many copies of the root store s holds.
func (w *Windows) count(s platform.WinStore, root *x509.Certificate) (int, error) {
	st, err := w.Open(s, false)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	sum := sha1.Sum(root.Raw)
	return st.Count(sum[:])
}

func (w *Windows) verify(r Root) error {
	if w.Verify != nil {
		return w.Verify(r)
	}
	return VerifyLeaf(r)
}

// Status reads both Root stores (reading needs no admin) and asks the
// platform verifier; it changes nothing and shows no dialog.
func (w *Windows) Status(r Root) Status {
	target, other := w.target(), w.other()
	st := Status{Store: "system", Where: target.String()}
	thumb := Thumbprint(r.Cert)
	inTarget, err := w.count(target, r.Cert)
	if err != nil {
		st.State, st.Reason = Failed, fmt.Sprintf("can't read %s: %v", target, err)
		return st
	}
	inOther, err := w.count(other, r.Cert)
	if err != nil {
		st.State, st.Reason = Failed, fmt.Sprintf("can't read %s: %v", other, err)
		return st
	}
	verr := w.verify(r)
	holds := func(n int) string {
		if n > 0 {
			return "holds it"
		}
		return "does not hold it"
	}
	verdict := "accepts a leaf the CA issues"
	if verr != nil {
		verdict = "rejects a leaf the CA issues: " + verr.Error()
	}
	st.Checked = []string{
		fmt.Sprintf("%s (SHA-1 %s): %s", target, thumb, holds(inTarget)),
		fmt.Sprintf("%s: %s", other, holds(inOther)),
		"the Windows chain engine (Go's verifier): " + verdict,
	}
	switch {
	case inTarget > 0 && verr == nil:
		st.State, st.Reason = Trusted, fmt.Sprintf("in %s (SHA-1 %s), and Windows accepts a leaf the CA issues", target, thumb)
	case inTarget > 0:
		st.State, st.Reason = NotTrusted, fmt.Sprintf("in %s (SHA-1 %s), but Windows rejects a leaf the CA issues (a group policy may stop it using this store): %v", target, thumb, verr)
	case inOther > 0 && verr == nil:
		st.State, st.Reason = Trusted, fmt.Sprintf("in %s, not %s, so only %s takes it out", other, target, w.uninstallCommand(!w.Machine))
	case verr == nil:
		st.State, st.Reason = Trusted, fmt.Sprintf("Windows accepts a leaf the CA issues, though neither %s nor %s holds the root (a group policy or enterprise store?), so vouch uninstall will not remove it", target, other)
	default:
		st.State, st.Reason = NotTrusted, fmt.Sprintf("not in %s", target)
	}
	return st
}

func (w *Windows) uninstallCommand(machine bool) string {
	if machine {
		return "vouch uninstall --machine"
	}
	return "vouch uninstall"
}

// ElevationError is a change to LocalMachine\Root from a shell that is not
// elevated; Command is what to run in an Administrator shell instead.
type ElevationError struct {
	Store   platform.WinStore
	Command string
	Err     error
}

func (e *ElevationError) Error() string {
	return fmt.Sprintf("%s needs an elevated shell", e.Store)
}

func (e *ElevationError) Unwrap() error { return e.Err }

// explain turns Windows' refusals into what the user can do about them.
func (w *Windows) explain(err error, verb string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, platform.ErrAccessDenied) && w.Machine:
		return &ElevationError{Store: w.target(), Command: "vouch " + verb + " --machine", Err: err}
	case errors.Is(err, platform.ErrCancelled):
		return fmt.Errorf("you answered No in Windows' dialog, so %s was left as it was", w.target())
	}
	return err
}

// Install adds the root to the target store unless it is there already.
// Adding to CurrentUser\Root makes Windows show a confirmation dialog,
// which Notify announces first.
func (w *Windows) Install(ctx context.Context, r Root) (bool, error) {
	n, err := w.count(w.target(), r.Cert)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if !w.Machine && w.Notify != nil {
		w.Notify(fmt.Sprintf("Windows will now ask you to confirm adding %q to your Root store: check that its thumbprint (sha1) is %s and answer Yes", r.Cert.Subject.CommonName, Thumbprint(r.Cert)))
	}
	st, err := w.Open(w.target(), true)
	if err != nil {
		return false, w.explain(err, "install")
	}
	defer st.Close()
	if err := st.Add(r.Cert.Raw); err != nil {
		return false, w.explain(err, "install")
	}
	return true, nil
}

// Uninstall deletes every copy of the root from the target store, found
// by its SHA-1 thumbprint, and nothing else. all has no meaning here:
// vouch keeps no list of its older roots in the Windows store.
func (w *Windows) Uninstall(ctx context.Context, r Root, all bool) (bool, error) {
	n, err := w.count(w.target(), r.Cert)
	if err != nil || n == 0 {
		return false, err
	}
	if !w.Machine && w.Notify != nil {
		w.Notify(fmt.Sprintf("Windows will now ask you to confirm deleting %q (thumbprint %s) from your Root store: answer Yes", r.Cert.Subject.CommonName, Thumbprint(r.Cert)))
	}
	st, err := w.Open(w.target(), true)
	if err != nil {
		return false, w.explain(err, "uninstall")
	}
	defer st.Close()
	sum := sha1.Sum(r.Cert.Raw)
	deleted, err := st.Delete(sum[:])
	if errors.Is(err, platform.ErrAccessDenied) && !w.Machine {
		// The write handle of CurrentUser\Root also shows LocalMachine's
		// copy, which only an elevated shell may delete; what counts is
		// whether the user's own store still holds one.
		if left, cerr := w.count(w.target(), r.Cert); cerr == nil && left == 0 {
			err = nil
		}
	}
	return deleted > 0, w.explain(err, "uninstall")
}

// VerifyLeaf asks Go's verifier, with the platform's roots, whether it
// accepts a leaf for localhost issued by the CA (made in memory, never
// written). The root's key is not on disk, so the leaf comes from the
// issuing intermediate, as every real leaf does.
func VerifyLeaf(r Root) error {
	if r.Probe == nil {
		return errors.New("no CA key to issue a test leaf with")
	}
	p, err := r.Probe()
	if err != nil {
		return fmt.Errorf("can't issue a test leaf: %w", err)
	}
	var inter []*x509.Certificate
	for _, c := range p.Intermediates {
		if !c.Equal(r.Cert) {
			inter = append(inter, c)
		}
	}
	p.Intermediates = inter
	if err := platform.VerifyWithOS(p); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "x509: "))
	}
	return nil
}
