package platform

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// System is a machine's own trust store, as vouch drives it: read the state
// without changing anything, plan the commands, carry the plan out.
type System interface {
	State(root *x509.Certificate, keep ...*x509.Certificate) (SystemState, error)
	InstallPlan(root *x509.Certificate, rootFile string, st SystemState) []Cmd
	UninstallPlan(root *x509.Certificate, st SystemState, all bool) []Cmd
	Apply(ctx context.Context, plan []Cmd, rootPEM []byte) error
}

// StoreLockDir is the folder whose lock every vouch run takes before it
// changes the stores, whoever runs it and with whichever CA: the Linux and
// FreeBSD layouts' anchor folder ("" elsewhere, and where none is found).
// Their refresh must not run twice at once: Debian's Java hook runs dpkg,
// and two at once left ca-certificates-java half-configured.
func StoreLockDir(s System) string {
	ls, ok := s.(*LinuxSystem)
	if !ok {
		return ""
	}
	l, err := ls.Layout()
	if err != nil {
		return ""
	}
	return ls.path(l.AnchorDir)
}

// BundleFile is the file the system store's tools generate, holding every
// trusted root; programs that replace rather than add to their trust (a
// *_CA_BUNDLE variable) are pointed at it.
func BundleFile(s System) (string, error) {
	ls, ok := s.(*LinuxSystem)
	if !ok {
		return "", fmt.Errorf("no system bundle file on this platform")
	}
	l, err := ls.Layout()
	if err != nil {
		return "", err
	}
	if !l.Hashed {
		return l.Bundle, nil
	}
	// certctl writes its bundle as a file in the same rehash as the hashed
	// folder, from FreeBSD 15.0 on; before, /etc/ssl/cert.pem is a port's
	// link to Mozilla's roots only, or absent.
	if fi, err := os.Lstat(ls.path(l.FileBundle)); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a bundle %s writes (it does from FreeBSD 15.0 on); programs that read %s trust the root", l.FileBundle, l.Tool, l.Bundle)
	}
	return l.FileBundle, nil
}

// ErrUnsupported means vouch has no system store for this platform.
var ErrUnsupported = errors.New("not supported")

// SystemFor is the system store for goos as the code without build tags
// drives it: Linux's distro layouts and FreeBSD's certctl. Any other
// platform gets an error naming it, never a store that does nothing;
// macOS and Windows have their own stores, in their own files.
func SystemFor(goos, goarch, fsRoot string, r Runner, isRoot bool) (System, error) {
	switch goos {
	case "linux":
		return &LinuxSystem{Root: fsRoot, Runner: r, IsRoot: isRoot}, nil
	case "freebsd":
		return &LinuxSystem{Root: fsRoot, Runner: r, IsRoot: isRoot, Layouts: FreeBSDLayouts}, nil
	}
	return nil, fmt.Errorf("the system trust store is %w on %s/%s", ErrUnsupported, goos, goarch)
}
