// Package truststore owns trusting a root: the Store interface every trust
// store adapter implements, choosing stores (--stores, TRUST_STORES), and
// installing, uninstalling and reporting across all of them.
//
// It must not create or sign certificates (that is certs) and reaches the
// operating system only through platform.
package truststore

import (
	"context"
	"crypto/x509"
	"fmt"
	"sort"
	"strings"

	"github.com/vouchdev/vouch/platform"
)

// Root is the certificate to trust, its PEM and the file holding it (which
// commands run as root can copy).
type Root struct {
	Cert *x509.Certificate
	PEM  []byte
	File string
	// Probe, when set, issues a throwaway leaf under the root, in memory,
	// for stores whose verdict comes from the operating system's own
	// verifier (macOS, Windows).
	Probe platform.Probe
	// Keep are other roots the user wants trusted (their own CA, and those
	// trusted for other people with vouch trust): a store never reports
	// them as stale, and uninstalling with all leaves them in place.
	Keep []*x509.Certificate
	// Retired are the CAs vouch rotate retired from this root's CA folder.
	// Their roots are other vouch roots all the same (uninstall with all
	// takes them out), but a store names them as retired, not stale: they
	// stay trusted on purpose until their own uninstall.
	Retired []RetiredRoot
	// Mkcert asks Uninstall to take out mkcert's own entries for this root
	// too (its system anchor, NSS nickname and Java aliases), as mkcert
	// -uninstall does: for an mkcert CA that mkcert installed, with vouch
	// uninstall --mkcert or mkcert's -uninstall.
	Mkcert bool
	// PutBack and TakeOut are the commands a store's reason names for
	// putting the root back and taking it out: "vouch install" and "vouch
	// uninstall" when empty (the user's own CA); for a root trusted for
	// someone else, its vouch trust and vouch untrust, since install would
	// make the user a CA and uninstall would not touch that root.
	PutBack, TakeOut string
}

func (r Root) putBack() string {
	if r.PutBack != "" {
		return r.PutBack
	}
	return "vouch install"
}

func (r Root) takeOut() string {
	if r.TakeOut != "" {
		return r.TakeOut
	}
	return "vouch uninstall"
}

// RetiredRoot is the root of a CA that vouch rotate retired to Dir.
type RetiredRoot struct {
	Cert *x509.Certificate
	Dir  string
}

// retired is the CA vouch rotate retired from r's folder whose root c
// matches, or nil.
func (r Root) retired(match func(c *x509.Certificate) bool) *RetiredRoot {
	for i := range r.Retired {
		if match(r.Retired[i].Cert) {
			return &r.Retired[i]
		}
	}
	return nil
}

// retiredNote is what a store says of entries holding a retired root:
// retired on purpose, not stale, and what takes it out.
func retiredNote(where string, rr *RetiredRoot) string {
	return fmt.Sprintf("; %s holds the root of the CA vouch rotate retired to %s, trusted until %s", where, rr.Dir, RetiredTakeOut(rr.Dir))
}

// RetiredTakeOut is the command that takes the root of the CA vouch rotate
// retired to dir out of the stores, and deletes that CA.
func RetiredTakeOut(dir string) string {
	return platform.Cmd{Argv: []string{"vouch", "uninstall", "--caroot", dir, "--purge"}}.String()
}

// keeps reports whether c is one of the roots r keeps.
func (r Root) keeps(c func(*x509.Certificate) bool) bool {
	for _, k := range r.Keep {
		if c(k) {
			return true
		}
	}
	return false
}

// State is a store's verdict on a root.
type State string

const (
	Trusted    State = "trusted"
	NotTrusted State = "not trusted"
	NotPresent State = "not present"
	Failed     State = "error"
)

