//go:build !linux

package nstest

import (
	"errors"
	"testing"
)

// Run skips t (or fails it under VOUCH_E2E=1): mount namespaces, and the
// trust stores they protect here, exist only on Linux.
func Run(t *testing.T, body func(t *testing.T, env *Env)) {
	t.Helper()
	skipOrFatal(t, "nstest: private mount namespaces need Linux")
}

// TrustPaths returns nil: this package knows only Linux trust stores.
func TrustPaths() []string { return nil }

// SetHosts fails: there is no namespace to bind /etc/hosts in.
func (e *Env) SetHosts(content string) error {
	return errors.New("nstest: SetHosts needs Linux")
}
