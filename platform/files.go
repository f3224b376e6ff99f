package platform

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// writeAtomic writes a file beside its target, syncs it and renames it in.
// With owner set, the new file gets that file's owner and group too.
func writeAtomic(path string, data []byte, mode os.FileMode, owner fs.FileInfo) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".vouch-*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if owner != nil && err == nil {
		if uid, gid, ok := fileOwner(owner); ok {
			if mine, serr := tmp.Stat(); serr != nil {
				err = serr
			} else if u, g, _ := fileOwner(mine); u != uid || g != gid {
				err = tmp.Chown(uid, gid)
			}
		}
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}
