package truststore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/vouchdev/vouch/platform"
)

// javaStorePass is the password of every JDK's cacerts, and the one keytool
// and mkcert use for them.
const javaStorePass = "changeit"

// Java is the cacerts keystore of every JDK and JRE on the machine, taken
// as one store: Status is trusted only when every keystore trusts the root,
// and Checked carries one line per keystore. A keystore several JDKs share
// (Debian's /etc/ssl/certs/java/cacerts) counts, and is changed, once.
//
// Status reads the keystores in Go (JKS and PKCS#12) and starts no JVM.
// Install and Uninstall change a keystore only with the keytool of a JDK
// that reads it, through Runner, as root when the file can't be replaced
// by this process.
type Java struct {
	Search platform.JavaSearch
	Runner platform.Runner
	// StateDir is where Install keeps each keystore's bytes from before it
	// added the root, so that Uninstall can put them back exactly; "" keeps
	// nothing, and Uninstall then deletes entries with keytool.
	StateDir string
	// CanReplace reports whether a keystore can be changed without root;
	// nil means platform.CanReplace.
	CanReplace func(path string) bool
}

// NewJava returns the Java store for the machine search describes. Commands
// go through r; stateDir is vouch's state folder (platform.StateDir), of
// which it uses the subfolder "java".
func NewJava(search platform.JavaSearch, r platform.Runner, stateDir string) *Java {
	return &Java{Search: search, Runner: r, StateDir: stateDir}
}

func (j *Java) Name() string { return "java" }

// JavaAlias is the alias vouch gives the root in a keystore: unique per
// root, like the system store's anchor name.
func JavaAlias(root *x509.Certificate) string {
	return javaAliasOf(root.Raw)
}

// javaAliasOf is JavaAlias for a certificate's DER bytes.
func javaAliasOf(der []byte) string {
	sum := sha256.Sum256(der)
	return fmt.Sprintf("vouch-%x", sum[:8])
}

// vouchAliasName is the root's vouch alias (JavaAlias, vouch-<16 hex>)
// that alias is one of, or "": vouch's own, or the one Debian's hook gives
// the root's system anchor (debian:vouch-<16 hex>.pem).
func vouchAliasName(alias string) string {
	if rest, ok := strings.CutPrefix(alias, "debian:"); ok {
		if alias, ok = strings.CutSuffix(rest, ".pem"); !ok {
			return ""
		}
	}
	hexPart, ok := strings.CutPrefix(alias, "vouch-")
	if !ok || len(hexPart) != 16 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return ""
	}
	return alias
}

// Keystores finds the keystores of every JDK on the machine. On macOS it
// also asks /usr/libexec/java_home (not a JVM) which JDKs are registered.
func (j *Java) Keystores(ctx context.Context) []platform.JavaKeystore {
	s := j.Search
	if j.goos() == "darwin" && j.Runner != nil {
		// java_home exits 1 when no JDK is registered; the folders searched
		// anyway cover the usual places, so its failure only means fewer
		// homes to look at.
		if out, err := j.Runner.Run(ctx, platform.MacJavaHomeCmd()); err == nil {
			s.Homes = append(append([]string(nil), s.Homes...), platform.MacJavaHomes(out)...)
		}
	}
	s.Recorded = j.recordedHomes()
	return platform.FindJava(s)
}

// recordedHomes are the JDK homes of every keystore vouch keeps a copy of:
// those its installs changed, which uninstall must reach even when the
// search no longer finds them.
func (j *Java) recordedHomes() []string {
	if j.StateDir == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(j.StateDir, "java", "*-homes"))
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, h := range strings.Split(string(data), "\n") {
			if h != "" && filepath.IsAbs(h) && !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// homesPath names, beside the copies of the keystore at path, the file
// listing the JDK homes it was found through.
func (j *Java) homesPath(path string) string {
	prefix := j.backupPrefix(path)
	if prefix == "" {
		return ""
	}
	return prefix + "homes"
}

// recordHomes writes k's homes beside its copies.
func (j *Java) recordHomes(k platform.JavaKeystore) error {
	p := j.homesPath(k.Path)
	if p == "" {
		return nil
	}
	var b strings.Builder
	for _, h := range k.Homes {
		b.WriteString(h.Dir + "\n")
	}
	if old, err := os.ReadFile(p); err == nil && string(old) == b.String() {
		return nil
	}
	if err := platform.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("failed to note where it was found in %s: %w", p, err)
	}
	return nil
}

// forgetHomes drops the list of homes of the keystore at path once no
// copy of it is left.
func (j *Java) forgetHomes(path string) {
	prefix := j.backupPrefix(path)
	if prefix == "" {
		return
	}
	if left, _ := filepath.Glob(prefix + "vouch-*.cacerts"); len(left) == 0 {
		os.Remove(prefix + "homes")
	}
}

func (j *Java) notFound() error {
	if missing := platform.FindJavaWithoutStore(j.Search); len(missing) > 0 {
		return noStoreError(missing)
	}
	err := fmt.Errorf("no Java found: looked in %s", strings.Join(platform.JavaLookedIn(j.Search), ", "))
	if why := j.Search.UnusedJavaHome(nil); why != "" {
		err = fmt.Errorf("%w; %s", err, why)
	}
	return err
}

