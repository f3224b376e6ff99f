package platform

import (
	"errors"
	"fmt"
)

// WinStore names a Windows Root certificate store: the current user's
// (the default, no admin needed) or the machine's (--machine, admin).
type WinStore int

const (
	CurrentUserRoot WinStore = iota
	LocalMachineRoot
)

func (s WinStore) String() string {
	if s == LocalMachineRoot {
		return `LocalMachine\Root`
	}
	return `CurrentUser\Root`
}

// CertStore is one opened Windows Root store, as much of the CryptoAPI as
// vouch needs. Certificates are named by their SHA-1 thumbprint, which is
// how Windows itself tells them apart (a serial number is not unique).
type CertStore interface {
	// Count says how many certificates with this thumbprint the store
	// itself holds; a CurrentUser store opened to read does not count the
	// LocalMachine certificates it inherits.
	Count(sha1 []byte) (int, error)
	// Add adds the DER certificate, replacing an equal one.
	Add(der []byte) error
	// Delete removes every certificate with this thumbprint that it can,
	// says how many went, and joins the errors of those that did not.
	Delete(sha1 []byte) (int, error)
	Close() error
}

// OpenCertStore opens a Root store; write asks for a handle that can add
// and delete. OpenWinStore is the real one on Windows.
type OpenCertStore func(s WinStore, write bool) (CertStore, error)

var (
	// ErrAccessDenied: Windows refused a change to the store (a
	// LocalMachine store from a shell that is not elevated).
	ErrAccessDenied = errors.New("access denied")
	// ErrCancelled: the user answered No to Windows' confirmation dialog.
	ErrCancelled = errors.New("cancelled in Windows' confirmation dialog")
)

// winError marks err as one of the errors above, keeping Windows' own.
type winError struct {
	kind error
	op   string
	err  error
}

func (e *winError) Error() string {
	return fmt.Sprintf("%s: %v (%v)", e.op, e.kind, e.err)
}

func (e *winError) Is(target error) bool { return target == e.kind }
func (e *winError) Unwrap() error        { return e.err }

// Windows error codes vouch tells apart, each as a Win32 error and as the
// HRESULT that wraps it (crypt32 returns either, depending on the call).
const (
	winAccessDenied     = 5
	winCancelled        = 1223
	hresultAccessDenied = 0x80070005
	hresultCancelled    = 0x800704C7
)

// classifyWinError wraps err, which failed op with Windows error code,
// as ErrAccessDenied or ErrCancelled when it is one of those.
func classifyWinError(op string, code uint32, err error) error {
	switch code {
	case winAccessDenied, hresultAccessDenied:
		return &winError{kind: ErrAccessDenied, op: op, err: err}
	case winCancelled, hresultCancelled:
		return &winError{kind: ErrCancelled, op: op, err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}