// Status is what one store says, with the reason and what it looked at.
type Status struct {
	Store   string   `json:"store"`
	State   State    `json:"state"`
	Reason  string   `json:"reason"`
	Where   string   `json:"where,omitempty"`
	Checked []string `json:"checked,omitempty"`
	Stale   []string `json:"stale,omitempty"`
	// Fragile is a Trusted that lasts only until the store is next
	// rebuilt (the system store's bundle still holds a root whose anchor
	// was deleted): Install has work left. The reason says so in words.
	Fragile bool `json:"fragile,omitempty"`
	// Held names where the root is trusted through entries vouch did not
	// add (mkcert's, or one made by hand), with how to take each out:
	// vouch's uninstall leaves them, so it warns of them even when other
	// places no longer trust the root. The reason says so in words.
	Held []string `json:"-"`
	// Mkcert: some of what still trusts the root is mkcert's own (its
	// anchor, nickname or alias), which only uninstall --mkcert removes.
	Mkcert bool `json:"-"`
}

// Store is one trust store. Status never changes anything; Install and
// Uninstall change only what they must and report whether they did.
type Store interface {
	Name() string
	Status(r Root) Status
	Install(ctx context.Context, r Root) (changed bool, err error)
	Uninstall(ctx context.Context, r Root, all bool) (changed bool, err error)
}

// Preparer is a store that another store's change can reach: Debian's
// update-ca-certificates runs the ca-certificates-java hook, which imports
// the system anchor into Java's cacerts and rewrites the file. Prepare
// keeps, before any store changes, what Uninstall needs to give the store
// back as it was (Java: each keystore's bytes); it changes nothing in the
// store itself, and reports whether the store lacked the root anywhere
// (so that what trusts it afterwards was the other store's doing).
//
// PutBack is for an uninstall that leaves the store out (--stores system)
// while the other store's change reaches it anyway: wherever the store no
// longer holds the root, it gives back what Prepare kept, and what still
// holds the root is left for the store's own Uninstall. What was kept for
// another vouch root serves too, when its entries are the store's. It
// reports whether it changed anything.
type Preparer interface {
	Store
	Prepare(ctx context.Context, r Root) (lacking bool, err error)
	PutBack(ctx context.Context, r Root) (bool, error)
}

// Names lists every store name vouch knows, supported here or not.
var Names = []string{"system", "nss", "java", "windows"}

// Select picks the stores named in list (comma-separated, as mkcert's
// TRUST_STORES), or all available ones when list is empty. Naming a store
// that is not available is an error; leaving it out is not. goos says
// which store a browser's name belongs to, for the error.
func Select(list, goos string, available []Store) ([]Store, error) {
	if strings.TrimSpace(list) == "" {
		return available, nil
	}
	var out []Store
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		var found Store
		for _, s := range available {
			if s.Name() == name {
				found = s
			}
		}
		if found == nil {
			if !known(name) {
				if meant, ok := storeOf(name, goos); ok {
					return nil, fmt.Errorf("unknown store %q: did you mean %s? (known: %s)", name, meant, strings.Join(Names, ", "))
				}
				return nil, fmt.Errorf("unknown store %q (known: %s)", name, strings.Join(Names, ", "))
			}
			return nil, fmt.Errorf("the %s store is not supported in this build of vouch", name)
		}
		out = append(out, found)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no stores named in %q", list)
	}
	sort.SliceStable(out, func(i, j int) bool { return order(out[i].Name()) < order(out[j].Name()) })
	return out, nil
}

// storeOf is the store on goos that holds the roots of what users name
// instead of a store: Firefox keeps its own NSS database everywhere, while
// Chromium's kin read NSS on Linux and the system's store elsewhere.
func storeOf(name, goos string) (string, bool) {
	switch name {
	case "firefox", "librewolf", "nssdb", "certutil":
		return "nss", true
	case "chrome", "chromium", "brave", "edge", "vivaldi", "opera", "browser", "browsers":
		if goos == "linux" {
			return "nss", true
		}
		return "system", true
	case "jdk", "jre", "keytool", "cacerts":
		return "java", true
	case "os", "linux", "macos", "keychain", "ca-certificates":
		return "system", true
	}
	return "", false
}

func known(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

func order(name string) int {
	for i, n := range Names {
		if n == name {
			return i
		}
	}
	return len(Names)
}
