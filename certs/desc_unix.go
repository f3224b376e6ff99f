//go:build unix

package certs

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// dupDesc is a duplicate of descriptor n, closed with no harm to n: an
// *os.File made on n itself would close it when collected, and the shell's
// descriptor (or one vouch reused meanwhile) with it.
func dupDesc(n int, name string) (*os.File, error) {
	d, err := syscall.Dup(n)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(d)
	return os.NewFile(uintptr(d), name), nil
}

// descReadOnly says whether descriptor n is open for reading only.
func descReadOnly(n int) bool {
	flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFL, 0)
	return err == nil && flags&unix.O_ACCMODE == unix.O_RDONLY
}
