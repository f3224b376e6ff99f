// Package fsinfo holds the small file matters that both certs (which
// imports no platform code) and platform need: a file's numeric owner,
// giving a new file an old one's, and an os error without the path that a
// message already names.
package fsinfo

import (
	"errors"
	"io/fs"
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

// GiveOwner gives f the owner and group of like, the file it is to
// replace, unless it has them already or files have no numeric owners
// here. Only root may give a file away, so for others it fails when they
// differ.
func GiveOwner(f *os.File, like fs.FileInfo) error {
	uid, gid, ok := Owner(like)
	if !ok {
		return nil
	}
	mine, err := f.Stat()
	if err != nil {
		return err
	}
	if u, g, _ := Owner(mine); u == uid && g == gid {
		return nil
	}
	return f.Chown(uid, gid)
}
