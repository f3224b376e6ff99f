//go:build !linux && !freebsd && !darwin

package platform

import "runtime"

// NewSystem says plainly that this platform's system store is not
// supported, rather than pretend.
func NewSystem(fsRoot string, r Runner, isRoot bool) (System, error) {
	return SystemFor(runtime.GOOS, runtime.GOARCH, fsRoot, r, isRoot)
}
