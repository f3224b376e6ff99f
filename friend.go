package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/internal/fsinfo"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
	"github.com/vouchdev/vouch/truststore"
)

// The friend's side of sharing trust: vouch trust installs someone else's
// root once its fingerprint matches the one they read out, and vouch
// untrust takes it back out. The roots trusted this way are kept in the
// record (package record) in the user's state folder.

// sourceTimeout bounds fetching a root from a URL or a handshake.
const sourceTimeout = 15 * time.Second

func trustCommand() *command {
	return &command{
		name:    "trust",
		usage:   "SOURCE --fingerprint FP [--name LABEL] [--replace] [--allow-unconstrained] [--stores LIST]",
		summary: "trust someone else's root, once its fingerprint matches",
		help: `Trusts another person's root in every store, as vouch install does for
your own CA, but only when its SHA-256 fingerprint is the one they read
you (vouch export prints it; any of its forms is accepted, hex or words).

SOURCE is the root's file (PEM or DER; - reads it from stdin), a URL of
it (https:// or http://: the fingerprint, not the channel, is what makes
it safe), or host:port of their server, whose TLS handshake must include
the root.

Refused, with nothing installed: a fingerprint that does not match, more
than one certificate, a leaf or intermediate instead of the root, a
certificate that is not a CA, an expired root, and a root that could vouch
for sites that are not its owner's (no name constraints, a public suffix
such as com or co.uk, every IP address) unless --allow-unconstrained.

The root is recorded under LABEL (default: from its subject). Trusting a
new root under an existing --name is a rotation when the same owner made it
with the same limits: the old root stays trusted (relabelled
LABEL-<8 hex digits>) until vouch untrust, or is taken out at once with
--replace. Another owner's root, or another CA of the same owner's that
may vouch for other names, is refused under a label in use, unless
--replace.`,
		flags: func(fs *pflag.FlagSet) runner {
			fp := fs.String("fingerprint", "", "the root's SHA-256 `FP`, as the owner read it to you")
			name := fs.String("name", "", "the `LABEL` to remember it by (default: from its subject)")
			replace := fs.Bool("replace", false, "when LABEL already names another root, untrust that one")
			allow := fs.Bool("allow-unconstrained", false, "trust a root that could vouch for any site (dangerous)")
			stores := fs.String("stores", "", "comma-separated `LIST` of stores (default: all found)")
			return func(a *app, args []string) int {
				if len(args) > 1 && *fp != "" {
					// --fingerprint D4EF 5B22 …, unquoted: the shell made
					// each group an argument of its own.
					if whole, groups, ok := unquotedFingerprint(*fp, args); ok {
						a.errorf("the fingerprint was not quoted, so only its first group (%s) reached --fingerprint and the rest read as more sources", *fp)
						// The command as given, its other flags kept,
						// with the groups made one argument.
						noSource := len(groups) == len(args)
						argv := []string{"vouch"}
						for _, arg := range withoutFlags(a.argv, "fingerprint") {
							if i := slices.Index(groups, arg); i >= 0 {
								groups = slices.Delete(groups, i, i+1)
								continue
							}
							argv = append(argv, arg)
						}
						if noSource {
							// Every argument was a group.
							a.infof("and no SOURCE was given: the root's file, a URL of it, or host:port of the server")
							if i := slices.Index(argv, "trust"); i >= 0 {
								argv = slices.Insert(argv, i+1, "SOURCE")
							} else {
								argv = append(argv, "SOURCE")
							}
						}
						a.hintf("%s", platform.Cmd{Argv: append(argv, "--fingerprint", whole)})
						return exitUsage
					}
				}
				if len(args) != 1 {
					return a.usageError("trust", "give one SOURCE: a file, a URL or host:port")
				}
				a.rootOnStdin = args[0] == "-"
				return a.cmdTrust(args[0], *fp, *name, *replace, *allow, *stores)
			}
		},
	}
}

// unquotedFingerprint reads first (what reached --fingerprint) and the
// arguments after it as a fingerprint typed without quotes: all but one of
// args (the SOURCE, before the groups or after them), or all of them when
// no SOURCE was given. It returns the fingerprint as one string and the
// arguments that were its groups.
func unquotedFingerprint(first string, args []string) (whole string, groups []string, ok bool) {
	read := func(rest []string) bool {
		whole = strings.Join(append([]string{first}, rest...), " ")
		_, err := certs.ParseFingerprint(whole)
		return err == nil
	}
	for i := range args {
		if rest := slices.Delete(slices.Clone(args), i, i+1); read(rest) {
			return whole, rest, true
		}
	}
	if read(args) {
		return whole, slices.Clone(args), true
	}
	return "", nil, false
}