// noStoreError says that Java is there but has no trust store, and what
// rebuilds it where the system store's refresh writes it.
func noStoreError(missing []platform.JavaNoStore) error {
	m := missing[0]
	rel, err := filepath.Rel(m.Home.Dir, m.Path)
	if err != nil {
		rel = m.Path
	}
	where := "its " + rel + " is missing"
	if m.Target != "" {
		where = fmt.Sprintf("its %s leads to %s, which is missing", rel, m.Target)
	}
	var others []string
	for _, o := range missing[1:] {
		others = append(others, o.Home.Dir)
	}
	if len(others) > 0 {
		where += fmt.Sprintf(" (%s: the same)", strings.Join(others, ", "))
	}
	fix := "reinstall that JDK, or point $JAVA_HOME at one with its cacerts"
	switch generatedBy(m.Target) {
	case debianHook:
		fix = "sudo update-ca-certificates rebuilds it (Debian's Java hook), with the roots the system store trusts"
	case fedoraExtract:
		fix = "sudo update-ca-trust extract rebuilds it, with the roots the system store trusts"
	}
	return fmt.Errorf("the Java in %s has no trust store: %s; %s", m.Home.Dir, where, fix)
}

func (j *Java) canReplace(path string) bool {
	if j.CanReplace != nil {
		return j.CanReplace(path)
	}
	return platform.CanReplace(path)
}

// ksEntry is one keystore entry: a trusted certificate, or a key with its
// chain (which Java never takes as a trust anchor).
type ksEntry struct {
	Alias   string
	Trusted bool
	Certs   [][]byte
}

// keystoreFile is a keystore as read in Go. PKCS#12 is read with
// go-pkcs12, which gives the certificates but not their aliases: Entries
// then have empty aliases and Aliases is false.
type keystoreFile struct {
	Format  string // "JKS" or "PKCS12", as keytool's -storetype names them
	Entries []ksEntry
	Aliases bool
}

// holders are the entries that make Java trust root: trusted-certificate
// entries holding exactly its certificate.
func (k *keystoreFile) holders(root *x509.Certificate) []ksEntry {
	var out []ksEntry
	for _, e := range k.Entries {
		if e.Trusted && len(e.Certs) == 1 && bytes.Equal(e.Certs[0], root.Raw) {
			out = append(out, e)
		}
	}
	return out
}

// stale are the aliases of other vouch roots, vouch's own and those
// Debian's hook made from their system anchors, except those r keeps.
func (k *keystoreFile) stale(r Root) []string {
	var out []string
	own := JavaAlias(r.Cert)
	for _, e := range k.Entries {
		// The kept roots' aliases (a hash each) only for vouch's entries.
		name := vouchAliasName(e.Alias)
		if !e.Trusted || name == "" || name == own {
			continue
		}
		if !r.keeps(func(c *x509.Certificate) bool {
			return JavaAlias(c) == name || (len(e.Certs) == 1 && bytes.Equal(e.Certs[0], c.Raw))
		}) {
			out = append(out, e.Alias)
		}
	}
	return out
}

// maxKeystore bounds what vouch reads as a keystore; a JDK's cacerts is
// about 200 KB.
const maxKeystore = 64 << 20

