//go:build linux

package platform

import "golang.org/x/sys/unix"

// IsTerminal reports whether fd is a terminal, where sudo can ask for a
// password. /dev/null is a character device but not a terminal.
func IsTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}
