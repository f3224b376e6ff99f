package truststore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vouchdev/vouch/platform"
)

// NSS is the NSS certificate databases of one user's browsers: Chromium's
// shared database (Chrome, Brave, Edge… on Linux) and one per Firefox or
// LibreWolf profile, wherever the browser was installed from. It reads and
// changes them only with NSS's certutil, run by Runner; which databases
// there are is decided anew on every call, from Home, Getenv and GOOS.
type NSS struct {
	Runner platform.Runner
	Home   string
	Getenv func(string) string
	GOOS   string
	// LookPath finds certutil; nil means exec.LookPath.
	LookPath func(string) (string, error)
	// OSRelease is the os-release file read, when certutil is missing, to
	// name the package that has it; "" means /etc/os-release.
	OSRelease string
	// CacheFile keeps each database's listing with a hash of its file, so
	// an unchanged database is not read again with certutil; "" means no
	// cache.
	CacheFile string
	// BackupDir is where Install keeps each database's files from before
	// it added a root, so that Uninstall can put them back byte for byte
	// (see restoreDB); "" keeps nothing, and Uninstall deletes the entry
	// with certutil.
	BackupDir string
	// FilesInUse reports which of the files some program has open; nil
	// means platform.FilesInUse.
	FilesInUse func(paths []string) ([]string, error)

	cacheOnce sync.Once
	cache     *listingCache
}

// NewNSS returns the NSS store of the user whose home is home: getenv
// reads that user's environment (XDG_DATA_HOME, XDG_CONFIG_HOME, APPDATA,
// LOCALAPPDATA) and goos picks the layout (runtime.GOOS for real).
func NewNSS(r platform.Runner, home string, getenv func(string) string, goos string) *NSS {
	return &NSS{Runner: r, Home: home, Getenv: getenv, GOOS: goos}
}

func (n *NSS) Name() string { return "nss" }

// MissingToolError is a store that can't do its work because a program is
// not installed. The CLI prints it as a warning, with Hint as the hint,
// and goes on with the other stores.
type MissingToolError struct {
	Tool string
	// Hint is a command that installs it (or, where there is none, what
	// to do instead).
	Hint string
	// Why says what the tool was needed for.
	Why string
}

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("%s not found, so %s", e.Tool, e.Why)
}

// commandTimeout bounds one certutil run: a database another program holds
// locked must not hang vouch.
const commandTimeout = 30 * time.Second

// trustFlags matches certutil's trust column: SSL, S/MIME and object
// signing flags, comma-separated.
var trustFlags = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*$`) })

// staleNickname matches the nickname vouch gives any root.
var staleNickname = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^vouch [0-9a-f]{16}$`) })

// keptNickname: nick is the entry of a root r keeps.
func keptNickname(r Root, nick string) bool {
	return r.keeps(func(k *x509.Certificate) bool { return NSSNickname(k) == nick })
}

// NSSNickname is the nickname vouch gives root in an NSS database: unique
// per root, so a new CA never replaces another's entry, and recognisably
// vouch's.
func NSSNickname(root *x509.Certificate) string {
	sum := sha256.Sum256(root.Raw)
	return fmt.Sprintf("vouch %x", sum[:8])
}

// listing is certutil -L's table: nickname to trust flags ("C,,").
type listing map[string]string

// parseListing reads `certutil -L -d DB`: two header lines, then one line
// per certificate, the nickname padded to a column and then the flags.
func parseListing(out []byte) listing {
	l := listing{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimRight(line, " \t\r")
		i := strings.LastIndexAny(line, " \t")
		if i < 0 {
			continue
		}
		nick, flags := strings.TrimSpace(line[:i]), line[i+1:]
		if nick == "" || !trustFlags().MatchString(flags) {
			continue
		}
		l[nick] = flags
	}
	return l
}

// trustsForTLS: the SSL flags include C, a CA trusted to issue server
// certificates.
func trustsForTLS(flags string) bool {
	ssl, _, _ := strings.Cut(flags, ",")
	return strings.Contains(ssl, "C")
}

func (n *NSS) find() platform.NSSSearch {
	return platform.FindNSSDBs(n.Home, n.Getenv, n.GOOS)
}

