//go:build unix

package platform

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// CanReplace reports whether this process may rewrite the file at path in
// place (as keytool does) and replace it by renaming a file over it (as a
// restore does): it must be able to write both the file and its folder.
// Otherwise the change goes through the runner as root.
func CanReplace(path string) bool {
	return unix.Access(path, unix.W_OK) == nil && unix.Access(filepath.Dir(path), unix.W_OK) == nil
}
