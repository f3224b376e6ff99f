//go:build !linux

package platform

import "errors"

// CanTellFilesInUse: FilesInUse can't tell here.
const CanTellFilesInUse = false

// FilesInUse can't tell which files are open on this system.
func FilesInUse(paths []string) ([]string, error) {
	return nil, errors.ErrUnsupported
}
