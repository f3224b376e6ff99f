//go:build unix

package fsinfo

import (
	"io/fs"
	"syscall"
)

// Owner is the owner and group of the file info describes.
func Owner(info fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
