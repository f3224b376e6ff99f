// Command empty is the floor of bench.sh's timings: a Go program that starts,
// writes one line and exits. No Go command, vouch or mkcert, can run faster
// than this on the same machine, so a speed goal that asks for more than the
// ratio between mkcert and this program can't be met by any Go program.
package main

import "os"

func main() {
	os.Stdout.WriteString("empty\n")
}
