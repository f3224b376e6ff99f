//go:build darwin

package platform

// The one file that imports smallstep/truststore. It is called with no
// options, so it touches only the System keychain and the admin trust
// settings (no NSS, no Java: vouch has its own stores for those).
import sstruststore "github.com/smallstep/truststore"

// NewSystem returns the macOS system store. fsRoot is unused: the keychain
// is reached only through the security tool.
func NewSystem(fsRoot string, r Runner, isRoot bool) (System, error) {
	return &MacSystem{
		Runner: r,
		IsRoot: isRoot,
		Add:    func(f string) error { return sstruststore.InstallFile(f) },
		Remove: func(f string) error { return sstruststore.UninstallFile(f) },
	}, nil
}