// findFor is find, and the databases vouch added root to that this search
// no longer finds (the install ran with another $XDG_CONFIG_HOME or
// $MOZ_PROFILE_PATH, say): vouch's copies from those installs name them,
// and they still trust root until uninstall reaches them.
func (n *NSS) findFor(root *x509.Certificate) platform.NSSSearch {
	found := n.find()
	if n.BackupDir == "" {
		return found
	}
	copies, _ := filepath.Glob(filepath.Join(n.BackupDir, "*-"+strings.TrimPrefix(NSSNickname(root), "vouch ")))
	if len(copies) == 0 {
		return found
	}
	// A copy of a database found already (its folder is named by the
	// database's path) needs no reading.
	foundCopies := map[string]bool{}
	for _, d := range found.DBs {
		foundCopies[n.backupPath(d, root)] = true
	}
	for _, folder := range copies {
		if foundCopies[folder] {
			continue
		}
		m, err := readManifest(folder)
		if err != nil || m.After == nil {
			continue
		}
		db := dbOfSpec(m.Spec)
		if db.Dir == "" || slices.ContainsFunc(found.DBs, func(d platform.NSSDB) bool { return sameDB(d, db) }) {
			continue
		}
		if _, err := os.Stat(db.File()); err == nil {
			found.DBs = append(found.DBs, db)
		}
	}
	return found
}

// sameDB says whether a and b are one database, by any path to it (a
// home reached through a symlink).
func sameDB(a, b platform.NSSDB) bool {
	if a.Legacy != b.Legacy {
		return false
	}
	if a.Dir == b.Dir {
		return true
	}
	ra, erra := filepath.EvalSymlinks(a.Dir)
	rb, errb := filepath.EvalSymlinks(b.Dir)
	return erra == nil && errb == nil && ra == rb
}

// dbOfSpec is the database certutil's spec (sql:DIR, dbm:DIR) names, as
// one vouch found it for an install it no longer finds.
func dbOfSpec(spec string) platform.NSSDB {
	format, dir, ok := strings.Cut(spec, ":")
	if !ok || (format != "sql" && format != "dbm") || !filepath.IsAbs(dir) {
		return platform.NSSDB{}
	}
	return platform.NSSDB{Dir: dir, Legacy: format == "dbm", App: "recorded by vouch's install"}
}

// certutil is the certutil to run, or a *MissingToolError.
func (n *NSS) certutil(found platform.NSSSearch) (string, error) {
	lookPath := n.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	p, err := platform.FindCertutil(n.GOOS, n.Getenv, lookPath)
	if err == nil {
		return p, nil
	}
	var osRelease []byte
	if n.GOOS == "linux" {
		file := n.OSRelease
		if file == "" {
			file = "/etc/os-release"
		}
		osRelease, _ = os.ReadFile(file)
	}
	return "", &MissingToolError{
		Tool: "certutil",
		Hint: platform.CertutilHint(n.GOOS, osRelease),
		Why:  fmt.Sprintf("vouch can't read or change the %s of %s", countDBs(len(found.DBs)), apps(found.DBs)),
	}
}

func countDBs(k int) string {
	if k == 1 {
		return "NSS database"
	}
	return fmt.Sprintf("%d NSS databases", k)
}

// apps names who reads dbs, each once, in order.
func apps(dbs []platform.NSSDB) string {
	var out []string
	seen := map[string]bool{}
	for _, db := range dbs {
		app, _, _ := strings.Cut(db.App, " (unused")
		if !seen[app] {
			seen[app] = true
			out = append(out, app)
		}
	}
	return strings.Join(out, ", ")
}