func untrustCommand() *command {
	return &command{
		name:    "untrust",
		usage:   "LABEL|FINGERPRINT [--stores LIST]",
		summary: "take a root trusted with vouch trust back out",
		help: `Takes a root trusted with vouch trust out of every store, then forgets it.
vouch status lists the roots trusted for others and their labels.`,
		flags: func(fs *pflag.FlagSet) runner {
			stores := fs.String("stores", "", "comma-separated `LIST` of stores (default: all found)")
			return func(a *app, args []string) int {
				if len(args) != 1 {
					return a.usageError("untrust", "give one LABEL or FINGERPRINT")
				}
				return a.cmdUntrust(args[0], *stores)
			}
		},
	}
}

func (a *app) stateDir() string { return platform.StateDir(a.goos, a.home, a.getenv) }

func (a *app) cmdTrust(source, fpFlag, name string, replace, allow bool, storeList string) int {
	if strings.TrimSpace(fpFlag) == "" {
		a.errorf("--fingerprint is required: vouch installs a root only when its fingerprint is the one its owner reads you")
		a.hintf("ask the owner to run vouch export and read you the fingerprint, then: vouch trust %s --fingerprint 'XXXX XXXX …'", source)
		return exitUsage
	}
	want, err := certs.ParseFingerprint(fpFlag)
	if err != nil {
		return a.usageError("trust", "--fingerprint: %v", err)
	}
	if name != "" {
		if err := checkLabel(name); err != nil {
			return a.usageError("trust", "--name: %v", err)
		}
	}
	stores, named, err := a.selectStores(storeList)
	if err != nil {
		return a.usageError("trust", "%v", err)
	}
	a.warnSudoHome("trust")

	cert, err := readRootFrom(context.Background(), source)
	if err != nil {
		a.errorf("%s: %v", source, err)
		return exitFail
	}
	if err := certs.CheckRoot(cert, a.now()); err != nil {
		a.errorf("%v; nothing was installed", err)
		return exitFail
	}
	got := certs.FingerprintOf(cert)
	if !got.Equal(want) {
		a.errorf("the fingerprint does not match; nothing was installed")
		fmt.Fprintf(a.stderr, "  the fingerprint you were given: %s\n  the fingerprint of the root:    %s\n", want.Voice(), got.Voice())
		a.infof("either the root is not the one its owner meant, or the fingerprint was misheard: ask them to read it again (vouch export prints it) before you trust anything")
		return exitFail
	}
	// again is this trust command for the hints: as given (--name,
	// --stores, --replace, --allow-unconstrained kept), the fingerprint as
	// one argument, label its --name, then extra flags.
	again := func(label string, extra ...string) string {
		argv := []string{"vouch", "trust", source, "--fingerprint", got.Hex()}
		if label != "" {
			argv = append(argv, "--name", label)
		}
		if storeList != "" && !slices.Contains(extra, "--stores") {
			argv = append(argv, "--stores", storeList)
		}
		for _, f := range []struct {
			on   bool
			flag string
		}{{replace, "--replace"}, {allow, "--allow-unconstrained"}} {
			if f.on && !slices.Contains(extra, f.flag) {
				argv = append(argv, f.flag)
			}
		}
		return platform.Cmd{Argv: append(argv, extra...)}.String()
	}
	limits := certs.LimitsOf(cert)
	if limits.Unconstrained() {
		if !allow {
			a.errorf("refused: this root could vouch for any site, your bank's included: %s; nothing was installed", strings.Join(limits.Wide, "; "))
			a.hintf("ask the owner for a root limited to their names (vouch install --permit NAME makes one), or, only if you trust them with every site you visit: %s", again(name, "--allow-unconstrained"))
			return exitFail
		}
		a.warnf("this root could impersonate ANY site (%s): whoever holds its key can read and change your traffic to your bank, your mail, everything; trusting it because you said --allow-unconstrained", strings.Join(limits.Wide, "; "))
	}
	if _, ca, err := a.loadCA(""); err == nil && certs.FingerprintOf(ca.Root).Equal(got) {
		a.errorf("this is your own CA's root; vouch install trusts it, vouch trust is for other people's roots")
		a.hintf("vouch install")
		return exitFail
	}

	a.infof("the fingerprint matches: %s", got.Voice())
	a.infof("root:          %s", certs.Subject(cert))
	a.infof("may vouch for: %s", limits.Describe())
	if len(limits.Local) > 0 {
		a.warnf("it may also vouch for names and addresses that exist on every private network (%s), so on your own network too", strings.Join(limits.Local, ", "))
	}
	if len(limits.Loose) > 0 {
		a.warnf("%s: no browser checks those names for a site, but a program that checks a certificate's email addresses or URIs (mail signing, some service-to-service TLS) would take them from this root", strings.Join(limits.Loose, "; "))
	}
	if !limits.Unconstrained() && !isVouchRoot(cert) {
		if reaches, feeds := a.javaReaches(stores, truststore.Root{Cert: cert}); reaches {
			a.warnf("java: Java applies no limits to a root it trusts, only to the CAs beneath it, so Java programs here would take whatever this root's key signs, for any site; a root vouch makes has its key thrown away once it has signed its one intermediate, but this one was not made by vouch: its limits hold in Java only if nobody kept that key (ask its owner)")
			// Leaving Java out: the system store too where its refresh
			// feeds Java (Debian's hook).
			without, why := "system,nss", "leaves Java out"
			if feeds {
				without, why = "nss", "leaves Java out, and the system store, which feeds Java here"
			}
			a.hintf("%s   (%s)", again(name, "--stores", without), why)
		}
	}
	a.infof("expires:       %s", cert.NotAfter.UTC().Format(time.DateOnly))

	book, unlock, err := record.Open(a.stateDir(), a.waitingFor(a.stateDir()))
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	defer unlock()
	defer a.lockSystem()()
	if r := book.ByFingerprint(got.Hex()); r != nil {
		a.infof("already trusted as %q since %s; nothing to record", r.Label, r.TrustedAt.Format(time.DateOnly))
		if name != "" && name != r.Label {
			a.infof("it keeps its label %q; to rename it, vouch untrust %s and trust it again with --name", r.Label, r.Label)
		}
		root := truststore.Root{Cert: cert, PEM: certs.CertPEM(cert.Raw), File: book.RootFile(r.Fingerprint), Keep: a.keptRoots(book)}
		if _, err := book.ReadRoot(r.Fingerprint); err != nil {
			// The record's copy, lost or damaged, is what untrust and
			// status need: the root just checked against its fingerprint
			// is it.
			path, werr := book.WriteRoot(cert)
			if werr != nil {
				a.errorf("%v; writing it again failed: %v", err, werr)
				return exitFail
			}
			a.infof("its copy in the record was missing or damaged; wrote it again to %s", path)
			root = truststore.Root{Cert: cert, PEM: certs.CertPEM(cert.Raw), File: path, Keep: a.keptRoots(book)}
		}
		code, _ := a.installIn(stores, named, root, sameCommand)
		return code
	}

	label := name
	if label == "" {
		label = friendLabel(cert, book)
	}
	entry := record.Root{
		Label: label, Fingerprint: got.Hex(), Subject: cert.Subject.String(), Source: recordedSource(source),
		TrustedAt: a.now().UTC().Truncate(time.Second), NotAfter: cert.NotAfter.UTC(), Permits: limits.Describe(),
	}
	before := append([]record.Root(nil), book.Roots...)
	var old *record.Root
	// The label in use in any case: untrust and status find a label in
	// any case, so "Pal" and "pal" are one label.
	if prev := book.Labelled(label); prev != nil {
		if name == "" {
			a.errorf("another root (fingerprint %s, trusted on %s) is already trusted as %q; nothing was installed", prev.FP().Pairs(), prev.TrustedAt.Format(time.DateOnly), prev.Label)
			a.hintf("if its owner made a new CA: %s; otherwise pick another label with --name", again(label))
			return exitFail
		}
		// The same label for someone else's root (two people both named
		// pi or ubuntu, whose exports both say --name pi) is no rotation:
		// the first root would be renamed, and the untrust line its owner
		// handed out would take the second one out. Nor is another CA of
		// the same owner's (two --only CAs, one per server, both exported
		// as --name alice): vouch rotate keeps a CA's limits, so a root
		// that may vouch for other names is a CA beside it, and taking
		// out the first root would break the server it serves.
		was, now := rootOwner(book, prev), ownerOf(cert)
		wasLimits, nowLimits := rootLimits(book, prev), limits.Describe()
		why := ""
		switch {
		case was != now:
			why = fmt.Sprintf("%q already names a root made by %s, and this one was made by %s, so it is not that root's successor", prev.Label, was, now)
		case wasLimits != nowLimits:
			why = fmt.Sprintf("%q already names another CA of %s's, which may vouch for %s; this one may vouch for %s, and vouch rotate keeps a CA's limits, so it is a CA beside that one, not its successor", prev.Label, was, wasLimits, nowLimits)
		}
		if why != "" && !replace {
			a.errorf("%s; nothing was installed", why)
			a.hintf("%s   (another label)", again(label+"-2"))
			a.hintf("%s   (if it does replace that root)", again(label, "--replace"))
			return exitFail
		}
		saved := *prev
		old = &saved
		entry.Replaces = old.Fingerprint
		prev.Label = old.Label + "-" + old.Fingerprint[:8]
	}
	path, err := book.WriteRoot(cert)
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	book.Add(entry)
	// The record is saved before the stores change, so a root a store
	// took is always one vouch untrust can find.
	if err := book.Save(); err != nil {
		book.DeleteRoot(entry.Fingerprint)
		a.errorf("%v", err)
		return exitFail
	}
	root, err := a.friendRoot(book, entry.Fingerprint, a.keptRoots(book))
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	root.File = path
	code, trusted := a.installIn(stores, named, root, sameCommand)
	if trusted == 0 {
		// Nothing took it: forget it again rather than list a root that
		// no store trusts.
		book.Roots = before
		if err := book.Save(); err == nil {
			book.DeleteRoot(entry.Fingerprint)
		}
		a.errorf("no store trusts the root, so it was not recorded")
		return exitFail
	}
	a.infof("trusted %q; vouch untrust %s takes it out again", label, label)
	if old == nil {
		return code
	}
	if !replace {
		a.infof("this replaces the root trusted as %q on %s, which stays trusted as %q until you run: vouch untrust %s", old.Label, old.TrustedAt.Format(time.DateOnly), old.Label+"-"+old.Fingerprint[:8], old.Fingerprint)
		return code
	}
	a.infof("taking out the root it replaces (%s)", old.Fingerprint)
	if c := a.untrust(book, stores, named, old.Fingerprint); c != exitOK {
		code = c
	}
	return code
}

