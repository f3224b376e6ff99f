//go:build linux

package platform

// NewSystem returns this machine's system store. fsRoot is "/" except in
// tests.
func NewSystem(fsRoot string, r Runner, isRoot bool) (System, error) {
	return &LinuxSystem{Root: fsRoot, Runner: r, IsRoot: isRoot}, nil
}