// tilde shortens the home folder to ~ in a long list of paths.
func (n *NSS) tilde(s string) string {
	if n.Home == "" || n.Home == string(filepath.Separator) {
		return s
	}
	return strings.ReplaceAll(s, strings.TrimRight(n.Home, `/\`)+string(filepath.Separator), "~"+string(filepath.Separator))
}

// looked names the folders searched for a database, for a reason line:
// the sandboxed packagings' (snap, Flatpak), a dozen on Linux, are
// counted rather than listed; Status's Checked (status --json) has them
// all.
func (n *NSS) looked(dirs []string) string {
	var shown []string
	sandboxed := 0
	for _, d := range dirs {
		slash := filepath.ToSlash(d)
		if strings.Contains(slash, "/snap/") || strings.Contains(slash, "/.var/app/") {
			sandboxed++
			continue
		}
		shown = append(shown, n.tilde(d))
	}
	if sandboxed > 0 {
		shown = append(shown, fmt.Sprintf("%d snap and Flatpak folders (vouch status --json lists them)", sandboxed))
	}
	return strings.Join(shown, ", ")
}

func (n *NSS) run(ctx context.Context, argv []string, stdin []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	return n.Runner.Run(ctx, platform.Cmd{Argv: argv, Stdin: stdin})
}

// list reads a database's nicknames and trust flags. It changes nothing
// and needs no password, even on a database that has one.
// An unchanged database's listing comes from the cache (see listingCache).
func (n *NSS) list(ctx context.Context, certutil string, db platform.NSSDB) (listing, error) {
	l, _, err := n.listing(ctx, certutil, db, true)
	return l, err
}

// listing reads db's listing, from the cache only when fromCache; the
// listing read is cached either way. sum is the hash of the file it came
// from, under which findAlias files its answer ("" when not cached).
func (n *NSS) listing(ctx context.Context, certutil string, db platform.NSSDB, fromCache bool) (l listing, sum string, err error) {
	n.cacheOnce.Do(func() { n.cache = newListingCache(n.CacheFile) })
	cacheable := false
	if n.cache != nil {
		sum, cacheable = dbHash(db, certutil)
		if l, ok := n.cache.get(db, sum); fromCache && cacheable && ok {
			return l, sum, nil
		}
	}
	out, err := n.run(ctx, []string{certutil, "-L", "-d", db.Spec()}, nil)
	if err != nil {
		return nil, "", err
	}
	l = parseListing(out)
	if cacheable {
		n.cache.put(db, sum, l)
	}
	return l, sum, nil
}

// Status runs `certutil -L -d DB` once per database found, which reads the
// database and changes nothing, and reports each database in Checked.
func (n *NSS) Status(r Root) Status {
	st := Status{Store: "nss"}
	found := n.findFor(r.Cert)
	if len(found.DBs) == 0 {
		st.State = NotPresent
		st.Checked = found.Looked
		st.Reason = "no NSS database found (no browser that keeps one has run for this user); looked in " + n.looked(found.Looked)
		if len(found.NoDB) > 0 {
			st.Reason += "; profiles with no database yet (the browser makes it on first start): " + n.tilde(strings.Join(found.NoDB, ", "))
		}
		return st
	}
	st.Where = apps(found.DBs)
	certutil, err := n.certutil(found)
	if err != nil {
		st.State = Failed
		st.Reason = err.Error()
		if mt := (*MissingToolError)(nil); errors.As(err, &mt) {
			st.Reason += "; install it: " + mt.Hint
		}
		for _, db := range found.DBs {
			st.Checked = append(st.Checked, fmt.Sprintf("%s (%s): not read", db.Spec(), db.Label()))
		}
		return st
	}
	ours, mk := NSSNickname(r.Cert), platform.MkcertName(r.Cert)
	var trusted int
	var not, others, foreign, failed []string
	// Entries of roots vouch rotate retired from this CA: kept on
	// purpose, named as such rather than stale; by retired root.
	retired := map[*RetiredRoot][]string{} // where each retired root is
	stale := 0
	ctx := context.Background()
	// One certutil -L per database (and, where vouch's entry is missing,
	// one read per other entry trusted for TLS); they read different
	// files, so they run side by side.
	lists := make([]listing, len(found.DBs))
	sums := make([]string, len(found.DBs))
	errs := make([]error, len(found.DBs))
	var wg sync.WaitGroup
	for i, db := range found.DBs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], sums[i], errs[i] = n.listing(ctx, certutil, db, true)
		}()
	}
	wg.Wait()
	for i, db := range found.DBs {
		where := fmt.Sprintf("%s (%s)", db.Spec(), db.Label())
		l, err := lists[i], errs[i]
		var verdict string
		switch {
		case err != nil:
			verdict = "error: " + summary(err)
			failed = append(failed, where+": "+summary(err))
		case trustsForTLS(l[ours]):
			trusted++
			verdict = fmt.Sprintf("trusted (%q %s)", ours, l[ours])
		case trustsForTLS(l[mk]):
			trusted++
			verdict = fmt.Sprintf("trusted through mkcert's %q, which vouch did not add", mk)
			others = append(others, where)
		case l[ours] != "":
			verdict = fmt.Sprintf("%q is there but not trusted for TLS (flags %s)", ours, l[ours])
			not = append(not, where)
		default:
			// Added by hand, or by a browser's certificate import (an
			// invitation's steps): the root under a nickname of its own.
			// Only entries trusted for TLS are read: one held untrusted
			// changes no verdict, and a Firefox profile lists many
			// (intermediates it cached).
			if alias := n.findAlias(ctx, certutil, db, l, sums[i], r.Cert, true); alias != "" {
				trusted++
				verdict = fmt.Sprintf("trusted through %q, an entry vouch did not add", alias)
				foreign = append(foreign, fmt.Sprintf("%q in %s (%s takes it out)", alias, where, platform.Cmd{Argv: []string{"certutil", "-D", "-d", db.Spec(), "-n", alias}}))
			} else {
				verdict = "not trusted"
				not = append(not, where)
			}
		}
		st.Checked = append(st.Checked, where+": "+verdict)
		for nick := range l {
			if nick != ours && staleNickname().MatchString(nick) && !keptNickname(r, nick) {
				// Listed all the same: --all-vouch-roots takes it out.
				st.Stale = append(st.Stale, db.Spec()+": "+nick)
				if rr := r.retired(func(c *x509.Certificate) bool { return NSSNickname(c) == nick }); rr != nil {
					retired[rr] = append(retired[rr], where)
				} else {
					stale++
				}
			}
		}
	}
	total := len(found.DBs)
	count := fmt.Sprintf("%d of %d NSS databases trust it", trusted, total)
	if total == 1 {
		count = fmt.Sprintf("%d of 1 NSS database trusts it", trusted)
	}
	switch {
	case len(failed) > 0:
		st.State = Failed
		st.Reason = fmt.Sprintf("could not read %d of %d NSS databases (%s); %s", len(failed), total, strings.Join(failed, "; "), count)
	case trusted == total:
		st.State = Trusted
		st.Reason = count
	default:
		st.State = NotTrusted
		st.Reason = fmt.Sprintf("%s; not trusted in %s", count, strings.Join(not, ", "))
	}
	if len(others) > 0 {
		st.Reason += fmt.Sprintf("; through mkcert's entry %q in %s, which only vouch uninstall --mkcert (or mkcert -uninstall) removes", mk, strings.Join(others, ", "))
	}
	if len(foreign) > 0 {
		st.Reason += "; through entries vouch did not add, which its uninstall leaves: " + strings.Join(foreign, "; ")
	}
	st.Held, st.Mkcert = foreign, len(others) > 0
	for _, o := range others {
		st.Held = append(st.Held, fmt.Sprintf("mkcert's %q in %s, which only mkcert -uninstall or vouch uninstall --mkcert (with this CA's folder) removes", mk, o))
	}
	for _, rr := range slices.SortedFunc(maps.Keys(retired), func(x, y *RetiredRoot) int { return strings.Compare(x.Dir, y.Dir) }) {
		st.Reason += retiredNote(strings.Join(retired[rr], ", "), rr)
	}
	slices.Sort(st.Stale)
	if stale > 0 {
		st.Reason += fmt.Sprintf("; %d stale entr%s from other vouch roots", stale, plural(stale, "y", "ies"))
	}
	if len(found.NoDB) > 0 {
		st.Reason += "; profiles with no database yet (the browser makes it on first start): " + strings.Join(found.NoDB, ", ")
	}
	st.Reason += enterpriseRootsNote(n.GOOS, found.DBs)
	return st
}

// addedTo lists the databases whose copy from before an install of root
// vouch still keeps: it added root to them, and no uninstall since has
// put them back or taken it out.
func (n *NSS) addedTo(dbs []platform.NSSDB, root *x509.Certificate) []string {
	var out []string
	for _, db := range dbs {
		if p := n.backupPath(db, root); p != "" {
			if _, err := os.Stat(p); err == nil {
				out = append(out, fmt.Sprintf("%s (%s)", db.Spec(), db.Label()))
			}
		}
	}
	return out
}

// Install trusts the root, as a CA for TLS servers only (C,,), in every
// database that does not trust it yet, and leaves the others alone: when
// all do, it runs only certutil -L. It goes on past a database it can't
// change and reports each one that failed.
func (n *NSS) Install(ctx context.Context, r Root) (bool, error) {
	found := n.findFor(r.Cert)
	if len(found.DBs) == 0 {
		return false, nil
	}
	certutil, err := n.certutil(found)
	if err != nil {
		return false, err
	}
	changed := false
	var errs []error
	for _, db := range found.DBs {
		c, err := n.installOne(ctx, certutil, db, r)
		changed = changed || c
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", db.Spec(), db.Label(), err))
		}
	}
	return changed, errors.Join(errs...)
}

func (n *NSS) installOne(ctx context.Context, certutil string, db platform.NSSDB, r Root) (bool, error) {
	ours := NSSNickname(r.Cert)
	before, sum, err := n.listing(ctx, certutil, db, true)
	if err != nil {
		return false, err
	}
	if trustsForTLS(before[ours]) || trustsForTLS(before[platform.MkcertName(r.Cert)]) {
		return false, nil
	}
	if _, present := before[ours]; !present {
		// NSS keeps a certificate under its first nickname: held under
		// another and trusted there, it is trusted already (status names
		// that entry). Held untrusted, add finds it after certutil -A
		// and leaves it as it was.
		if n.findAlias(ctx, certutil, db, before, sum, r.Cert, true) != "" {
			return false, nil
		}
	}
	if db.Legacy {
		// The legacy format files certificates with one subject under one
		// nickname: this root would land in the older root's entry, which
		// vouch could then tell apart from neither root's.
		for _, nick := range sortedKeys(before) {
			if nick != ours && staleNickname().MatchString(nick) {
				return false, fmt.Errorf("this legacy database (cert8.db) keeps certificates with the same subject under one nickname and holds another vouch root's entry %q, under which this root would land; remove that entry first (certutil -D -d %s -n %q), or start Firefox once on this profile to upgrade it to cert9.db", nick, db.Spec(), nick)
			}
		}
	}
	backup := n.backupPath(db, r.Cert)
	if backup != "" {
		if err := keepDB(backup, db); err != nil {
			return false, fmt.Errorf("not changing it: %w", err)
		}
	}
	changed, err := n.add(ctx, certutil, db, r, before)
	if backup != "" {
		// Only a database that now trusts the root has a state for
		// uninstall to come back from; a failed install's copy goes.
		if err != nil || sealDB(backup, db) != nil {
			dropBackup(backup)
		}
	}
	return changed, err
}

// add trusts the root in db, whose listing is before; a nil error means db
// trusts it now.
func (n *NSS) add(ctx context.Context, certutil string, db platform.NSSDB, r Root, before listing) (bool, error) {
	ours := NSSNickname(r.Cert)
	// -f with an empty file: certutil must never stop to ask for a
	// database's primary password on a terminal it does not show.
	var argv []string
	var stdin []byte
	_, present := before[ours]
	if present {
		argv = []string{certutil, "-M", "-d", db.Spec(), "-n", ours, "-t", "C,,", "-f", os.DevNull}
	} else {
		argv = []string{certutil, "-A", "-d", db.Spec(), "-n", ours, "-t", "C,,", "-f", os.DevNull}
		if r.File != "" {
			argv = append(argv, "-i", r.File)
		} else {
			stdin = r.PEM
		}
	}
	_, runErr := n.run(ctx, argv, stdin)
	after, sum, listErr := n.listing(ctx, certutil, db, true)
	if runErr != nil {
		// certutil -A adds the certificate first and sets its trust
		// after; when that fails (a database with a primary password) it
		// leaves the untrusted certificate behind. Take it out again.
		if listErr == nil && !present {
			if _, added := after[ours]; added {
				n.run(ctx, []string{certutil, "-D", "-d", db.Spec(), "-n", ours, "-f", os.DevNull}, nil)
			}
		}
		return false, explainCertutil(runErr, argv)
	}
	if listErr != nil {
		return true, listErr
	}
	if trustsForTLS(after[ours]) {
		return true, nil
	}
	// NSS keeps a certificate's first nickname: when the root was already
	// there under another one, -A set that entry's trust instead. Put it
	// back as it was and say which entry it is.
	if alias := n.findAlias(ctx, certutil, db, after, sum, r.Cert, false); alias != "" {
		if before[alias] != after[alias] {
			n.run(ctx, []string{certutil, "-M", "-d", db.Spec(), "-n", alias, "-t", before[alias], "-f", os.DevNull}, nil)
		}
		return false, heldAsError(alias, db)
	}
	return true, fmt.Errorf("%s ran, but the database does not trust %q for TLS (flags %q)", platform.Cmd{Argv: argv}, ours, after[ours])
}

// heldAsError: db holds the root under alias, not trusted for TLS.
func heldAsError(alias string, db platform.NSSDB) error {
	return fmt.Errorf("the database already holds this root as %q, not trusted for TLS (NSS keeps a certificate's first nickname), so vouch left it as it was; to let vouch manage it, remove that entry (%s) and run this vouch command again", alias, platform.Cmd{Argv: []string{"certutil", "-D", "-d", db.Spec(), "-n", alias}})
}

// findAlias is the nickname other than vouch's under which db, whose
// listing is l, holds root (with tls, only among entries trusted for TLS),
// found by reading each entry's certificate: one certutil run per entry,
// a few at once, other vouch roots' left out (their nicknames name other
// certificates). Only a database that does not hold root as vouch's entry
// is searched. The answer is cached with the database's listing, under
// sum, the hash of the file l came from, unless a read failed (then the
// next run reads again).
func (n *NSS) findAlias(ctx context.Context, certutil string, db platform.NSSDB, l listing, sum string, root *x509.Certificate, tls bool) string {
	ours := NSSNickname(root)
	var nicks []string
	for _, nick := range sortedKeys(l) {
		if nick != ours && !staleNickname().MatchString(nick) && (!tls || trustsForTLS(l[nick])) {
			nicks = append(nicks, nick)
		}
	}
	if len(nicks) == 0 {
		return ""
	}
	cacheable := n.cache != nil && sum != "" // sum: of the file l came from
	key := ours
	if tls {
		key += " tls"
	}
	if cacheable {
		if nick, ok := n.cache.alias(db, sum, key); ok {
			return nick
		}
	}
	holds := make([]bool, len(nicks))
	failed := make([]bool, len(nicks))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, nick := range nicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			der, err := n.run(ctx, []string{certutil, "-L", "-d", db.Spec(), "-n", nick, "-r"}, nil)
			holds[i], failed[i] = err == nil && bytes.Equal(der, root.Raw), err != nil
		}()
	}
	wg.Wait()
	found := ""
	if i := slices.Index(holds, true); i >= 0 {
		found = nicks[i]
	}
	if cacheable && (found != "" || !slices.Contains(failed, true)) {
		n.cache.putAlias(db, sum, key, found)
	}
	return found
}

// explainCertutil adds what to do when certutil failed for want of a
// database's password.
func explainCertutil(err error, argv []string) error {
	msg := err.Error()
	if strings.Contains(msg, "SEC_ERROR_READ_ONLY") && runtime.GOOS != "windows" {
		// Files this user may read but not write: made by root (a
		// browser or certutil run under sudo), or a read-only mount.
		dir := ""
		if i := slices.Index(argv, "-d"); i >= 0 && i+1 < len(argv) {
			_, dir, _ = strings.Cut(argv[i+1], ":")
		}
		return fmt.Errorf("%w\nthe database is read-only to vouch: see who owns its files (%s); one made under sudo is root's, and %s gives it back", err,
			platform.Cmd{Argv: []string{"ls", "-l", dir}}, platform.Cmd{Argv: []string{"sudo", "chown", "-R", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()), dir}})
	}
	if !strings.Contains(msg, "SEC_ERROR_BAD_PASSWORD") && !strings.Contains(msg, "could not authenticate") {
		return err
	}
	// The same command without the empty password file, so certutil asks.
	manual := append([]string{"certutil"}, argv[1:]...)
	for i := range manual {
		if manual[i] == "-f" && i+1 < len(manual) {
			manual = append(manual[:i:i], manual[i+2:]...)
			break
		}
	}
	return fmt.Errorf("%w\nthe database has a primary password, which vouch does not ask for; run this yourself (certutil asks for it): %s", err, platform.Cmd{Argv: manual})
}

// Uninstall removes vouch's entry for this root from every database that
// has it (with all, also entries vouch made for other roots), and nothing
// else: an mkcert entry or one added by hand stays. Where Install kept the
// database's files and they are still as it left them, it puts those
// files back, so that the database is byte for byte as before the install
// (see restoreDB); otherwise it deletes the entries with certutil.
func (n *NSS) Uninstall(ctx context.Context, r Root, all bool) (bool, error) {
	found := n.findFor(r.Cert)
	if len(found.DBs) == 0 {
		return false, nil
	}
	certutil, err := n.certutil(found)
	if err != nil {
		// Without certutil a store is passed over with a warning, but
		// not when vouch's own copies show it added this root to these
		// databases and has not taken it out: they may trust it still,
		// and uninstall must not pass.
		var mt *MissingToolError
		if held := n.addedTo(found.DBs, r.Cert); errors.As(err, &mt) && len(held) > 0 {
			return false, fmt.Errorf("%s not found, and vouch added this root to %s and has not taken it out; install it (%s), then run the uninstall again", mt.Tool, strings.Join(held, ", "), mt.Hint)
		}
		return false, err
	}
	ours := NSSNickname(r.Cert)
	// goes says which entries this uninstall takes out.
	goes := func(nick string) bool {
		return nick == ours || (r.Mkcert && nick == platform.MkcertName(r.Cert)) || (all && staleNickname().MatchString(nick) && !keptNickname(r, nick))
	}
	changed := false
	var errs []error
	for _, db := range found.DBs {
		l, err := n.list(ctx, certutil, db)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", db.Spec(), db.Label(), err))
			continue
		}
		backup := n.backupPath(db, r.Cert)
		l, restored, err := n.restoreEach(ctx, certutil, db, l, goes, all)
		changed = changed || restored
		if err != nil {
			// A copy that could not be put back stays: the error names it.
			errs = append(errs, fmt.Errorf("%s (%s): %w", db.Spec(), db.Label(), err))
			continue
		}
		if restored && !all {
			// The files are as before the install, which added only this
			// root's entry: nothing is left to take out.
			continue
		}
		// Put back or not, the copy is of no more use here: the entry goes
		// now. A root installed right after this one may take it over.
		var hand *nssHandOver
		if _, has := l[ours]; has && !all && backup != "" {
			hand = n.handOver(backup, db)
		}
		dropBackup(backup)
		for _, nick := range sortedKeys(l) {
			if !goes(nick) {
				continue
			}
			argv := []string{certutil, "-D", "-d", db.Spec(), "-n", nick, "-f", os.DevNull}
			if _, err := n.run(ctx, argv, nil); err != nil {
				errs = append(errs, fmt.Errorf("%s (%s): %w", db.Spec(), db.Label(), explainCertutil(err, argv)))
				continue
			}
			changed = true
			if nick == ours && hand != nil {
				hand.finish(db)
			}
			// Another root's copy is of no more use once its entry is gone.
			dropBackup(n.backupOf(db, nick))
		}
	}
	return changed, errors.Join(errs...)
}

// restoreEach puts back db's files from before the install of an entry
// that goes (see restoreDB), which takes out that entry and nothing else.
// Without all, only this root's entry goes, so it stops at the first put
// back. With all it goes on: the roots vouch rotate left behind go newest
// first, each install's files matching once the next one's are put back.
// It returns the listing of what is left, whether it put any back, and an
// error that names the copies kept.
func (n *NSS) restoreEach(ctx context.Context, certutil string, db platform.NSSDB, l listing, goes func(string) bool, all bool) (listing, bool, error) {
	restored := false
	for again := true; again; {
		again = false
		for _, nick := range sortedKeys(l) {
			folder := n.backupOf(db, nick)
			if !goes(nick) || folder == "" {
				continue
			}
			ok, err := n.restoreDB(folder, db)
			if err != nil {
				return l, restored || ok, err
			}
			if !ok {
				continue
			}
			restored = true
			dropBackup(folder)
			if !all {
				return l, true, nil
			}
			// Read anew, not from the cache: what is there now decides
			// what is still to take out.
			if l, _, err = n.listing(ctx, certutil, db, false); err != nil {
				return l, true, err
			}
			again = true
			break
		}
	}
	return l, restored, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func plural(k int, one, many string) string {
	if k == 1 {
		return one
	}
	return many
}

func sortedKeys(l listing) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// summary is one line saying why a command failed: the tool's own last
// words when it said any.
func summary(err error) string {
	var ee *platform.ExecError
	if errors.As(err, &ee) && ee.Output != "" {
		lines := strings.Split(strings.TrimSpace(ee.Output), "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	return firstLine(err.Error())
}
