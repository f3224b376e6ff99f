package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/truststore"
)

// A CA folder deleted by hand (the way people reset mkcert) leaves its
// root trusted in every store it was installed in, with no CA left to
// name it by. The stores already tell vouch's entries for roots other than
// the one asked about (--all-vouch-roots takes those out), so asking them
// about a root that is in none of them lists exactly the roots left behind.

// noRoot is a root in no store: made in memory now, never written, so
// every vouch entry a store holds belongs to another root. The roots
// trusted for other people are kept, as for any --all-vouch-roots.
func (a *app) noRoot() (truststore.Root, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return truststore.Root{}, err
	}
	now := a.now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "vouch: no CA (in no store)"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return truststore.Root{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return truststore.Root{}, err
	}
	return a.keeping(truststore.Root{Cert: cert, PEM: certs.CertPEM(der)}), nil
}

// leftover is what leftBehind found: the entries of vouch roots the
// stores still hold, and the roots among them that another user made.
type leftover struct {
	entries []string
	// foreign are roots whose subject names another user, found in
	// the system store's anchors: on a machine several people use, theirs
	// to take out with their own vouch, never this user's --all-vouch-roots.
	foreign []*x509.Certificate
	owners  []string
}

// leftBehind lists, per store, the entries of vouch roots other than r
// (with r from noRoot, the roots whose CA folder is gone), and sets the
// ones another user made apart.
func (a *app) leftBehind(stores []truststore.Store, r truststore.Root) leftover {
	var lo leftover
	var stale, theirs []string
	for _, s := range stores {
		st := s.Status(r)
		if s.Name() == "system" {
			lo.foreign, lo.owners, theirs = a.foreignIn(st)
		}
		for _, e := range st.Stale {
			if !slices.Contains(theirs, e) {
				stale = append(stale, s.Name()+": "+e)
			}
		}
	}
	// Their NSS nicknames and Java aliases are named after the root.
	for _, e := range stale {
		if !heldBy(e, lo.foreign) {
			lo.entries = append(lo.entries, e)
		}
	}
	return lo
}

// foreignIn reads the system store's stale anchors for the roots another
// user's vouch made: the roots, those users, and the anchors.
func (a *app) foreignIn(sys truststore.Status) (roots []*x509.Certificate, owners, anchors []string) {
	for _, p := range sys.Stale {
		c, owner := a.anchorOwner(p)
		if c == nil || userOf(owner) == userOf(a.who()) {
			continue
		}
		roots, anchors = append(roots, c), append(anchors, p)
		if !slices.Contains(owners, owner) {
			owners = append(owners, owner)
		}
	}
	return roots, owners, anchors
}

// heldBy says whether an NSS or Java stale entry ("store: where: name")
// is one of roots', by the name each store gives a root.
func heldBy(e string, roots []*x509.Certificate) bool {
	return slices.ContainsFunc(roots, func(c *x509.Certificate) bool {
		return strings.HasSuffix(e, ": "+truststore.NSSNickname(c)) || strings.HasSuffix(e, ": "+truststore.JavaAlias(c)) ||
			strings.HasSuffix(e, ": debian:"+truststore.JavaAlias(c)+".pem") // Debian's hook's alias of its anchor
	})
}

// keepForeign adds to r.Keep the roots other users' vouch made, so that
// --all-vouch-roots takes out only this user's older roots, and says so.
// Only the system store's anchors tell whose a root is, so only it is asked.
func (a *app) keepForeign(stores []truststore.Store, r *truststore.Root) {
	for _, s := range stores {
		if s.Name() == "system" {
			var lo leftover
			lo.foreign, lo.owners, _ = a.foreignIn(s.Status(*r))
			a.leaveForeign(r, lo)
		}
	}
}

