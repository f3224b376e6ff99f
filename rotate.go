package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/truststore"
)

func rotateCommand() *command {
	return &command{
		name:    "rotate",
		usage:   "[--caroot DIR] [--stores LIST]",
		summary: "replace the CA with a new one for the same names, ahead of its expiry",
		help: `Makes a new CA that may vouch for the same names as the current one (its
root key, as always, never written), trusts its root in each store that
trusts the old one (or in the stores --stores names), and prints what your
friends need to trust it: the new fingerprint, read aloud or pasted, and
the command they run. Where the old root was not trusted, the new one is
not either: "vouch install" trusts it there.

The old CA is kept, whole, in the CA folder under retired/DATE-FINGERPRINT,
and its root stays trusted on this machine, so certificates it issued keep
working while you move your servers over. When none uses it any more:
vouch uninstall --caroot that folder --purge.

An mkcert CA is not rotated: make a new vouch CA with
"vouch --caroot NEW_FOLDER install" instead.`,
		flags: func(fs *pflag.FlagSet) runner {
			caroot := fs.String("caroot", "", "the CA folder")
			stores := fs.String("stores", "", "comma-separated `LIST` of stores to trust the new root in (default: those that trust the old root)")
			return func(a *app, args []string) int {
				if len(args) > 0 {
					return a.usageError("rotate", "unexpected argument %q", args[0])
				}
				return a.cmdRotate(*caroot, *stores)
			}
		},
	}
}

func (a *app) cmdRotate(caroot, storeList string) int {
	stores, named, err := a.selectStores(storeList)
	if err != nil {
		return a.usageError("rotate", "%v", err)
	}
	if a.refuseSudo("rotate", caroot, false) {
		return exitFail
	}
	dir, _, err := a.caroot(caroot)
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	old, fresh, retired, err := certs.Rotate(dir, certs.CreateOptions{Owner: a.who(), Now: a.now, Waiting: a.waitingFor(dir)})
	switch {
	case errors.Is(err, certs.ErrNoCA):
		a.errorf("there is no CA in %s to rotate", dir)
		a.hintf("%s", a.vouchCmd("install"))
		return exitFail
	case errors.Is(err, certs.ErrAdopted):
		a.errorf("the CA in %s is mkcert's: its root key is on disk and it has no name constraints; vouch rotates only CAs it made", dir)
		a.hintf("vouch --caroot NEW_FOLDER install   (a new vouch CA, limited to local names)")
		return exitFail
	case err != nil:
		a.errorf("%v", err)
		return exitFail
	}
	a.infof("retired the old CA (fingerprint %s, valid until %s) to %s", certs.FingerprintOf(old.Root).Voice(), day(old.Root.NotAfter), retired)
	a.infof("made a new CA in %s; it may vouch for %s", dir, fresh.Constraints.Describe())
	a.warnRisky(fresh)

	code := a.trustRotated(dir, stores, named, rootOf(old), a.keeping(rootOf(fresh)))
	printRootFacts(a.stdout, fresh.Root, filepath.Join(dir, certs.RootCertFile), fresh.Constraints.Describe(), fresh.Unconstrained(), a.vouchCmd("export", "--force"))
	a.hintf("once your friends trust the new root, issue new certificates for your servers: %s", a.vouchCmd("HOST..."))
	a.hintf("when no server uses the old CA any more: %s", platform.Cmd{Argv: []string{"vouch", "uninstall", "--caroot", retired, "--purge"}})
	return code
}

// rotateWithin is how close to its end a CA makes vouch suggest vouch
// rotate: every certificate it issued, and every friend's trust in it,
// end with it.
const rotateWithin = 90 * 24 * time.Hour

// rotateHint gives the command that puts a new CA in ca's place.
func (a *app) rotateHint(ca *certs.CA) {
	if ca.Adopted {
		a.hintf("vouch --caroot NEW_FOLDER install   (a new vouch CA, limited to local names; vouch rotates only CAs it made)")
		return
	}
	a.hintf("%s   (a new CA, trusted wherever this one is)", a.vouchCmd("rotate"))
}

