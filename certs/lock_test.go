package certs

import (
	"testing"
)

// TestLockDirWaits: a second LockDir on a folder another holder has
// says it waits, then gets the lock once the first lets go; an uncontended
// one says nothing.
func TestLockDirWaits(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDir(dir, func() { t.Error("LockDir on a free folder said it waits") })
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	got := make(chan error)
	go func() {
		second, err := LockDir(dir, func() { close(waited) })
		if err == nil {
			second()
		}
		got <- err
	}()
	<-waited // the second caller saw the lock held; it can't have it yet
	select {
	case err := <-got:
		t.Fatalf("the second LockDir returned (%v) while the first held the lock", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("the second LockDir after the first let go: %v", err)
	}
}
