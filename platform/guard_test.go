//go:build unix

package platform

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGuard: under a Guard, a Ctrl-C that reaches the command vouch runs
// (here the command sends it to itself) does not stop it, and one that
// reaches vouch is noted, once, instead of ending the process. Without a
// Guard the command dies of it, as before. SIGTERM is held as Ctrl-C is:
// timeout(1) sends it to its whole process group, and it had stopped
// update-ca-certificates half way.
func TestGuard(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) { testGuard(t, sig) })
	}
}

func testGuard(t *testing.T, sig syscall.Signal) {
	// A child's signal starts at its default only if this process's is
	// not ignored (a background job of a script ignores it): a channel of
	// the test's own has Go handle it, and a handled signal is default
	// again in a child.
	sink := make(chan os.Signal, 1)
	signal.Notify(sink, sig)
	defer signal.Stop(sink)
	e := &Exec{IsRoot: true}
	selfInterrupt := Cmd{Argv: []string{"sh", "-c", fmt.Sprintf("kill -%d $$; echo went on", sig)}}
	if out, err := e.Run(context.Background(), selfInterrupt); err == nil {
		t.Fatalf("without a Guard, a command that interrupts itself = %q, nil; want it stopped by the signal", out)
	}

	calls := 0
	interrupted, stop := Guard(func() { calls++ })
	out, err := e.Run(context.Background(), selfInterrupt)
	if err != nil || strings.TrimSpace(string(out)) != "went on" {
		t.Errorf("under a Guard, a command that interrupts itself = %q, %v; want it to go on", out, err)
	}
	if interrupted() {
		t.Errorf("the command's own signal reached vouch")
	}
	if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !interrupted() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !interrupted() {
		t.Errorf("%v sent to vouch under a Guard was not noted", sig)
	}
	// A second one, once the first was noted (two sent at once merge into
	// one): the Guard's channel is offered each signal with sink's, so once
	// sink has it, the Guard has it to hand to on, which must not run again.
	// (Starting a command under the Guard took sink off the signal: put it back.)
	signal.Notify(sink, sig)
	for len(sink) > 0 {
		<-sink
	}
	if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sink:
	case <-time.After(5 * time.Second):
		t.Fatalf("the second %v never came", sig)
	}
	// The command started after it is still kept from the signal.
	if out, err := e.Run(context.Background(), selfInterrupt); err != nil {
		t.Errorf("under a Guard, after a noted signal, a command that interrupts itself = %q, %v; want it to go on", out, err)
	}
	stop()
	signal.Notify(sink, sig)
	if calls != 1 {
		t.Errorf("on was called %d times for two signals, want once", calls)
	}
	if out, err := e.Run(context.Background(), selfInterrupt); err == nil {
		t.Errorf("after stop, a command that interrupts itself = %q, nil; want it stopped as before the Guard", out)
	}
}