// checkLabel: a label is typed on command lines, so it is short, has no
// spaces, and can't be mistaken for a fingerprint.
func checkLabel(s string) error {
	if len(s) > 64 {
		return fmt.Errorf("%q is longer than 64 characters", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@._+-", r)) {
			return fmt.Errorf("%q: a label may hold letters, digits and @ . _ + - only", s)
		}
	}
	if s == "" || s[0] == '-' {
		return fmt.Errorf("%q: a label starts with a letter or digit", s)
	}
	if _, err := certs.ParseFingerprint(s); err == nil {
		return fmt.Errorf("%q reads as a fingerprint; pick a label that does not", s)
	}
	return nil
}

// ownerOf is who made root c: a vouch root's "user@host", else its whole
// subject.
func ownerOf(c *x509.Certificate) string {
	if isVouchRoot(c) {
		return c.Subject.OrganizationalUnit[0]
	}
	return c.Subject.String()
}

// javaReaches says whether trusting a root in stores puts it in a Java
// keystore: the java store, with Java on the machine, or the system store
// where its refresh feeds Java (Debian's ca-certificates-java hook), which
// feeds says.
func (a *app) javaReaches(stores []truststore.Store, root truststore.Root) (reaches, feeds bool) {
	for _, s := range stores {
		switch s.Name() {
		case "java":
			if s.Status(root).State != truststore.NotPresent {
				reaches = true
			}
		case "system":
			if sys, ok := s.(*truststore.System); ok && sys.FeedsJava() {
				reaches, feeds = true, true
			}
		}
	}
	return reaches, feeds
}