func readKeystore(path string) ([]byte, *keystoreFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() > maxKeystore {
		return nil, nil, fmt.Errorf("%s is %d bytes, too big for a keystore", path, fi.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	ks, err := parseKeystore(data)
	if wp := (*wrongPasswordError)(nil); errors.As(err, &wp) {
		wp.path = path
	}
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read %s: %w%s", path, err, remakeHint(path))
	}
	return data, ks, nil
}

// remakeHint says how to make anew a keystore that can't be read, when the
// system store's refresh generates it from the system store's roots.
// Debian's Java hook fails on a damaged one, and leaves its package
// half-configured: the keystore goes, dpkg finishes the package (which
// writes the keystore with only the roots it had queued), and a fresh
// refresh puts in every root. Fedora's extract overwrites. Other keystores
// come with their JDK: "" for those.
func remakeHint(path string) string {
	switch generatedBy(path) {
	case debianHook:
		return fmt.Sprintf("; Debian's Java hook makes this file from the roots the system store trusts, and fails on a damaged one: if it is, %s && %s && %s makes it anew (entries added by hand are lost)",
			platform.Cmd{Argv: []string{"sudo", "rm", path}}, platform.Cmd{Argv: []string{"sudo", "dpkg", "--configure", "-a"}},
			platform.Cmd{Argv: []string{"sudo", "update-ca-certificates", "--fresh"}})
	case fedoraExtract:
		return "; update-ca-trust makes this file from the roots the system store trusts: if it is damaged, sudo update-ca-trust extract makes it anew (entries added by hand are lost)"
	}
	return ""
}

// The keystores a system store's refresh makes from its roots, by the
// tool that makes them.
const (
	debianHook    = iota + 1 // update-ca-certificates' Java hook
	fedoraExtract            // update-ca-trust extract
)

// generatedBy says which refresh makes the keystore at path (under a
// test's fake root too); 0 for one that comes with its JDK.
func generatedBy(path string) int {
	switch p := filepath.ToSlash(path); {
	case strings.HasSuffix(p, "/etc/ssl/certs/java/cacerts"):
		return debianHook
	case strings.HasSuffix(p, "/etc/pki/ca-trust/extracted/java/cacerts"):
		return fedoraExtract
	}
	return 0
}

// RefreshBlockedError is a keystore that Debian's Java hook, which the
// system store's refresh runs, can't read either: the hook would fail on
// it and leave the package ca-certificates-java half-configured (and apt
// failing, until dpkg --configure -a), so the refresh must not run.
type RefreshBlockedError struct {
	Path string
	Err  error
}

func (e *RefreshBlockedError) Error() string {
	return fmt.Sprintf("the system store's refresh runs Debian's Java hook, which would fail on %s and leave the package ca-certificates-java half-configured: %v", e.Path, e.Err)
}

func (e *RefreshBlockedError) Unwrap() error { return e.Err }

// parseKeystore reads a JKS or PKCS#12 keystore with the password changeit
// (or none, as JDK 18+ ship their PKCS#12 cacerts).
func parseKeystore(data []byte) (*keystoreFile, error) {
	if len(data) < 4 {
		return nil, errors.New("not a keystore (too short)")
	}
	switch binary.BigEndian.Uint32(data) {
	case 0xFEEDFEED:
		return parseJKS(data)
	case 0xCECECECE:
		return nil, errors.New("a JCEKS keystore, which vouch can't read")
	}
	if data[0] != 0x30 { // an ASN.1 SEQUENCE starts every PKCS#12 file
		return nil, errors.New("neither a JKS nor a PKCS#12 keystore")
	}
	if err := checkPKCS12(data); err != nil {
		return nil, fmt.Errorf("a damaged PKCS#12 keystore: %w", err)
	}
	certs, err := pkcs12.DecodeTrustStore(data, javaStorePass)
	if err != nil && strings.Contains(err.Error(), "no MAC") {
		certs, err = pkcs12.DecodeTrustStore(data, "")
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, wrongPassword("PKCS12")
	}
	if err != nil {
		return nil, fmt.Errorf("as a PKCS#12 trust store with password %s: %w", javaStorePass, err)
	}
	ks := &keystoreFile{Format: "PKCS12"}
	for _, c := range certs {
		ks.Entries = append(ks.Entries, ksEntry{Trusted: true, Certs: [][]byte{c.Raw}})
	}
	return ks, nil
}

// wrongPasswordError: the keystore's integrity check fails with changeit,
// the password every JDK's cacerts has: someone set another, or the file
// is damaged. keytool -storepasswd with the password set puts changeit
// back; readKeystore fills in the path.
type wrongPasswordError struct{ format, path string }

func wrongPassword(format string) error { return &wrongPasswordError{format: format} }

func (e *wrongPasswordError) Error() string {
	path := e.path
	if path == "" {
		path = "FILE"
	}
	return fmt.Sprintf("its password is not %s, the one every JDK's trust store has (or the file is damaged), so vouch can't read it as a %s keystore; if someone set another password, this puts %s back: %s", javaStorePass, e.format, javaStorePass,
		platform.Cmd{Argv: []string{"keytool", "-storepasswd", "-keystore", path, "-storepass", "THAT_PASSWORD", "-new", javaStorePass}})
}

// parseJKS reads a JKS keystore as keytool does with the password
// changeit: its integrity check must match. Entries come in alias order,
// one per alias (where a damaged file repeats one, the last), as
// keystore-go's Load and Aliases gave them; their certificates are slices
// of data, not copies (a JDK's cacerts is about 150 certificates, and
// copying each, as keystore-go does, took most of the time status spent
// on it).
func parseJKS(data []byte) (*keystoreFile, error) {
	records, digestAt, err := checkJKS(data)
	if err != nil {
		return nil, fmt.Errorf("a damaged JKS keystore: %w", err)
	}
	if !jksDigestMatches(data, digestAt, javaStorePass) {
		return nil, wrongPassword("JKS")
	}
	last := make(map[string]int, len(records))
	aliases := make([]string, 0, len(records))
	for i, r := range records {
		if _, seen := last[r.alias]; !seen {
			aliases = append(aliases, r.alias)
		}
		last[r.alias] = i
	}
	slices.Sort(aliases)
	ks := &keystoreFile{Format: "JKS", Aliases: true}
	if len(aliases) > 0 {
		ks.Entries = make([]ksEntry, 0, len(aliases))
	}
	for _, alias := range aliases {
		r := records[last[alias]]
		ks.Entries = append(ks.Entries, ksEntry{Alias: alias, Trusted: r.trusted, Certs: r.certs})
	}
	return ks, nil
}

// ksStatus is what one keystore says about the root.
type ksStatus struct {
	store   platform.JavaKeystore
	format  string
	holders []ksEntry
	stale   []string
	err     error
}

// mkcertJavaAlias reports whether alias is one that mkcert's trust of
// root gave it: mkcert -install's own keytool alias ("mkcert development
// CA SERIAL", which keytool lowercases), or Debian's hook's import of
// mkcert's system anchor (debian:mkcert_development_CA_SERIAL.pem). Those
// go only when the user asks for mkcert's entries to go too (Root.Mkcert).
func mkcertJavaAlias(root *x509.Certificate, alias string) bool {
	name := platform.MkcertName(root)
	return strings.EqualFold(alias, name) || strings.EqualFold(alias, "debian:"+strings.ReplaceAll(name, " ", "_")+".pem")
}

func (s ksStatus) verdict(root *x509.Certificate) string {
	switch {
	case s.err != nil:
		return "error: " + s.err.Error()
	case len(s.holders) == 0:
		return "not trusted"
	}
	var aliases []string
	for _, h := range s.holders {
		if h.Alias != "" {
			aliases = append(aliases, h.Alias)
		}
	}
	if len(aliases) == 0 {
		return fmt.Sprintf("trusted (%d %s the root)", len(s.holders), javaPlural(len(s.holders), "entry holds", "entries hold"))
	}
	msg := "trusted as " + strings.Join(aliases, ", ")
	switch {
	case slices.ContainsFunc(aliases, func(a string) bool { return mkcertJavaAlias(root, a) }):
		msg += " (mkcert's aliases go only with vouch uninstall --mkcert, or mkcert -uninstall; taking this root out removes every other alias holding it)"
	case len(aliases) > 1 || aliases[0] != JavaAlias(root):
		msg += " (taking this root out removes every alias holding it)"
	}
	return msg
}

func (s ksStatus) line(root *x509.Certificate) string {
	var users []string
	for _, h := range s.store.Homes {
		users = append(users, h.Dir)
	}
	format := s.format
	if format != "" {
		format += ", "
	}
	return fmt.Sprintf("%s (%sused by %s): %s", s.store.Path, format, strings.Join(users, ", "), s.verdict(root))
}

func javaPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (j *Java) statusOf(k platform.JavaKeystore, r Root) ksStatus {
	st := ksStatus{store: k}
	_, ks, err := readKeystore(k.Path)
	if err != nil {
		st.err = err
		return st
	}
	st.format = ks.Format
	st.holders = ks.holders(r.Cert)
	st.stale = ks.stale(r)
	return st
}

// Status reads every keystore; it runs no command (on macOS, only
// java_home, to find the JDKs) and never starts a JVM.
func (j *Java) Status(r Root) Status {
	st := Status{Store: "java"}
	stores := j.Keystores(context.Background())
	if len(stores) == 0 {
		st.State, st.Reason = NotPresent, j.notFound().Error()
		return st
	}
	trusted, failed := 0, 0
	var lines, retired, stale []string
	for _, k := range stores {
		ks := j.statusOf(k, r)
		switch {
		case ks.err != nil:
			failed++
		case len(ks.holders) > 0:
			trusted++
			st.Mkcert = st.Mkcert || slices.ContainsFunc(ks.holders, func(h ksEntry) bool { return mkcertJavaAlias(r.Cert, h.Alias) })
		}
		lines = append(lines, ks.line(r.Cert))
		held := map[*RetiredRoot][]string{} // a retired root's aliases here
		var order []*RetiredRoot
		for _, a := range ks.stale {
			// Listed all the same (--all-vouch-roots takes it out), but a
			// retired root's aliases are named as such, not stale.
			st.Stale = append(st.Stale, k.Path+": "+a)
			name := vouchAliasName(a)
			if rr := r.retired(func(c *x509.Certificate) bool { return JavaAlias(c) == name }); rr != nil {
				if held[rr] == nil {
					order = append(order, rr)
				}
				held[rr] = append(held[rr], a)
			} else {
				stale = append(stale, k.Path+": "+a)
			}
		}
		for _, rr := range order {
			retired = append(retired, retiredNote(k.Path+" ("+strings.Join(held[rr], ", ")+")", rr))
		}
	}
	st.Checked = lines
	st.Where = fmt.Sprintf("%d %s", len(stores), javaPlural(len(stores), "keystore", "keystores"))
	switch {
	case failed > 0:
		st.State = Failed
	case trusted == len(stores):
		st.State = Trusted
	default:
		st.State = NotTrusted
	}
	if len(stores) == 1 {
		st.Reason = lines[0]
	} else {
		st.Reason = fmt.Sprintf("%d of %d Java keystores trust the root: %s", trusted, len(stores), strings.Join(lines, "; "))
	}
	st.Reason += strings.Join(retired, "")
	if len(stale) > 0 {
		st.Reason += fmt.Sprintf("; %d alias(es) of other vouch roots: %s", len(stale), strings.Join(stale, ", "))
	}
	if why := j.Search.UnusedJavaHome(stores); why != "" {
		st.Reason += "; " + why
	}
	return st
}

// Install adds the root to every keystore that lacks it, with keytool
// -importcert under JavaAlias. A keystore that already trusts the root is
// not touched.
func (j *Java) Install(ctx context.Context, r Root) (bool, error) {
	stores := j.Keystores(ctx)
	if len(stores) == 0 {
		return false, j.notFound()
	}
	changed := false
	var errs []error
	for _, k := range stores {
		c, err := j.installOne(ctx, r, k)
		changed = changed || c
		if err != nil {
			errs = append(errs, err)
		}
	}
	return changed, errors.Join(errs...)
}

// keytool is the keytool to change k with, or a *MissingToolError.
func (j *Java) keytool(k platform.JavaKeystore) (string, error) {
	kt, _ := k.Keytool()
	if kt != "" {
		return kt, nil
	}
	var homes []string
	for _, h := range k.Homes {
		homes = append(homes, h.Dir)
	}
	osRelease, _ := os.ReadFile(filepath.Join(j.root(), "etc", "os-release"))
	return "", &MissingToolError{
		Tool: "keytool",
		Hint: platform.KeytoolHint(j.goos(), osRelease),
		Why:  fmt.Sprintf("vouch can't change %s: none of the JDKs that use it (%s) has bin/keytool", k.Path, strings.Join(homes, ", ")),
	}
}

func (j *Java) root() string {
	if j.Search.Root == "" {
		return "/"
	}
	return j.Search.Root
}

func (j *Java) goos() string {
	if j.Search.GOOS != "" {
		return j.Search.GOOS
	}
	return runtime.GOOS
}

func (j *Java) installOne(ctx context.Context, r Root, k platform.JavaKeystore) (bool, error) {
	data, ks, err := readKeystore(k.Path)
	if err != nil {
		return false, err
	}
	if len(ks.holders(r.Cert)) > 0 {
		return false, nil
	}
	kt, err := j.keytool(k)
	if err != nil {
		return false, err
	}
	backup, err := j.keepCopy(k, r.Cert, data)
	if err != nil {
		dropKeystoreBackup(backup)
		j.forgetHomes(k.Path)
		return false, fmt.Errorf("not changing %s: %w", k.Path, err)
	}
	err = j.edit(ctx, k.Path, func(keystore string) []platform.Cmd {
		cmd := platform.Cmd{
			Argv: []string{kt, "-importcert", "-noprompt", "-alias", JavaAlias(r.Cert), "-file", r.File,
				"-keystore", keystore, "-storepass", javaStorePass, "-storetype", ks.Format},
			Root: !j.canReplace(k.Path),
		}
		if r.File == "" {
			// keytool reads the certificate from standard input without -file.
			cmd.Argv = append(cmd.Argv[:5:5], cmd.Argv[7:]...)
			cmd.Stdin = r.PEM
		}
		return []platform.Cmd{cmd}
	})
	if err != nil {
		dropKeystoreBackup(backup)
		j.forgetHomes(k.Path)
		return false, fmt.Errorf("failed to add the root to %s: %w", k.Path, err)
	}
	return true, nil
}

// keepCopy keeps data, the bytes of the keystore at path while it lacks
// root, so that uninstall can give the keystore back exactly as it was; it
// returns the copy's path, "" when there is no state folder. A copy left
// by an earlier install is replaced: the keystore no longer holds the
// root, so what is there now is what uninstall must come back to.
func (j *Java) keepCopy(k platform.JavaKeystore, root *x509.Certificate, data []byte) (string, error) {
	backup := j.backupPath(k.Path, root)
	if backup == "" {
		return "", nil
	}
	if err := writeKeystoreBackup(backup, data); err != nil {
		return backup, err
	}
	return backup, j.recordHomes(k)
}

// Prepare keeps a copy of every keystore that lacks the root, as Install
// does before its keytool step, for the system store's refresh may add the
// root first (Debian's ca-certificates-java hook imports the anchor into
// /etc/ssl/certs/java/cacerts), and Install then finds nothing to do and
// keeps nothing. A keystore that can't be read is left out: Install and
// Status report it, and there is nothing to put back. It reports whether
// any keystore lacked the root. It starts no program (on macOS, only
// java_home, to find the JDKs) and changes no keystore.
func (j *Java) Prepare(ctx context.Context, r Root) (bool, error) {
	var errs []error
	lacking := false
	for _, k := range j.Keystores(ctx) {
		data, ks, err := readKeystore(k.Path)
		if err != nil && generatedBy(k.Path) == debianHook {
			errs = append(errs, &RefreshBlockedError{Path: k.Path, Err: err})
			continue
		}
		if err != nil || len(ks.holders(r.Cert)) > 0 {
			continue
		}
		lacking = true
		if _, err := j.keepCopy(k, r.Cert, data); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k.Path, err))
		}
	}
	return lacking, errors.Join(errs...)
}

