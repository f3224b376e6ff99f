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

// TestLockSaysWhenItWaits: a second Lock on a CA folder says it waits only
// once the first has held it for waitNotice, and before it returns; one
// released sooner says nothing. (vouch install, waiting at sudo's password
// prompt, holds the lock, and a second install waited without a word.)
func TestLockSaysWhenItWaits(t *testing.T) {
	defer func(d time.Duration) { waitNotice = d }(waitNotice)
	waitNotice = 50 * time.Millisecond
	dir := t.TempDir()
	unlock, err := Lock(dir, func() { t.Error("Lock on a free folder said it waits") })
	if err != nil {
		t.Fatal(err)
	}
	var told atomic.Int32
	got := make(chan error)
	go func() {
		second, err := Lock(dir, func() { told.Add(1) })
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
		t.Fatalf("a Lock held by another for 5s said it waits %d times, want once", told.Load())
	}
	select {
	case err := <-got:
		t.Fatalf("the second Lock returned (%v) while the first held the lock", err)
	default:
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("the second Lock after the first let go: %v", err)
	}

	// Held, then let go well before waitNotice: nothing said.
	waitNotice = time.Hour
	unlock, err = Lock(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
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
