package platform

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// WriteFile writes data to path with mode through a temp file beside it,
// synced and renamed in: a reader finds the old file or the whole new one,
// never a part.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	return writeAtomic(path, data, mode, nil)
}

// writeAtomic writes a file beside its target, syncs it and renames it in.
// With owner set, the new file gets that file's owner and group too.
func writeAtomic(path string, data []byte, mode os.FileMode, owner fs.FileInfo) error {
	s, err := stage(path, data, mode, owner)
	if err != nil {
		return err
	}
	return s.Commit()
}

// StagedFile is a file written and synced beside the one it is to
// replace, not yet renamed over it. Staging every file of a set before
// renaming any lets a failure to write (a full disk) leave all of them as
// they were.
type StagedFile struct {
	tmp, path string
}

// StageFile writes data beside path with the mode (and, where files have
// numeric owners, the owner and group) of like, as ReplaceFile does, but
// leaves path as it is until Commit.
func StageFile(path string, data []byte, like fs.FileInfo) (*StagedFile, error) {
	return stage(path, data, like.Mode().Perm(), like)
}

// Name is the staged file's own path, beside its target.
func (s *StagedFile) Name() string { return s.tmp }

// Commit renames the staged file over its target.
func (s *StagedFile) Commit() error {
	if err := os.Rename(s.tmp, s.path); err != nil {
		os.Remove(s.tmp)
		return fmt.Errorf("failed to write %s: %w", s.path, fsinfo.Bare(err))
	}
	return nil
}

// Abort removes the staged file; its target stays as it was.
func (s *StagedFile) Abort() { os.Remove(s.tmp) }

func stage(path string, data []byte, mode os.FileMode, owner fs.FileInfo) (*StagedFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".vouch-*")
	if err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", path, fsinfo.Bare(err))
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if owner != nil && err == nil {
		err = fsinfo.GiveOwner(tmp, owner)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return nil, fmt.Errorf("failed to write %s: %w", path, fsinfo.Bare(err))
	}
	return &StagedFile{tmp: name, path: path}, nil
}