// backupPath is where Install keeps the bytes of the keystore at path from
// before it added root: one file per keystore and root.
func (j *Java) backupPath(path string, root *x509.Certificate) string {
	prefix := j.backupPrefix(path)
	if prefix == "" {
		return ""
	}
	return prefix + JavaAlias(root) + ".cacerts"
}

// backupPrefix starts the name of every copy of the keystore at path.
func (j *Java) backupPrefix(path string) string {
	if j.StateDir == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(j.StateDir, "java", fmt.Sprintf("%x-", sum[:8]))
}

func writeKeystoreBackup(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("failed to keep a copy of it: %w", err)
	}
	if err := platform.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("failed to keep a copy of it in %s: %w", path, err)
	}
	return nil
}

// Uninstall leaves no keystore trusting the root: it removes vouch's alias
// and every other alias holding exactly this root (Debian's
// ca-certificates-java hook imports the system anchor as
// debian:vouch-….pem; leaving it would keep Java trusting a root the user
// took back). With all, aliases vouch gave other roots go too.
//
// Otherwise the keystore must be as it was, byte for byte, and keytool
// can't promise that: it rewrites the whole file, and a PKCS#12 keystore
// gets new salts and IVs on every write. So Install keeps the keystore's
// bytes from before it added the root, and when the keystore's entries are
// now exactly those of that copy plus entries holding the root, Uninstall
// puts the copy back (atomically: a temp file renamed over the keystore,
// through the runner with install(1) and mv(1) when root is needed). When
// anything else changed meanwhile (a JDK update, another tool's entry),
// putting the copy back would undo that change, so Uninstall falls back to
// keytool -delete of the aliases, which keeps every other entry.
func (j *Java) Uninstall(ctx context.Context, r Root, all bool) (bool, error) {
	stores := j.Keystores(ctx)
	if len(stores) == 0 {
		return false, nil
	}
	changed := false
	var errs []error
	for _, k := range stores {
		c, err := j.uninstallOne(ctx, r, k, all)
		changed = changed || c
		if err != nil {
			errs = append(errs, err)
		}
	}
	return changed, errors.Join(errs...)
}

