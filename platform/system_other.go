//go:build !linux && !darwin

package platform

import (
	"fmt"
	"runtime"
)

// NewSystem says plainly that this platform's system store is not
// supported yet, rather than pretend.
func NewSystem(fsRoot string, r Runner, isRoot bool) (System, error) {
	return nil, fmt.Errorf("the system trust store is not supported on %s/%s yet", runtime.GOOS, runtime.GOARCH)
}
