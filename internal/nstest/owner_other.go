//go:build !unix

package nstest

import "io/fs"

// fileOwner has no numeric owner to report where files have no uid and gid.
func fileOwner(fs.FileInfo) string { return "-" }