func (j *Java) uninstallOne(ctx context.Context, r Root, k platform.JavaKeystore, all bool) (bool, error) {
	data, ks, err := readKeystore(k.Path)
	if err != nil {
		return false, err
	}
	if len(ks.holders(r.Cert)) == 0 && (!all || (ks.Aliases && len(ks.stale(r)) == 0)) {
		return j.putBackKept(ctx, k, ks, data, nil, r.Cert)
	}
	kt, err := j.keytool(k)
	if err != nil {
		return false, err
	}
	entries, err := j.entries(ctx, kt, k.Path, ks)
	if err != nil {
		return false, err
	}
	var remove []string
	kept := 0 // mkcert's aliases of the root, left unless r.Mkcert
	for _, e := range entries {
		if e.Trusted && len(e.Certs) == 1 && bytes.Equal(e.Certs[0], r.Cert.Raw) {
			if !r.Mkcert && mkcertJavaAlias(r.Cert, e.Alias) {
				kept++
				continue
			}
			remove = append(remove, e.Alias)
		}
	}
	var stale []string
	if all {
		stale = (&keystoreFile{Entries: entries}).stale(r)
	}
	if len(remove)+len(stale) == 0 {
		return j.putBackKept(ctx, k, ks, data, entries, r.Cert)
	}

	restored := false
	for _, backup := range j.copies(k.Path, r.Cert) {
		orig, ok := j.original(ctx, kt, backup, ks.Format, entries, remove, r.Cert)
		if !ok {
			continue
		}
		err := j.restore(ctx, k.Path, backup)
		if err != nil && !errors.Is(err, errKeystoreNoRestore) {
			return false, err
		}
		if err == nil {
			restored = true
			dropKeystoreBackup(backup)
			remove = nil
			stale = nil
			if all {
				stale = (&keystoreFile{Entries: orig}).stale(r)
			}
		}
		break
	}
	if aliases := append(remove, stale...); len(aliases) > 0 {
		err := j.edit(ctx, k.Path, func(keystore string) []platform.Cmd {
			var deletes []platform.Cmd
			for _, alias := range aliases {
				deletes = append(deletes, platform.Cmd{
					Argv: []string{kt, "-delete", "-alias", alias, "-keystore", keystore,
						"-storepass", javaStorePass, "-storetype", ks.Format},
					Root: !j.canReplace(k.Path),
				})
			}
			return deletes
		})
		if err != nil {
			return true, fmt.Errorf("failed to remove the root's aliases from %s: %w", k.Path, err)
		}
	}
	j.tidyCopies(k.Path, r.Cert)

	_, after, err := readKeystore(k.Path)
	if err != nil {
		return true, err
	}
	if n := len(after.holders(r.Cert)); n > kept {
		how := "deleting its aliases"
		if restored {
			how = "putting back its bytes from before install"
		}
		return true, fmt.Errorf("%s still holds the root in %d %s after %s", k.Path, n, javaPlural(n, "entry", "entries"), how)
	}
	return true, nil
}

