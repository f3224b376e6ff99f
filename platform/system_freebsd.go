//go:build freebsd

package platform

import "runtime"

// NewSystem returns this machine's system store, driven by certctl.
// fsRoot is "/" except in tests.
func NewSystem(fsRoot string, r Runner, isRoot bool) (System, error) {
	return SystemFor("freebsd", runtime.GOARCH, fsRoot, r, isRoot)
}
