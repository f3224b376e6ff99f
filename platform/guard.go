package platform

import (
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
)

// guard is the one Guard in force, if any.
var guard struct {
	sync.Mutex
	ch   chan os.Signal
	sigs []os.Signal
}

// Guard keeps vouch and the commands Exec starts from being stopped part
// way by the signals that ask a process to stop (Ctrl-C, Ctrl-\, a
// hang-up, SIGTERM; see stopSignals), until stop is called. Debian's
// update-ca-certificates --fresh, interrupted, had cleared half the links
// in /etc/ssl/certs and left its half-written bundle to be appended to by
// the next run; vouch, interrupted, died holding neither its lock nor a
// record of what was done. Under a Guard such a signal reaches vouch as a
// note instead: on is called once, interrupted reports it, and the caller
// stops at the next point where every store is whole. The commands
// started meanwhile ignore those signals (sudo's password prompt still
// gives up on Ctrl-C). Where there are no such signals (Windows), Guard
// does nothing. on must not be nil.
func Guard(on func()) (interrupted func() bool, stop func()) {
	var got atomic.Bool
	// One ignored already (nohup, a background job of a script) stays so.
	var sigs []os.Signal
	for _, s := range stopSignals {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return got.Load, func() {}
	}
	ch := make(chan os.Signal, 1)
	exited := make(chan struct{})
	guard.Lock()
	guard.ch, guard.sigs = ch, sigs
	signal.Notify(ch, sigs...)
	guard.Unlock()
	go func() {
		defer close(exited)
		for range ch {
			if !got.Swap(true) {
				on()
			}
		}
	}()
	return got.Load, func() {
		guard.Lock()
		signal.Stop(ch) // after which ch gets nothing more, so it may close
		signal.Reset(sigs...)
		guard.ch, guard.sigs = nil, nil
		guard.Unlock()
		close(ch)
		<-exited
	}
}

// shieldChild, under a Guard, makes the next command started ignore the
// stop signals: a disposition of "ignored" survives exec, so the
// command (and sudo's, which sudo gives the one it started with) inherits
// it, where a handler would be reset. The returned function, called once
// the command has started, gives the signals back to the Guard.
func shieldChild() func() {
	guard.Lock()
	if guard.ch == nil {
		guard.Unlock()
		return func() {}
	}
	signal.Ignore(guard.sigs...)
	return func() {
		signal.Notify(guard.ch, guard.sigs...)
		guard.Unlock()
	}
}