// PutBack gives each keystore that no longer holds the root the bytes
// kept before install, as Uninstall does after the system store's refresh
// rewrote it; a keystore that still holds the root keeps it, and its copy,
// for the java store's own uninstall. It starts no program for a JKS
// keystore.
func (j *Java) PutBack(ctx context.Context, r Root) (bool, error) {
	changed := false
	var errs []error
	for _, k := range j.Keystores(ctx) {
		data, ks, err := readKeystore(k.Path)
		if err != nil || len(ks.holders(r.Cert)) > 0 {
			continue
		}
		c, err := j.putBackKept(ctx, k, ks, data, nil, r.Cert)
		changed = changed || c
		if err != nil {
			errs = append(errs, err)
		}
	}
	return changed, errors.Join(errs...)
}

// putBackKept gives a keystore that no longer holds root, whose bytes are
// data, the bytes kept before install, when another store's change took
// the root out by rewriting the file: on Debian, uninstalling the system
// store runs the ca-certificates-java hook (jks-keystore --fresh), which
// rebuilds cacerts with the same entries but new bytes (new creation
// dates; for PKCS#12, new salts). It puts a copy back only when the
// keystore's entries are exactly the copy's (same aliases, same kinds,
// same certificates), and that is safe: Java trusts by the entries, and
// the copy holds the very entries the keystore holds now, so putting it
// back changes no verdict of any JVM, and undoes nothing anyone else did.
// When the entries differ (a JDK update, another tool's entry, a new
// Debian root), the keystore is left alone. It reports whether it changed
// the file.
//
// The copies tried are root's, then those kept for other vouch roots (see
// copies): after installs of roots A then B (a rotation, a friend's root),
// taking out A leaves B's entry, so no copy matches, and A's copy, from
// before either, is kept; once B goes too, A's copy is the one that
// matches.
//
// now is the keystore's entries when the caller has listed them already,
// else nil; they are listed (for PKCS#12, by keytool) once for all copies.
func (j *Java) putBackKept(ctx context.Context, k platform.JavaKeystore, ks *keystoreFile, data []byte, now []ksEntry, root *x509.Certificate) (bool, error) {
	if j.backupPath(k.Path, root) == "" {
		return false, nil
	}
	defer j.tidyCopies(k.Path, root)
	// A PKCS#12 keystore's aliases come from keytool; without one they
	// can't be compared, and the keystore stays as it is.
	kt, _ := k.Keytool()
	if kt == "" && !ks.Aliases {
		return false, nil
	}
	listed := now != nil
	for _, backup := range j.copies(k.Path, root) {
		kept, err := os.ReadFile(backup)
		if err != nil || bytes.Equal(kept, data) {
			continue
		}
		if !listed {
			if now, err = j.entries(ctx, kt, k.Path, ks); err != nil {
				return false, nil
			}
			listed = true
		}
		if _, ok := j.original(ctx, kt, backup, ks.Format, now, nil, root); !ok {
			continue
		}
		if err := j.restore(ctx, k.Path, backup); err != nil {
			if errors.Is(err, errKeystoreNoRestore) {
				return false, nil
			}
			return false, err
		}
		dropKeystoreBackup(backup)
		return true, nil
	}
	return false, nil
}

