//go:build unix

package platform

import (
	"os"
	"syscall"
)

// stopSignals are the signals that ask vouch to stop: those a terminal
// sends to every process of its foreground group (Ctrl-C, Ctrl-\ and a
// hang-up), and SIGTERM, which timeout(1) sends to its whole process
// group when a CI step runs out of time, and docker stop and systemd send
// before they kill. (SIGKILL, which they send after, can't be held.)
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGTERM}