// isVouchRoot says whether c's subject is a vouch CA's, whose OU names
// its owner.
func isVouchRoot(c *x509.Certificate) bool {
	return len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == "vouch local CA" && len(c.Subject.OrganizationalUnit) == 1
}

// rootOwner is ownerOf a recorded root, from its copy in the record, or
// from the subject recorded with it when the copy can't be read (a vouch
// root's OU=user@host in it).
func rootOwner(b *record.Book, r *record.Root) string {
	if c, err := b.ReadRoot(r.Fingerprint); err == nil {
		return ownerOf(c)
	}
	if strings.Contains(r.Subject, "O=vouch local CA") {
		for _, part := range strings.Split(r.Subject, ",") {
			if ou, ok := strings.CutPrefix(part, "OU="); ok {
				return ou
			}
		}
	}
	return r.Subject
}

// rootLimits is what a recorded root may vouch for, in LimitsOf's words:
// from its copy in the record, or as recorded when the copy can't be read.
func rootLimits(b *record.Book, r *record.Root) string {
	if c, err := b.ReadRoot(r.Fingerprint); err == nil {
		return certs.LimitsOf(c).Describe()
	}
	return r.Permits
}

// friendLabel names a root after its owner: a vouch root's "user@host",
// else its common name or organization, made fit for a command line and
// unique in the book.
func friendLabel(c *x509.Certificate, b *record.Book) string {
	s := c.Subject.CommonName
	switch {
	case isVouchRoot(c):
		s = c.Subject.OrganizationalUnit[0]
	case s == "" && len(c.Subject.Organization) > 0:
		s = c.Subject.Organization[0]
	}
	var out []rune
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("@._+", r) {
			out = append(out, r)
		} else if len(out) > 0 && out[len(out)-1] != '-' {
			out = append(out, '-')
		}
	}
	label := strings.Trim(string(out), "-")
	if len(label) > 40 {
		label = strings.TrimRight(label[:40], "-")
	}
	if label == "" || checkLabel(label) != nil {
		label = "root-" + certs.Fingerprint(c)[:8]
	}
	return label
}