// copies lists the copies of the keystore at path that an uninstall of
// root may put back: root's own first, then those kept for other vouch
// roots. Any of them is safe to put back, for only one whose entries are
// exactly the keystore's (less root's) is put back (see original).
func (j *Java) copies(path string, root *x509.Certificate) []string {
	prefix := j.backupPrefix(path)
	if prefix == "" {
		return nil
	}
	own := j.backupPath(path, root)
	found, _ := filepath.Glob(prefix + "vouch-*.cacerts")
	return append([]string{own}, slices.DeleteFunc(found, func(f string) bool { return f == own })...)
}

// tidyCopies runs once root is out of the keystore at path. While the
// keystore still holds a root that a copy was kept for, every copy stays,
// root's among them: once those roots go too, root's copy, from before
// them, may be the one that gives the keystore back as it was. When it
// holds none (the last vouch root went, or --all-vouch-roots took them
// all), no copy can serve any more, and all go.
func (j *Java) tidyCopies(path string, root *x509.Certificate) {
	copies := j.copies(path, root)
	_, ks, err := readKeystore(path)
	if err != nil {
		if len(copies) <= 1 {
			dropKeystoreBackup(j.backupPath(path, root))
			j.forgetHomes(path)
		}
		return
	}
	held := map[string]bool{}
	for _, e := range ks.Entries {
		if e.Trusted && len(e.Certs) == 1 {
			held[javaAliasOf(e.Certs[0])] = true
		}
	}
	prefix := j.backupPrefix(path)
	for _, c := range copies {
		if held[strings.TrimSuffix(strings.TrimPrefix(c, prefix), ".cacerts")] {
			return
		}
	}
	for _, c := range copies {
		dropKeystoreBackup(c)
	}
	j.forgetHomes(path)
}

func dropKeystoreBackup(path string) {
	if path != "" {
		os.Remove(path)
	}
}

// entries are the keystore's entries with their aliases: read in Go for
// JKS; for PKCS#12, whose aliases go-pkcs12 does not give, listed by
// keytool (only Uninstall needs them, and it runs keytool anyway).
func (j *Java) entries(ctx context.Context, kt, path string, ks *keystoreFile) ([]ksEntry, error) {
	if ks.Aliases {
		return ks.Entries, nil
	}
	// vouch has just read the file, so keytool can too without root.
	out, err := j.Runner.Run(ctx, keytoolListCmd(kt, path, ks.Format))
	if err != nil {
		return nil, fmt.Errorf("failed to list the aliases in %s: %w", path, err)
	}
	entries, err := parseKeytoolList(out)
	if err != nil {
		return nil, fmt.Errorf("failed to list the aliases in %s: %w", path, err)
	}
	// keytool's listing must agree with the file as read in Go, or the
	// aliases it gave are not the ones to delete.
	if !sameTrustedCerts(entries, ks.Entries) {
		return nil, fmt.Errorf("keytool's listing of %s does not match the file", path)
	}
	return entries, nil
}

// keytoolListCmd lists a keystore with each certificate in PEM, in English
// whatever the locale (keytool translates "Alias name:").
func keytoolListCmd(kt, path, format string) platform.Cmd {
	return platform.Cmd{Argv: []string{kt, "-J-Duser.language=en", "-J-Duser.country=US", "-list", "-rfc",
		"-keystore", path, "-storepass", javaStorePass, "-storetype", format}}
}

// parseKeytoolList reads `keytool -list -rfc` output: per entry an
// "Alias name:" line, an "Entry type:" line, then its certificates in PEM.
func parseKeytoolList(out []byte) ([]ksEntry, error) {
	var entries []ksEntry
	var cur *ksEntry
	var block []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case block != nil:
			block = append(block, line)
			if strings.HasPrefix(line, "-----END ") {
				b, _ := pem.Decode([]byte(strings.Join(block, "\n")))
				if b == nil || cur == nil {
					return nil, errors.New("a certificate outside any entry in keytool's listing")
				}
				cur.Certs = append(cur.Certs, b.Bytes)
				block = nil
			}
		case strings.HasPrefix(line, "Alias name: "):
			entries = append(entries, ksEntry{Alias: strings.TrimPrefix(line, "Alias name: ")})
			cur = &entries[len(entries)-1]
		case strings.HasPrefix(line, "Entry type: ") && cur != nil:
			cur.Trusted = strings.TrimPrefix(line, "Entry type: ") == "trustedCertEntry"
		case strings.HasPrefix(line, "-----BEGIN "):
			block = []string{line}
		}
	}
	if block != nil {
		return nil, errors.New("keytool's listing ends inside a certificate")
	}
	return entries, nil
}

