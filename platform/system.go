package platform

import (
	"context"
	"crypto/x509"
)

// System is a machine's own trust store, as vouch drives it: read the state
// without changing anything, plan the commands, carry the plan out.
type System interface {
	State(root *x509.Certificate) (SystemState, error)
	InstallPlan(root *x509.Certificate, rootFile string, st SystemState) []Cmd
	UninstallPlan(root *x509.Certificate, st SystemState, all bool) []Cmd
	Apply(ctx context.Context, plan []Cmd, rootPEM []byte) error
}
