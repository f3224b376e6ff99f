//go:build unix

package platform

import (
	"io/fs"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// CanReplace reports whether this process may rewrite the file at path in
// place (as keytool does) and replace it by renaming a file over it (as a
// restore does): it must be able to write both the file and its folder.
// Otherwise the change goes through the runner as root.
func CanReplace(path string) bool {
	return unix.Access(path, unix.W_OK) == nil && unix.Access(filepath.Dir(path), unix.W_OK) == nil
}

// fileOwner is the owner and group of the file info describes.
func fileOwner(info fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
