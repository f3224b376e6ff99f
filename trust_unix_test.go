//go:build unix

package main

import (
	"crypto/x509"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
)

// TestInterruptFinishesTheStore: a Ctrl-C while the system store's refresh
// runs lets that change finish, whole, and stops vouch before the next
// store, saying which stay as they were and what finishes the job.
func TestInterruptFinishesTheStore(t *testing.T) {
	// Go must handle SIGINT for the Guard to take it, even where this
	// process was started with it ignored (a background job of a script).
	sink := make(chan os.Signal, 1)
	signal.Notify(sink, syscall.SIGINT)
	defer signal.Stop(sink)
	d := newFakeDebian(t)
	withFake(t, d)
	// A JDK with its own keystore: a store left to change, as it lacks
	// the root for install and holds it for uninstall. (No browser
	// database: nss, not on this machine, goes unnamed.)
	other := newTestCA(t, time.Now()).Root
	writeJKS, _ := fakeJDK(t, d)
	writeJKS(other)
	a, _, stderr := testApp(t, true)
	ctrlC := func() {
		syscall.Kill(syscall.Getpid(), syscall.SIGINT)
		// As a refresh does, go on a while after the signal came.
		time.Sleep(200 * time.Millisecond)
		d.during = nil
	}
	for _, verb := range []string{"install", "uninstall"} {
		if verb == "uninstall" {
			writeJKS(other, readRoot(t, a))
		}
		d.during = ctrlC
		stderr.Reset()
		code := a.run([]string{verb})
		for _, want := range []string{
			"vouch: interrupted: finishing the change under way first, so that no store is left half changed",
			"vouch: error: interrupted: stopped before java, which stay as they were",
			"vouch: hint: vouch " + verb + "   (to finish)",
		} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%s interrupted during the refresh said:\n%s\nwant %q", verb, stderr, want)
			}
		}
		if code != exitFail {
			t.Errorf("%s interrupted = exit %d, want 1", verb, code)
		}
		// The system store's change went through to its end.
		anchors, _ := os.ReadDir(filepath.Join(d.root, debianAnchors))
		bundle, _ := os.ReadFile(filepath.Join(d.root, "/etc/ssl/certs/ca-certificates.crt"))
		installed, gone := len(anchors) == 1 && len(bundle) > 0, len(anchors) == 0 && len(bundle) == 0
		if verb == "install" && !installed || verb == "uninstall" && !gone {
			t.Errorf("after the interrupted %s: %d anchor(s), a bundle of %d bytes; want the system store's change whole", verb, len(anchors), len(bundle))
		}
	}

	// A store the refresh does not reach, which never held the root, is
	// named as staying as it was, not as changed by the refresh.
	writeJKS(other)
	if code := a.run([]string{"install", "--stores", "system"}); code != exitOK {
		t.Fatalf("install --stores system = %d; stderr %s", code, stderr)
	}
	d.during = ctrlC
	stderr.Reset()
	if code := a.run([]string{"uninstall"}); code != exitFail || !strings.Contains(stderr.String(), "vouch: error: interrupted: stopped before java, which stay as they were\n") {
		t.Errorf("uninstall interrupted, java never holding the root = %d:\n%s\nwant java named as staying as it was", code, stderr)
	}
	a.run([]string{"uninstall"})

	// Interrupted during the last store's change: nothing is left to stop
	// before, so the job ends whole, and exit 0.
	d.during = ctrlC
	stderr.Reset()
	code := a.run([]string{"install", "--stores", "system"})
	if code != exitOK || !strings.Contains(stderr.String(), "vouch: interrupted: finishing the change under way first") ||
		!strings.Contains(stderr.String(), "vouch: system: trusted now") || strings.Contains(stderr.String(), "stopped before") {
		t.Errorf("install --stores system, interrupted during its one store = exit %d:\n%s\nwant 0, the notice, the store trusted, nothing stopped", code, stderr)
	}
}

// readRoot is the root of a's CA.
func readRoot(t *testing.T, a *app) *x509.Certificate {
	t.Helper()
	cs, err := certs.ParseCertificates(mustReadFile(t, filepath.Join(a.getenv("VOUCH_CAROOT"), "rootCA.pem")))
	if err != nil || len(cs) != 1 {
		t.Fatalf("rootCA.pem: %d certificates, %v", len(cs), err)
	}
	return cs[0]
}
