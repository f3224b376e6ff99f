//go:build unix

package nstest

import (
	"fmt"
	"io/fs"
	"syscall"
)

func fileOwner(info fs.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	}
	return "?:?"
}