// warnExpiry warns, with the command that replaces it, when the CA has
// ended or ends within rotateWithin: the certificates it issued stop
// working then, and nothing on the way says why but a date.
func (a *app) warnExpiry(ca *certs.CA) { a.noteExpiry(ca, false) }

// endedWhatever says a root's end makes the stores' trust in it moot.
func endedWhatever(end time.Time) string {
	return fmt.Sprintf("expired on %s: clients reject every certificate it issued, whatever the stores hold", day(end))
}

// noteExpiry is warnExpiry, and reports whether the CA has ended; for
// status (fails), whose exit an ended CA decides, that is an error.
func (a *app) noteExpiry(ca *certs.CA, fails bool) (ended bool) {
	end := ca.End()
	left := end.Sub(a.now())
	switch {
	case left <= 0 && fails:
		a.errorf("this CA %s", endedWhatever(end))
	case left <= 0:
		a.warnf("this CA expired on %s: clients reject every certificate it issued, and it can issue no more", day(end))
	case left < rotateWithin:
		a.warnf("this CA expires on %s, %s: every certificate it issued stops working then", day(end), inDays(left))
	default:
		return false
	}
	a.rotateHint(ca)
	return left <= 0
}

// trustRotated trusts the new root where the old one is trusted, so that
// rotating changes no store the user kept the old root out of; stores named
// with --stores (or TRUST_STORES) get it whatever held the old one.
func (a *app) trustRotated(dir string, stores []truststore.Store, named bool, old, fresh truststore.Root) int {
	if !named {
		stores = slices.DeleteFunc(stores, func(s truststore.Store) bool {
			return s.Status(old).State != truststore.Trusted
		})
		if len(stores) == 0 {
			a.infof("the old root is trusted in no store on this machine, so the new one is left out of them too")
			a.hintf("%s   (to trust the new root on this machine)", a.vouchCmd("install"))
			return exitOK
		}
		names := make([]string, len(stores))
		for i, s := range stores {
			names[i] = s.Name()
		}
		a.infof("trusting the new root where the old one is trusted: %s", strings.Join(names, ", "))
	}
	unlock, ok := a.lockStores(dir)
	if !ok {
		return exitFail
	}
	defer unlock()
	code, _ := a.installIn(stores, named, fresh, a.vouchCmd("install"))
	if code != exitOK {
		a.errorf("the new CA is made, but trusting it here failed (above)")
		a.hintf("%s", a.vouchCmd("install"))
	}
	return code
}

// printRootFacts prints what a friend needs to trust a root: its
// fingerprint in both spoken forms, what it may vouch for, its expiry and
// the command to run. vouch export prints the same facts; after both are
// merged, rotate should call export's printer instead. An unconstrained
// root's command carries --allow-unconstrained, without which trust refuses
// it; export is the command that remakes the invitation page, with the
// --caroot given, so that pasted elsewhere it exports this CA and no other.
func printRootFacts(w io.Writer, root *x509.Certificate, file, permits string, unconstrained bool, export string) {
	fp := certs.FingerprintOf(root)
	fmt.Fprintf(w, "root           %s\n", root.Subject)
	fmt.Fprintf(w, "root file      %s\n", file)
	fmt.Fprintf(w, "fingerprint    SHA-256 %s\n", fp.Voice())
	fmt.Fprintf(w, "in words       %s\n", fp.Words())
	fmt.Fprintf(w, "may vouch for  %s\n", permits)
	fmt.Fprintf(w, "expires        %s\n", root.NotAfter.UTC().Format(time.DateOnly))
	fmt.Fprintf(w, "\nSend the root file to each friend, read them the fingerprint over a channel\n")
	fmt.Fprintf(w, "you both trust (in person, a call), and have them run, with the same --name\n")
	fmt.Fprintf(w, "they gave your old root:\n\n")
	fmt.Fprintf(w, "    %s\n", friendCommand(filepath.Base(file), fp, "LABEL", unconstrained))
	fmt.Fprintf(w, "\nFor a new invitation page with these facts: %s\n", export)
}
