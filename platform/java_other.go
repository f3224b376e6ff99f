//go:build !unix

package platform

import "os"

// CanReplace reports whether this process may rewrite the file at path.
// Without access(2), opening it for writing (no truncation, nothing
// written) is the test that matches what keytool will meet.
func CanReplace(path string) bool {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