// friendRoot is a recorded root as the stores take it, keeping the user's
// own CA and every other recorded root.
func (a *app) friendRoot(b *record.Book, fp string, keep []*x509.Certificate) (truststore.Root, error) {
	c, err := b.ReadRoot(fp)
	if err != nil {
		// The record's copy is gone or damaged: the root is the same
		// wherever it is read from, so the file it was trusted from, or
		// vouch's own anchor in the system store, serves as well when it
		// has the fingerprint.
		lost, from := a.lostRoot(b, fp)
		if lost == nil {
			return truststore.Root{}, err
		}
		label := fp
		if r := b.ByFingerprint(fp); r != nil {
			label = r.Label
		}
		a.warnf("%v; read the root of %q from %s instead", fsinfo.Bare(err), label, from)
		return truststore.Root{Cert: lost, PEM: certs.CertPEM(lost.Raw), File: from, Keep: keep}, nil
	}
	return truststore.Root{Cert: c, PEM: certs.CertPEM(c.Raw), File: b.RootFile(fp), Keep: keep}, nil
}

// lostRoot finds the recorded root with fingerprint fp outside the
// record's copy: in the file it was trusted from (when that was a local
// file), or in vouch's anchor for it in the system store; nil when
// neither holds it.
func (a *app) lostRoot(b *record.Book, fp string) (*x509.Certificate, string) {
	var candidates []string
	if r := b.ByFingerprint(fp); r != nil && filepath.IsAbs(r.Source) {
		candidates = append(candidates, r.Source)
	}
	if sys, ok := a.systemStore(a.runner()).(*truststore.System); ok && platform.AnchorNameOf(fp) != "" {
		if ls, ok := sys.Sys.(*platform.LinuxSystem); ok {
			if l, err := ls.Layout(); err == nil {
				candidates = append(candidates, filepath.Join(a.fsRoot(), l.AnchorDir, platform.AnchorNameOf(fp)))
			}
		}
	}
	for _, p := range candidates {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if c, err := certs.ReadRoot(data); err == nil && certs.Fingerprint(c) == fp {
			return c, p
		}
	}
	return nil, ""
}

// keptRoots are the roots no store may take for another vouch root's stale
// entry: the user's own CA's and every root in the book. Read once per
// command, however many roots it looks at.
func (a *app) keptRoots(b *record.Book) []*x509.Certificate {
	var keep []*x509.Certificate
	if _, ca, err := a.loadCA(""); err == nil {
		keep = append(keep, ca.Root)
	}
	return append(keep, record.KeptRoots(b.Dir)...)
}

