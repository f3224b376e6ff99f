//go:build !unix && !windows

package certs

import "os"

// lockFile does nothing where there is no file locking; CA creation is
// still atomic per file, only concurrent first runs can race.
func lockFile(f *os.File) error { return nil }

func tryLockFile(f *os.File) (bool, error) { return true, nil }
