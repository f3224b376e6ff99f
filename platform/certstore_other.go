//go:build !windows

package platform

import (
	"fmt"
	"runtime"
)

// OpenWinStore exists only on Windows.
func OpenWinStore(s WinStore, write bool) (CertStore, error) {
	return nil, fmt.Errorf("the Windows certificate store is not on %s/%s", runtime.GOOS, runtime.GOARCH)
}