// warnUnrecorded names the roots whose copies are in the record's roots
// folder but that the record does not list (it was moved aside, damaged):
// still trusted, kept from --all-vouch-roots, but out of sight of status
// and untrust until trusted again, which the hint does.
func (a *app) warnUnrecorded(book *record.Book, lost []*x509.Certificate) {
	for _, c := range lost {
		fp := certs.Fingerprint(c)
		a.warnf("the roots folder holds %s's root (fingerprint %s), which the record does not list: status and untrust can't see it", ownerOf(c), fp)
		a.hintf("%s   (records it again)", platform.Cmd{Argv: []string{"vouch", "trust", book.RootFile(fp), "--fingerprint", fp}})
	}
}

// keeping adds to the user's own root the roots trusted for others, which
// the stores must then not take for stale roots of the user's own.
func (a *app) keeping(r truststore.Root) truststore.Root {
	// The roots folder, not the record: a record moved aside (damaged)
	// must not let --all-vouch-roots take friends' roots for stale ones.
	r.Keep = append(r.Keep, record.KeptRoots(a.stateDir())...)
	return r
}

// keptKnown reports whether the record of roots trusted for others can be
// read; uninstall --all-vouch-roots must not run blind to them.
func (a *app) keptKnown() bool {
	b, err := record.Load(a.stateDir())
	if err != nil {
		a.errorf("can't tell which roots you trusted for other people, so --all-vouch-roots could remove them: %v", err)
		return false
	}
	for _, r := range b.Roots {
		if _, err := b.ReadRoot(r.Fingerprint); err != nil {
			a.errorf("%v; --all-vouch-roots could remove that root", err)
			return false
		}
	}
	return true
}

func (a *app) cmdUntrust(which, storeList string) int {
	stores, named, err := a.selectStores(storeList)
	if err != nil {
		return a.usageError("untrust", "%v", err)
	}
	a.warnSudoHome("untrust")
	book, unlock, err := record.Open(a.stateDir(), a.waitingFor(a.stateDir()))
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	defer unlock()
	defer a.lockSystem()()
	r, err := book.Find(which)
	if err != nil {
		a.errorf("%v", err)
		a.hintf("vouch status")
		return exitFail
	}
	return a.untrust(book, stores, named, r.Fingerprint)
}

// untrust takes the recorded root out of every store and, when that
// worked, forgets it; when a store failed it stays recorded, so that
// vouch untrust can try again. (A store that holds the root through an
// entry vouch did not make is named with a warning, and left as it is.)
func (a *app) untrust(book *record.Book, stores []truststore.Store, named bool, fp string) int {
	label := book.ByFingerprint(fp).Label
	root, err := a.friendRoot(book, fp, a.keptRoots(book))
	if err != nil {
		a.errorf("%v", err)
		a.hintf("with the root's file from its owner, vouch trust writes the copy again: %s, then: vouch untrust %s", platform.Cmd{Argv: []string{"vouch", "trust", "ROOT_FILE", "--fingerprint", fp}}, label)
		return exitFail
	}
	code, held, _ := a.uninstallFrom(stores, named, root, false)
	if code != exitOK {
		a.errorf("%q stays recorded, since not every store let go of it; run vouch untrust %s again once that is fixed", label, label)
		return code
	}
	// --stores named only some: while a store left out still trusts the
	// root, the record keeps it, so that untrust can take it out there.
	var still []string
	for _, s := range a.leftOut(stores) {
		if s.Status(root).State == truststore.Trusted {
			still = append(still, s.Name())
		}
	}
	if len(still) > 0 {
		a.infof("%q stays recorded, since a store left out still trusts it (%s); %s takes it out there too", label, strings.Join(still, ", "), platform.Cmd{Argv: []string{"vouch", "untrust", label}})
		return exitOK
	}
	book.Remove(fp)
	if err := book.Save(); err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	if err := book.DeleteRoot(fp); err != nil {
		a.warnf("can't delete %s: %v", book.RootFile(fp), err)
	}
	if held {
		a.infof("no longer recorded: %q (fingerprint %s); what vouch added is out, but the entries named above still trust it until you take them out", label, fp)
		return exitOK
	}
	a.infof("no longer trusted: %q (fingerprint %s)", label, fp)
	return exitOK
}

