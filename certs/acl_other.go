//go:build !linux

package certs

import "os"

// keepACL keeps POSIX ACLs on Linux only; elsewhere there is nothing kept.
func keepACL(tmp *os.File, path string) error { return nil }
