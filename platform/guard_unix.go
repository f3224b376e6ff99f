//go:build unix

package platform

import (
	"os"
	"syscall"
)

// terminalSignals are the signals a terminal sends to every process of
// its foreground group: Ctrl-C, Ctrl-\ and a hang-up.
var terminalSignals = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP}