// readRootFrom reads the root SOURCE names: an http(s) URL, a file, or
// host:port, in that order of precedence (a file named like host:port is
// a file).
func readRootFrom(ctx context.Context, source string) (*x509.Certificate, error) {
	lower := strings.ToLower(source)
	switch {
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
		return fetchRoot(ctx, source)
	case strings.Contains(source, "://"):
		return nil, errors.New("not a file, and only https:// and http:// URLs are read")
	}
	if st, err := os.Stat(source); err == nil || source == "-" {
		if source != "-" && st.IsDir() {
			return nil, errors.New("is a folder, not a certificate file")
		}
		// "-" is stdin (a root pasted, or piped from curl).
		f := os.Stdin
		if source != "-" {
			if f, err = os.Open(source); err != nil {
				return nil, err
			}
			defer f.Close()
		}
		data, err := io.ReadAll(io.LimitReader(f, certs.MaxRootSize+1))
		if err != nil {
			return nil, err
		}
		return certs.ReadRoot(data)
	}
	if host, port, err := net.SplitHostPort(source); err == nil && host != "" && validPort(port) {
		return handshakeRoot(host, port)
	}
	return nil, errors.New("no such file, and not an https:// URL or host:port")
}

// recordedSource is where a root came from, as the record keeps it: a
// file by its absolute path (status may run from another folder), and a
// URL or host:port as given. A stream (/dev/stdin, a pipe) has no place
// to name again, and is kept as given.
func recordedSource(source string) string {
	if source == "-" {
		return "stdin"
	}
	if st, err := os.Stat(source); err == nil && st.Mode().IsRegular() && !strings.HasPrefix(source, "/dev/") {
		if abs, err := filepath.Abs(source); err == nil {
			return abs
		}
	}
	return source
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

// insecureTLS: the server's certificate is not verified, and need not be:
// it is usually signed by the very root being fetched, which is not
// trusted yet. What vouch trusts is checked by its fingerprint instead.
func insecureTLS(host string) *tls.Config {
	c := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}
	if net.ParseIP(host) == nil {
		c.ServerName = host
	}
	return c
}

func fetchRoot(ctx context.Context, url string) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, sourceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyFromEnvironment,
		TLSClientConfig: insecureTLS(req.URL.Hostname()),
	}}
	resp, err := client.Do(req)
	if err != nil {
		// The URL of a server rather than of the root's file (a TLS
		// server that is no web server answers EOF): host:port takes
		// the root from its handshake.
		hint := ""
		var dns *net.DNSError
		var op *net.OpError
		unreached := errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial"
		if t, terr := parseCheckTarget(url); terr == nil && !unreached { // https, and it answered, but not as a web server
			hint = "; to take the root from the server's handshake instead, give " + t.String()
		}
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named already
		}
		return nil, fmt.Errorf("can't fetch it: %v%s", err, hint)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, certs.MaxRootSize+1))
	if err != nil {
		return nil, err
	}
	c, err := certs.ReadRoot(data)
	if err != nil {
		if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
			return nil, fmt.Errorf("%v (the page is HTML: give the URL of the root's file itself, or host:port to take the root from the server's handshake)", err)
		}
		return nil, err
	}
	return c, nil
}

func handshakeRoot(host, port string) (*x509.Certificate, error) {
	presented, err := fetchChain(checkTarget{Host: host, Port: port}, sourceTimeout)
	if err != nil {
		return nil, err
	}
	var chain [][]byte
	for _, c := range presented {
		chain = append(chain, c.Raw)
	}
	return certs.PickRoot(chain)
}

// otherJSON is one root trusted for someone else, in vouch status --json.
type otherJSON struct {
	Label             string    `json:"label"`
	FingerprintSHA256 string    `json:"fingerprint_sha256"`
	Subject           string    `json:"subject"`
	Source            string    `json:"source"`
	TrustedAt         time.Time `json:"trusted_at"`
	NotAfter          time.Time `json:"not_after"`
	Permits           string    `json:"permits"`
	Replaces          string    `json:"replaces,omitempty"`
	// Expired: the root has ended, so no client takes it, whatever the
	// stores hold.
	Expired bool                `json:"expired,omitempty"`
	Stores  []truststore.Status `json:"stores"`
}

// bookRoot is a root of the record, read back once per command.
type bookRoot struct {
	record.Root
	root truststore.Root // Cert nil when err
	err  error
}

