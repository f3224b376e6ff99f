//go:build !unix

package platform

import "os"

// terminalSignals: none that Guard can keep from a command it starts.
var terminalSignals []os.Signal
