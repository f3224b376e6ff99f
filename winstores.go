package main

import (
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

// Test-only seams for the Windows store, which tests on Linux fake.
var (
	// testOnlyOpenCertStore replaces the Windows certificate store.
	testOnlyOpenCertStore platform.OpenCertStore
	// testOnlyVerifyLeaf replaces the platform verifier's verdict.
	testOnlyVerifyLeaf func(truststore.Root) error
)

// systemStore is the machine's own store: the Windows Root store on
// Windows, the platform's System elsewhere.
func (a *app) systemStore(r platform.Runner) truststore.Store {
	if a.goos == "windows" {
		open := platform.OpenWinStore
		if testOnlyOpenCertStore != nil {
			open = testOnlyOpenCertStore
		}
		return &truststore.Windows{Open: open, Machine: a.machine, Verify: testOnlyVerifyLeaf, Notify: a.notify}
	}
	sys, err := a.newSystem(r)
	return &truststore.System{Sys: sys, Err: err}
}

// wslStore is the Windows user's Root store reached from WSL; on any
// other machine it is not present.
func (a *app) wslStore(r platform.Runner) truststore.Store {
	return &truststore.WSL{Runner: r, Getenv: a.getenv, FSRoot: a.fsRoot(), Notify: a.notify}
}

func (a *app) notify(msg string) { a.infof("%s", msg) }

// machineFlag takes --machine, which picks Windows' LocalMachine\Root;
// elsewhere there is no such store, and naming it is a usage error.
func (a *app) machineFlag(cmd string, machine bool) (int, bool) {
	if machine && a.goos != "windows" {
		return a.usageError(cmd, `--machine picks Windows' LocalMachine\Root store, and this is %s`, a.goos), false
	}
	a.machine = machine
	return exitOK, true
}
