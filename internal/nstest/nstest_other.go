//go:build !linux

package nstest

import "testing"

// Run skips t (or fails it under VOUCH_E2E=1): mount namespaces, and the
// trust stores they protect here, exist only on Linux.
func Run(t *testing.T, body func(t *testing.T, env *Env)) {
	t.Helper()
	skipOrFatal(t, "nstest: private mount namespaces need Linux")
}

// TrustPaths returns nil: this package knows only Linux trust stores.
func TrustPaths() []string { return nil }