// sameTrustedCerts reports whether two entry lists hold the same trusted
// certificates, as many times each, aliases aside.
func sameTrustedCerts(a, b []ksEntry) bool {
	count := map[string]int{}
	for _, e := range a {
		if e.Trusted {
			for _, c := range e.Certs {
				count[string(c)]++
			}
		}
	}
	for _, e := range b {
		if e.Trusted {
			for _, c := range e.Certs {
				count[string(c)]--
			}
		}
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

// original returns the entries of the copy Install kept, when putting it
// back gives exactly the keystore as it is now less the aliases in remove
// (those holding the root): same aliases, same kinds, same certificates.
func (j *Java) original(ctx context.Context, kt, backup, format string, now []ksEntry, remove []string, root *x509.Certificate) ([]ksEntry, bool) {
	if backup == "" {
		return nil, false
	}
	_, orig, err := readKeystore(backup)
	if err != nil || orig.Format != format || len(orig.holders(root)) > 0 {
		return nil, false
	}
	entries, err := j.entries(ctx, kt, backup, orig)
	if err != nil {
		return nil, false
	}
	want := map[string]ksEntry{}
	for _, e := range now {
		if !javaHas(remove, e.Alias) {
			want[e.Alias] = e
		}
	}
	if len(want) != len(entries) {
		return nil, false
	}
	for _, e := range entries {
		w, ok := want[e.Alias]
		if !ok || w.Trusted != e.Trusted || len(w.Certs) != len(e.Certs) {
			return nil, false
		}
		for i := range e.Certs {
			if !bytes.Equal(w.Certs[i], e.Certs[i]) {
				return nil, false
			}
		}
	}
	return entries, true
}

func javaHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// runAll runs cmds in order and stops at the first failure. When that
// failure is that root can't be had here, the error lists that command and
// every one after it, for the user to run as root in one go.
func (j *Java) runAll(ctx context.Context, cmds []platform.Cmd) error {
	for i, c := range cmds {
		if _, err := j.Runner.Run(ctx, c); err != nil {
			var nr *platform.NeedRootError
			if errors.As(err, &nr) {
				return &platform.NeedRootError{Reason: nr.Reason, Commands: cmds[i:]}
			}
			return err
		}
	}
	return nil
}

// edit runs keytool's changes (edits, given the file to change) on a copy
// of the keystore at path, made beside it with its mode and owner, and
// puts the copy in its place only when every change succeeded. keytool
// rewrites a keystore in place: one that failed part way (a full disk,
// "java.io.IOException: No space left on device") left Java's cacerts cut
// short, unreadable to every Java program on the machine. A copy that
// can't be made (the same full disk) changes nothing. Where the copy can't
// be made with the file's owner as root (Windows), keytool changes the
// file itself.
func (j *Java) edit(ctx context.Context, path string, edits func(keystore string) []platform.Cmd) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if j.canReplace(path) {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		staged, err := platform.StageFile(path, data, info)
		if err != nil {
			return err
		}
		if err := j.runAll(ctx, edits(staged.Name())); err != nil {
			staged.Abort()
			return err
		}
		return staged.Commit()
	}
	cmds, cleanup, ok := platform.EditCmds(path, info, edits)
	if !ok || j.goos() == "windows" {
		return j.runAll(ctx, edits(path))
	}
	return j.runAllOrClean(ctx, cmds, cleanup)
}

// runAllOrClean is runAll, then cleanup when a command failed, unless the
// user is to run them as root (a NeedRootError): nothing ran then.
func (j *Java) runAllOrClean(ctx context.Context, cmds []platform.Cmd, cleanup platform.Cmd) error {
	err := j.runAll(ctx, cmds)
	if nr := (*platform.NeedRootError)(nil); err != nil && !errors.As(err, &nr) {
		j.Runner.Run(ctx, cleanup)
	}
	return err
}

// errKeystoreNoRestore: the copy can't be put back here; delete with keytool.
var errKeystoreNoRestore = errors.New("can't put the keystore's copy back here")

// restore puts the kept copy at backup back at path, keeping path's mode
// and owner.
func (j *Java) restore(ctx context.Context, path, backup string) error {
	data, err := os.ReadFile(backup)
	if err != nil {
		return errKeystoreNoRestore
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if j.canReplace(path) {
		if err := platform.ReplaceFile(path, data, info); err != nil {
			return err
		}
	} else {
		cmds, cleanup, ok := platform.RestoreCmds(backup, path, info)
		if !ok || j.goos() == "windows" {
			// No install(1) and mv(1) to run as root here.
			return errKeystoreNoRestore
		}
		if err := j.runAllOrClean(ctx, cmds, cleanup); err != nil {
			return fmt.Errorf("failed to put back %s: %w", path, err)
		}
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
		return fmt.Errorf("put back %s from %s, but it now differs from that copy", path, backup)
	}
	return nil
}