// readBook reads back every root in the record, once.
func (a *app) readBook(b *record.Book) []bookRoot {
	var out []bookRoot
	for _, r := range b.Roots {
		br := bookRoot{Root: r}
		br.root, br.err = a.friendRoot(b, r.Fingerprint, nil)
		if br.err == nil && br.root.File != b.RootFile(r.Fingerprint) {
			// Read from elsewhere (friendRoot said where): trusting it
			// again from there writes the record's copy back.
			a.hintf("%s   (writes the record's copy again)", platform.Cmd{Argv: []string{"vouch", "trust", br.root.File, "--fingerprint", r.Fingerprint, "--name", r.Label}})
		}
		out = append(out, br)
	}
	return out
}

// othersStatus asks every store about each root trusted for others (the
// record's, read once by status, which also keeps them from its own
// root's stale ones); keep are the roots no store may call stale: the
// user's own and these. A root some store asked does not trust, or the
// record unread (bookErr), clears *trusted.
func (a *app) othersStatus(stores []truststore.Store, named bool, trusted *bool, roots []bookRoot, bookErr error, keep []*x509.Certificate) []otherJSON {
	out := []otherJSON{}
	if bookErr != nil {
		a.warnf("can't read the roots you trusted for others: %v", bookErr)
		*trusted = false
		return out
	}
	for _, br := range roots {
		r := br.Root
		o := otherJSON{
			Label: r.Label, Subject: r.Subject, Source: r.Source, TrustedAt: r.TrustedAt,
			NotAfter: r.NotAfter, Permits: r.Permits, Replaces: r.Replaces, Stores: []truststore.Status{},
		}
		if fp, err := certs.ParseFingerprint(r.Fingerprint); err == nil {
			o.FingerprintSHA256 = fp.Voice()
		}
		if br.err != nil {
			a.warnf("%q: %v", r.Label, br.err)
			*trusted = false
			out = append(out, o)
			continue
		}
		root := br.root
		root.Keep = keep
		// What puts this root back, or takes it out, is its own trust and
		// untrust, never install (which would make the user a CA).
		root.PutBack = platform.Cmd{Argv: []string{"vouch", "trust", root.File, "--fingerprint", r.Fingerprint, "--name", r.Label}}.String()
		root.TakeOut = platform.Cmd{Argv: []string{"vouch", "untrust", r.Label}}.String()
		if end := root.Cert.NotAfter; !a.now().Before(end) {
			o.Expired, *trusted = true, false
			a.errorf("%q: this root %s", r.Label, endedWhatever(end))
			a.hintf("its owner makes a new one with vouch rotate; trust that one with vouch trust, and take this one out with %s", platform.Cmd{Argv: []string{"vouch", "untrust", r.Label}})
		}
		for _, s := range stores {
			st := s.Status(root)
			st.Stale = nil // other vouch roots are the user's own CA's business
			if skippable(s, st, named) {
				continue
			}
			o.Stores = append(o.Stores, st)
			if st.State != truststore.Trusted {
				*trusted = false
			}
		}
		out = append(out, o)
	}
	return out
}

func (a *app) printOthers(others []otherJSON) {
	if len(others) == 0 {
		return
	}
	w := a.stdout
	fmt.Fprintf(w, "\ntrusted for others (vouch untrust LABEL takes one out):\n")
	for _, o := range others {
		fmt.Fprintf(w, "%-15s SHA-256 %s\n", o.Label, o.FingerprintSHA256)
		fmt.Fprintf(w, "%-15s %s\n", "  subject", o.Subject)
		fmt.Fprintf(w, "%-15s %s\n", "  from", o.Source)
		fmt.Fprintf(w, "%-15s %s\n", "  trusted on", o.TrustedAt.Format(time.DateOnly))
		fmt.Fprintf(w, "%-15s %s\n", "  expires", o.NotAfter.Format(time.DateOnly))
		fmt.Fprintf(w, "%-15s %s\n", "  may vouch for", o.Permits)
		if o.Replaces != "" {
			fmt.Fprintf(w, "%-15s %s\n", "  replaces", o.Replaces)
		}
		for _, s := range o.Stores {
			fmt.Fprintf(w, "  %-13s %s: %s\n", s.Store, strings.ToUpper(string(s.State)), s.Reason)
		}
	}
}
