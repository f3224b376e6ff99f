//go:build !unix

package platform

import "os"

// stopSignals: none that Guard can keep from a command it starts.
var stopSignals []os.Signal
