package platform

import (
	"context"
	"crypto/x509"
	"fmt"
)

// System is a machine's own trust store, as vouch drives it: read the state
// without changing anything, plan the commands, carry the plan out.
type System interface {
	State(root *x509.Certificate, keep ...*x509.Certificate) (SystemState, error)
	InstallPlan(root *x509.Certificate, rootFile string, st SystemState) []Cmd
	UninstallPlan(root *x509.Certificate, st SystemState, all bool) []Cmd
	Apply(ctx context.Context, plan []Cmd, rootPEM []byte) error
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
	return l.Bundle, nil
}