// notTheirs is keepForeign for the stores status has already asked (sts,
// with root): when the system store's stale anchors include roots another
// user's vouch made, it keeps those roots and asks again the stores whose
// stale entries hold them, so that only this user's own count as stale.
// It returns those users.
func (a *app) notTheirs(stores []truststore.Store, sts []truststore.Status, root *truststore.Root) []string {
	var foreign []*x509.Certificate
	var owners []string
	for i, s := range stores {
		if s.Name() == "system" {
			foreign, owners, _ = a.foreignIn(sts[i])
		}
	}
	if len(foreign) == 0 {
		return nil
	}
	root.Keep = append(root.Keep, foreign...)
	for i, s := range stores {
		if s.Name() == "system" || slices.ContainsFunc(sts[i].Stale, func(e string) bool { return heldBy(e, foreign) }) {
			sts[i] = s.Status(*root)
		}
	}
	return owners
}

// leaveForeign keeps the other users' roots lo found, and says so.
func (a *app) leaveForeign(r *truststore.Root, lo leftover) {
	r.Keep = append(r.Keep, lo.foreign...)
	if len(lo.owners) > 0 {
		a.infof("left alone: the vouch roots that %s made, theirs to take out", strings.Join(lo.owners, ", "))
	}
}

// userOf is the user in "user@host": the same user's roots from before a
// change of host name are still theirs.
func userOf(owner string) string {
	u, _, _ := strings.Cut(owner, "@")
	return u
}

// anchorOwner reads a system anchor and returns its root and the user@host
// vouch wrote into the root's subject; nil when it can't tell.
func (a *app) anchorOwner(path string) (*x509.Certificate, string) {
	data, err := os.ReadFile(filepath.Join(a.fsRoot(), path))
	if err != nil {
		return nil, ""
	}
	cs, err := certs.ParseCertificates(data)
	if err != nil || len(cs) != 1 || len(cs[0].Subject.OrganizationalUnit) != 1 {
		return nil, ""
	}
	return cs[0], cs[0].Subject.OrganizationalUnit[0]
}

// warnLeftBehind says which vouch roots the stores trust with no CA folder
// to uninstall them from, and how to take them out.
func (a *app) warnLeftBehind(dir string, lo leftover) {
	if len(lo.owners) > 0 {
		a.infof("the stores also trust vouch roots that %s made: theirs to take out (vouch uninstall, run by them), and left alone", strings.Join(lo.owners, ", "))
	}
	left := lo.entries
	if len(left) == 0 {
		return
	}
	a.warnf("there is no CA in %s, yet the stores still trust %d %s of vouch roots whose CA is gone (deleted, or made elsewhere): %s",
		dir, len(left), entryWord(len(left)), strings.Join(left, "; "))
	a.hintf("%s   (takes them out; the roots you trusted for other people stay)", a.vouchCmd("uninstall", "--all-vouch-roots"))
}

// uninstallLeftBehind is uninstall with no CA: with --all-vouch-roots it
// takes out every vouch root the stores hold but those trusted for other
// people; without, it says what is left and how to take it out.
func (a *app) uninstallLeftBehind(dir string, stores []truststore.Store, named, all bool) int {
	if all && !a.keptKnown() {
		return exitFail
	}
	r, err := a.noRoot()
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	lo := a.leftBehind(stores, r)
	if len(lo.entries) == 0 {
		a.warnLeftBehind(dir, lo)
		a.infof("there is no CA in %s, so nothing to uninstall", dir)
		return exitOK
	}
	if !all {
		a.warnLeftBehind(dir, lo)
		return exitOK
	}
	a.infof("there is no CA in %s; taking out the %d %s of vouch roots whose CA is gone", dir, len(lo.entries), entryWord(len(lo.entries)))
	a.leaveForeign(&r, lo)
	// With no CA folder to lock, the system store's lock alone; letting it
	// go also ends the interrupt guard uninstallFrom begins.
	defer a.lockSystem()()
	code, _, _ := a.uninstallFrom(stores, named, r, true)
	if code == exitOK {
		if still := a.leftBehind(stores, r); len(still.entries) > 0 {
			a.errorf("still there: %s", strings.Join(still.entries, "; "))
			return exitFail
		}
	}
	return code
}

// entryWord is "entry" or "entries", as n asks.
func entryWord(n int) string {
	if n == 1 {
		return "entry"
	}
	return "entries"
}
