// Package fsinfo holds the two small facts about files that both certs
// (which imports no platform code) and platform need: a file's numeric
// owner, and an os error without the path that a message already names.
package fsinfo

import (
	"errors"
	"os"
)

// Bare is err without the file names os put in it (a temp file's, or a
// rename's two), so that messages name only the file the user knows:
// failed to write X: no space left on device.
func Bare(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
