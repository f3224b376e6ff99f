//go:build !linux && !darwin && !freebsd && !openbsd && !netbsd && !dragonfly && !windows

package platform

// IsTerminal is false where vouch can't tell: sudo then never waits for a
// password it can't get.
func IsTerminal(fd uintptr) bool { return false }
