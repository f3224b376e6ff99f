package certs

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestLockDirWaits: a second LockDir on a folder another holder has
// says it waits, then gets the lock once the first lets go; an uncontended
// one says nothing.
func TestLockDirWaits(t *testing.T) {
	dir := t.TempDir()
	secondWaits(t, "LockDir", func(waiting func()) (func(), error) { return LockDir(dir, waiting) })
}

// TestLockSaysWhenItWaits: a second Lock on a CA folder says it waits only
// once the first has held it for waitNotice, and before it returns; one
// released sooner says nothing. (vouch install, waiting at sudo's password
// prompt, holds the lock, and a second install waited without a word.)
func TestLockSaysWhenItWaits(t *testing.T) {
	defer func(d time.Duration) { waitNotice = d }(waitNotice)
	waitNotice = 50 * time.Millisecond
	dir := t.TempDir()
	secondWaits(t, "Lock", func(waiting func()) (func(), error) { return Lock(dir, waiting) })

	// Held, then let go well before waitNotice: nothing said.
	waitNotice = time.Hour
	unlock, err := Lock(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error)
	go func() {
		second, err := Lock(dir, func() { t.Error("a wait shorter than waitNotice was announced") })
		if err == nil {
			second()
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond)
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// secondWaits takes lock, free, then again from another goroutine: that
// one must say it waits, once, and not return until the first lets go.
func secondWaits(t *testing.T, name string, lock func(waiting func()) (func(), error)) {
	t.Helper()
	unlock, err := lock(func() { t.Errorf("%s on a free folder said it waits", name) })
	if err != nil {
		t.Fatal(err)
	}
	var told atomic.Int32
	got := make(chan error)
	go func() {
		second, err := lock(func() { told.Add(1) })
		if err == nil {
			second()
		}
		got <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for told.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if told.Load() != 1 {
		t.Fatalf("a %s held by another for 5s said it waits %d times, want once", name, told.Load())
	}
	select {
	case err := <-got:
		t.Fatalf("the second %s returned (%v) while the first held the lock", name, err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("the second %s after the first let go: %v", name, err)
	}
	// Counted again once it is done: a second notice while it waited
	// came after the check above.
	if n := told.Load(); n != 1 {
		t.Errorf("a %s that waited said so %d times, want once", name, n)
	}
}
