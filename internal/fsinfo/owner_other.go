//go:build !unix

package fsinfo

import "io/fs"

// Owner has nothing to give where files have no numeric owner (Windows: a
// new file takes its folder's ACL).
func Owner(fs.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }
