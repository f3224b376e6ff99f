package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
	"github.com/vouchdev/vouch/truststore"
)

// Test-only seams, set by main_test.go from its environment.
var (
	// testOnlyFSRoot makes the system store look under this folder.
	testOnlyFSRoot = ""
	// testOnlyRunner replaces the command runner.
	testOnlyRunner platform.Runner
	// testOnlyPlatform ("GOOS/GOARCH") picks the system store of another
	// platform, as far as code without build tags can drive it.
	testOnlyPlatform = ""
)

func (a *app) runner() platform.Runner {
	if testOnlyRunner != nil {
		return testOnlyRunner
	}
	// sudo asks on the terminal, not on stdin: with the root piped in
	// (vouch trust - at a terminal), stderr tells there is one.
	interactive := platform.IsTerminal(os.Stdin.Fd()) || a.rootOnStdin && platform.IsTerminal(os.Stderr.Fd())
	return &platform.Exec{IsRoot: a.isRoot, Interactive: interactive, Prompt: "vouch: sudo password for %u (to change the system trust store): "}
}

func (a *app) fsRoot() string {
	if testOnlyFSRoot != "" {
		return testOnlyFSRoot
	}
	return "/"
}

func (a *app) system() (platform.System, error) {
	return a.newSystem(a.runner())
}

func (a *app) newSystem(r platform.Runner) (platform.System, error) {
	if goos, goarch, ok := strings.Cut(testOnlyPlatform, "/"); ok {
		return platform.SystemFor(goos, goarch, a.fsRoot(), r, a.isRoot)
	}
	return platform.NewSystem(a.fsRoot(), r, a.isRoot)
}

// stores lists every store this build supports on this machine.
func (a *app) stores() []truststore.Store {
	r := a.runner()
	state := platform.StateDir(a.goos, a.home, a.getenv)
	nss := truststore.NewNSS(r, a.home, a.getenv, a.goos)
	if state != "" {
		// The listings cache is written by status too, which changes
		// nothing of the user's: under sudo (HOME kept) it would leave a
		// root-owned state folder in their home that their own runs then
		// can't write.
		if s := a.sudoer(); s == nil || !s.owns(state) {
			nss.CacheFile = filepath.Join(state, "nss-listings.json")
		}
		nss.BackupDir = filepath.Join(state, "nss")
	}
	return []truststore.Store{
		a.systemStore(r),
		nss,
		truststore.NewJava(platform.JavaSearch{Root: a.fsRoot(), Home: a.home, Getenv: a.getenv, GOOS: a.goos}, r, state),
		a.wslStore(r),
	}
}

// selectStores returns the stores to act on, and whether the user named
// them (--stores or $TRUST_STORES). A store that is not on this machine
// (no browser database, no Java) is an error only when named.
func (a *app) selectStores(flag string) ([]truststore.Store, bool, error) {
	list := flag
	if list == "" {
		list = a.getenv("TRUST_STORES")
	}
	stores, err := truststore.Select(list, a.goos, a.stores())
	if err != nil && flag == "" {
		err = fmt.Errorf("TRUST_STORES=%q: %w", list, err)
	}
	return stores, strings.TrimSpace(list) != "", err
}

// skippable: a browser or Java store that is not on this machine is left
// out unless the user named it; the system store always counts.
func skippable(s truststore.Store, st truststore.Status, named bool) bool {
	return st.State == truststore.NotPresent && !named && s.Name() != "system"
}

// missingTool prints a missing tool with the command that installs it: a
// warning, and the other stores go on; an error when the user named the
// store (the caller then fails).
func (a *app) missingTool(store string, err error, named bool) bool {
	var mt *truststore.MissingToolError
	if !errors.As(err, &mt) {
		return false
	}
	if named {
		a.errorf("%s: %v", store, mt)
	} else {
		a.warnf("%s: %v", store, mt)
	}
	if mt.Hint != "" {
		a.hintf("%s", mt.Hint)
	}
	return true
}

// loadCA finds the CA folder and loads the CA in it; an error wraps
// certs.ErrNoCA when the folder holds none.
func (a *app) loadCA(flag string) (string, *certs.CA, error) {
	dir, _, err := a.caroot(flag)
	if err != nil {
		return "", nil, err
	}
	ca, err := certs.Load(dir)
	return dir, ca, err
}

func rootOf(ca *certs.CA) truststore.Root {
	r := rootIn(ca.Root, ca.Dir)
	r.Probe = probeLeaf(ca)
	return r
}

// rootIn is the root whose CA folder is dir, without a probe leaf (that
// needs the CA's issuing key).
func rootIn(root *x509.Certificate, dir string) truststore.Root {
	r := truststore.Root{Cert: root, PEM: certs.CertPEM(root.Raw), File: filepath.Join(dir, certs.RootCertFile)}
	for _, old := range certs.Retired(dir) {
		r.Retired = append(r.Retired, truststore.RetiredRoot{Cert: old.Root, Dir: old.Dir})
	}
	return r
}

// retiredRoot is the root of a CA vouch rotate retired, as rootOf gives
// it when the retired folder still loads as a CA, else the root alone.
func retiredRoot(old certs.RetiredCA) truststore.Root {
	if ca, err := certs.Load(old.Dir); err == nil {
		return rootOf(ca)
	}
	return rootIn(old.Root, old.Dir)
}

// probeLeaf issues, in memory only, an hour-long localhost leaf (every
// constrained CA permits localhost), for stores that ask the OS verifier.
func probeLeaf(ca *certs.CA) platform.Probe {
	return func() (platform.ProbeLeaf, error) {
		l, err := ca.Issue(certs.LeafRequest{Names: []certs.Name{{Kind: certs.DNS, DNS: "localhost"}}, Validity: certs.MinLeafValidity})
		if err != nil {
			return platform.ProbeLeaf{}, err
		}
		return platform.ProbeLeaf{Leaf: l.Cert, Intermediates: l.Chain, DNSName: "localhost"}, nil
	}
}

func installCommand() *command {
	return &command{
		name:    "install",
		usage:   "[--stores LIST] [--permit NAME]... [--only | --unconstrained] [--machine]",
		summary: "make the CA if needed and trust it in every store",
		help: `Makes the CA if there is none, then trusts its root in every store found
(or those named by --stores or $TRUST_STORES, comma-separated: system, nss,
java, windows). A store that already trusts the root is left alone: when all do,
install changes nothing and starts nothing but certutil -L to read the
browser databases. Not root: changes go through sudo; where
sudo can't ask for a password, vouch prints the commands to run as root.
Run it as yourself: under sudo it would use root's CA folder and browser
profiles, so it stops and says so.

On Windows the system store is your user's Root store, and Windows asks
you to confirm the change in a dialog; --machine uses LocalMachine\Root
instead, for every user, from an Administrator shell. Under WSL the
windows store is the Windows user's Root store (through certutil.exe),
so Windows browsers trust servers running in WSL.`,
		flags: func(fs *pflag.FlagSet) runner {
			caroot := fs.String("caroot", "", "the CA folder")
			stores := fs.String("stores", "", "comma-separated `LIST` of stores (default: all found)")
			permit := fs.StringArray("permit", nil, "when this command makes the CA, also permit `NAME`; repeatable")
			unconstrained := fs.Bool("unconstrained", false, "when this command makes the CA, give it no name constraints (dangerous)")
			machine := fs.Bool("machine", false, `Windows: trust it in LocalMachine\Root, for every user (needs an elevated shell)`)
			only := fs.Bool("only", false, onlyUsage)
			return func(a *app, args []string) int {
				if len(args) > 0 {
					return a.usageError("install", "unexpected argument %q", args[0])
				}
				if code, ok := a.machineFlag("install", *machine); !ok {
					return code
				}
				return a.cmdInstall(*caroot, *stores, *permit, *unconstrained, *only)
			}
		},
	}
}

func (a *app) cmdInstall(caroot, storeList string, permit []string, unconstrained, only bool) int {
	planned, err := createConstraints(permit, unconstrained, only)
	if err != nil {
		return a.usageError("install", "%v", err)
	}
	stores, named, err := a.selectStores(storeList)
	if err != nil {
		return a.usageError("install", "%v", err)
	}
	if a.refuseSudo("install", caroot, false) {
		return exitFail
	}
	dir, explicit, err := a.caroot(caroot)
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	existed := hasCA(dir)
	if !existed {
		// Not a CA that could vouch for other people's sites (--permit
		// com): an existing one made so is used as it is.
		if err := planned.Wide(); err != nil {
			return a.usageError("install", "%v", err)
		}
	}
	ca, created, err := certs.LoadOrCreate(dir, !explicit, certs.CreateOptions{Constraints: planned, OwnerFunc: a.who, Now: a.now, Waiting: a.waitingFor(dir)})
	if err != nil {
		if existed {
			return a.badCA(dir, err) // there, but broken or not this user's
		}
		a.errorf("%v", err)
		return exitFail
	}
	if created {
		a.infof("created a new local CA in %s", dir)
		a.infof("it may vouch for %s", ca.Constraints.Describe())
	} else if len(permit) > 0 && !ca.Constraints.Covers(planned) {
		a.errorf("the CA in %s already exists and its constraints can't change; it permits: %s", dir, ca.Constraints)
		a.hintf("make a new CA that permits it: vouch --caroot NEW_FOLDER install %s", permitFlags(permit))
		return exitFail
	} else if only && !a.onlyMatches(dir, ca, planned) {
		a.hintf("vouch --caroot NEW_FOLDER install --only %s", permitFlags(permit))
		return exitFail
	}
	a.warnRisky(ca)
	a.warnExpiry(ca)
	root := a.keeping(rootOf(ca))

	unlock, ok := a.lockStores(dir)
	if !ok {
		return exitFail
	}
	defer unlock()
	code, _ := a.installIn(stores, named, root, sameCommand)
	return code
}

// sameCommand is installIn's rerun for commands that may run again as
// they are (install, trust).
const sameCommand = "the same vouch command"

// installIn trusts root in each store, leaving alone those that already
// trust it; it returns the exit code and how many stores trust it after.
// rerun is what the user runs again for what is left once they have run
// the commands printed for root: "the same vouch command", or for rotate,
// which must not run twice, "vouch install".
func (a *app) installIn(stores []truststore.Store, named bool, root truststore.Root, rerun string) (int, int) {
	code, trusted := exitOK, 0
	changedNSS := false
	// The stores that didn't trust the root until the system store's
	// refresh reached them (Debian's Java hook): "trusted now", not
	// "already trusted", is what happened in this run.
	var byRefresh []string
	// The system store's refresh is among the commands the user must run
	// as root: the stores in byRefresh wait for the next install, as their
	// own commands would add the root a second time (keytool, then the
	// refresh's Java hook).
	refreshPending := false
	// Run again, rotate would make yet another CA: it names install.
	finish := rerun
	if rerun == sameCommand {
		finish = a.commandLine("vouch")
	}
	if a.partialStops(stores, root, "install", finish, true, false) {
		return exitFail, trusted
	}
	settled := false
	for i, s := range stores {
		if a.halted(stores[i:], root, named, true, nil, finish, &settled) {
			return exitFail, trusted
		}
		// A store that already trusts the root is not touched: no command,
		// no sudo prompt.
		st := s.Status(root)
		if s.Name() == "system" {
			// Other users' roots are theirs, not stale, in what follows.
			if theirs, _, _ := a.foreignIn(st); len(theirs) > 0 {
				root.Keep = append(root.Keep, theirs...)
				st = s.Status(root)
			}
		}
		switch {
		case st.State == truststore.Trusted && slices.Contains(byRefresh, s.Name()):
			a.infof("%s: trusted now, by the system store's refresh (%s)", s.Name(), st.Reason)
			trusted++
			continue
		case st.State == truststore.Trusted && !st.Fragile:
			a.infof("%s: already trusted, nothing to do (%s)", s.Name(), st.Reason)
			trusted++
			continue
		case skippable(s, st, named):
			continue
		case refreshPending && slices.Contains(byRefresh, s.Name()):
			a.infof("%s: left for now: the system store's refresh, in the commands above, may trust it here too; after running them, run %s again for what is left", s.Name(), rerun)
			code = exitFail
			continue
		case st.State == truststore.NotPresent:
			a.errorf("%s: %s", s.Name(), st.Reason)
			if s.Name() == "system" && !named {
				a.hintf("%s", a.vouchCmd("install", "--stores", "nss,java"))
			}
			code = exitFail
			continue
		}
		a.guard()
		if s.Name() == "system" {
			picked, others := a.reached(stores)
			var ok bool
			if byRefresh, ok = a.prepareOthers(picked, others, root); !ok {
				return exitFail, trusted
			}
		}
		if changed, err := s.Install(context.Background(), root); err != nil {
			if nr := (*platform.NeedRootError)(nil); s.Name() == "system" && errors.As(err, &nr) {
				refreshPending = true
			}
			if a.missingTool(s.Name(), err, named) {
				if named {
					code = exitFail
				}
				continue
			}
			a.storeError(s.Name(), "install", finish, err)
			code = exitFail
			if changed {
				// Some of its databases or keystores took the root: say
				// where, and what a browser needs to see it.
				a.infof("%s: trusted now where it could be (%s)", s.Name(), s.Status(root).Reason)
				changedNSS = changedNSS || s.Name() == "nss"
			}
			continue
		}
		if st := s.Status(root); st.State == truststore.Trusted {
			a.infof("%s: trusted now (%s)", s.Name(), st.Reason)
			trusted++
			changedNSS = changedNSS || s.Name() == "nss"
		} else {
			a.errorf("%s: installed, but the store still says %s: %s", s.Name(), st.State, st.Reason)
			code = exitFail
		}
	}
	if changedNSS {
		a.infof("restart running browsers: they read their certificate databases when they start")
	}
	return code, trusted
}

// prepareOthers runs just before the system store changes: its refresh
// can change other stores too (Debian's update-ca-certificates runs the
// ca-certificates-java hook, which imports the anchor into Java's cacerts
// and rewrites the file), so each store it reaches (see reached) keeps
// what its uninstall needs to give it back byte for byte: those the user
// picked and those left out (others) alike. A no-op install never gets
// here (the system store already trusts the root), so it reads and writes
// nothing more than before. It returns the picked stores that lacked the
// root (whatever trusts it there afterwards is the refresh's doing). When
// a picked store can't prepare, it says why and reports false: nothing is
// installed then. One left out only warns: the user didn't ask for it,
// and the cost is that uninstall leaves it with the same entries in other
// bytes.
func (a *app) prepareOthers(picked, others []truststore.Preparer, root truststore.Root) (lacking []string, ok bool) {
	ok = true
	for _, p := range picked {
		lacks, err := p.Prepare(context.Background(), root)
		if a.refreshBlocked(p, err) {
			ok = false
		} else if err != nil {
			a.errorf("%s: the system store's refresh may change it too, and it could not keep a copy first, so nothing was installed: %v", p.Name(), err)
			ok = false
		}
		if lacks {
			lacking = append(lacking, p.Name())
		}
	}
	if !ok {
		return nil, false
	}
	for _, p := range others {
		_, err := p.Prepare(context.Background(), root)
		if a.refreshBlocked(p, err) {
			return nil, false
		} else if err != nil {
			a.warnf("%s: the system store's refresh may change it too, and it could not keep a copy first, so uninstall may leave it with the same entries but not the same bytes: %v", p.Name(), err)
		}
	}
	return lacking, true
}

// partialStops says so, and stops the command before any store changes,
// when a refresh that stopped part way left its half-written bundle and
// the system store has something to change: its change would fail, and
// the other stores, changed on their own, would leave the machine half
// done.
func (a *app) partialStops(stores []truststore.Store, root truststore.Root, verb, finish string, install, all bool) bool {
	for _, s := range stores {
		sys, ok := s.(*truststore.System)
		if !ok {
			continue
		}
		err := sys.PartialBlocks(root, install, all)
		if err == nil {
			return false
		}
		a.storeError(s.Name(), verb, finish, err)
		return true
	}
	return false
}

// refreshBlocked says so when the system store's refresh would break
// another store's tool (Debian's Java hook on a keystore it can't read):
// then nothing is installed, whether the user picked that store or not.
func (a *app) refreshBlocked(p truststore.Preparer, err error) bool {
	var rb *truststore.RefreshBlockedError
	if !errors.As(err, &rb) {
		return false
	}
	a.errorf("%s: %v; nothing was installed", p.Name(), rb)
	return true
}

// putBackOthers runs after the system store's uninstall changed it, for
// the stores it reaches that the user left out: its refresh reached them
// too (Debian's Java hook rebuilds cacerts, in new bytes), and their own
// Uninstall won't run to give back what prepareOthers kept.
func (a *app) putBackOthers(others []truststore.Preparer, root truststore.Root) {
	for _, p := range others {
		changed, err := p.PutBack(context.Background(), root)
		switch {
		case err != nil:
			a.warnf("%s: the system store's refresh rewrote it, and it could not be put back as it was before install: %v", p.Name(), err)
		case changed:
			a.infof("%s: the system store's refresh rewrote it; put back as it was before install", p.Name())
		}
	}
}

// reached lists the stores that a change to the system store can change
// too, each a truststore.Preparer: picked, those among stores (the user's
// choice), and others, those on this machine that stores leaves out. Only
// on Linux is there any: the distro's refresh rebuilds Java's cacerts
// (Debian's hook; Fedora's extracted java/cacerts). The macOS keychain and
// the Windows Root store change no other store, so there nothing is
// prepared or put back (and on macOS no java_home runs for it); the java
// store's own Install keeps its copy.
func (a *app) reached(stores []truststore.Store) (picked, others []truststore.Preparer) {
	if a.goos != "linux" {
		return nil, nil
	}
	for _, s := range stores {
		if p, is := s.(truststore.Preparer); is {
			picked = append(picked, p)
		}
	}
	for _, s := range a.leftOut(stores) {
		if p, is := s.(truststore.Preparer); is {
			others = append(others, p)
		}
	}
	return picked, others
}

// leftOut are this machine's stores that stores does not name.
func (a *app) leftOut(stores []truststore.Store) []truststore.Store {
	var out []truststore.Store
	for _, s := range a.stores() {
		if !slices.ContainsFunc(stores, func(q truststore.Store) bool { return q.Name() == s.Name() }) {
			out = append(out, s)
		}
	}
	return out
}

// lockStores takes the CA folder's lock for changing stores, so that
// concurrent installs and uninstalls take turns, and then the system
// store's (platform.StoreLockDir), so that runs with other CA folders, or
// other users' runs, take turns with them too.
func (a *app) lockStores(dir string) (func(), bool) {
	unlock, err := certs.Lock(dir, a.waitingFor(dir))
	if err != nil {
		a.errorf("%v", err)
		return nil, false
	}
	unlockSys := a.lockSystem()
	return func() { unlockSys(); unlock() }, true
}

// waitingFor is what to say while another vouch holds folder dir's lock.
func (a *app) waitingFor(dir string) func() {
	return func() { a.infof("waiting for another vouch that is using %s", dir) }
}

// lockSystem takes the system store's lock (see lockSystemFolder) until
// the returned function is called, which also ends a guard begun meanwhile.
func (a *app) lockSystem() func() {
	unlock := a.lockSystemFolder()
	return func() {
		if a.stopGuard != nil {
			a.stopGuard()
			a.stopGuard, a.interrupted = nil, nil
		}
		unlock()
	}
}

// guard holds off the signals that stop vouch (platform.Guard) from the
// first store change on, until the stores' lock is let go: a Ctrl-C then
// lets the change under way finish, and installIn and uninstallFrom stop
// before the next store (see halted). A no-op install never gets here.
func (a *app) guard() {
	if a.stopGuard != nil {
		return
	}
	// The notice comes from the Guard's goroutine, amid this one's lines.
	if _, ok := a.stderr.(*lockedWriter); !ok {
		a.stderr = &lockedWriter{w: a.stderr}
	}
	a.interrupted, a.stopGuard = platform.Guard(func() {
		a.infof("interrupted: finishing the change under way first, so that no store is left half changed")
	})
}

// lockedWriter lets two goroutines write whole lines to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// halted reports whether an interrupt came (see lockSystem) with stores
// left that may still need a change; those are then named, as they stay
// or, for uninstall, as the system store's refresh already took the root
// out (refreshed: the stores it reaches that held the root), with finish,
// the command that finishes the job. Stores this
// machine lacks don't count, nor, for install (trusted), those already
// trusting the root, as the system store's refresh can make them
// (Debian's Java hook). For uninstall there is no such test: a store
// that trusts the root no more may still have bytes to put back.
// settled is set once an interrupt found no such store: the stores left
// after it are fewer, and none moves away from what it found, so they are
// not read again.
func (a *app) halted(left []truststore.Store, root truststore.Root, named, trusted bool, refreshed []string, finish string, settled *bool) bool {
	if *settled || a.interrupted == nil || !a.interrupted() {
		return false
	}
	var same, unfinished []string
	for _, s := range left {
		st := s.Status(root)
		switch {
		case trusted && st.State == truststore.Trusted, skippable(s, st, named):
		case !trusted && st.State != truststore.Trusted && slices.Contains(refreshed, s.Name()):
			// Uninstall: the system store's refresh took the root out
			// already (Debian's Java hook), in new bytes.
			unfinished = append(unfinished, s.Name())
		default:
			same = append(same, s.Name())
		}
	}
	if len(same)+len(unfinished) == 0 {
		*settled = true
		return false
	}
	var parts []string
	if len(same) > 0 {
		parts = append(parts, strings.Join(same, ", ")+", which stay as they were")
	}
	if len(unfinished) > 0 {
		parts = append(parts, strings.Join(unfinished, ", ")+", which the system store's refresh already took the root out of, but which are not put back as they were before install yet")
	}
	a.errorf("interrupted: stopped before %s", strings.Join(parts, "; and "))
	a.hintf("%s   (to finish)", finish)
	return true
}

// lockSystemFolder takes the system store's lock (platform.StoreLockDir),
// where there is one, until the returned function is called. It asks the
// same system store the commands change (systemStore, which knows
// a.goos), so that a Windows run, real or a test's, locks no Linux folder.
func (a *app) lockSystemFolder() func() {
	sys, ok := a.systemStore(a.runner()).(*truststore.System)
	if !ok || sys.Err != nil {
		return func() {}
	}
	ld := platform.StoreLockDir(sys.Sys)
	if ld == "" {
		return func() {}
	}
	unlock, err := certs.LockDir(ld, func() {
		a.infof("waiting for another vouch that is changing the trust stores")
	})
	if err != nil {
		a.warnf("%v; another vouch changing the system store at the same time could make its refresh fail", err)
		return func() {}
	}
	return unlock
}

// storeError explains a failed store change; when root is needed and sudo
// can't help, it prints the commands to paste into a root shell. finish is
// the command that, run again, finishes the job.
func (a *app) storeError(store, verb, finish string, err error) {
	var nr *platform.NeedRootError
	if errors.As(err, &nr) {
		a.errorf("%s: can't %s: %v; run these as root:", store, verb, err)
		for _, c := range nr.Commands {
			fmt.Fprintln(a.stderr, c.String())
		}
		return
	}
	var ee *truststore.ElevationError
	if errors.As(err, &ee) {
		a.errorf("%s: %v", store, ee)
		a.hintf("run in an Administrator PowerShell: %s", ee.Command)
		return
	}
	a.errorf("%s: can't %s: %v", store, verb, err)
	var pe *platform.PartialError
	var re *platform.RefreshError
	switch {
	case errors.As(err, &pe):
		a.hintf("%s   (if no update-ca-certificates is running; then: %s)", pe.Fix(), finish)
	case errors.As(err, &re):
		// The anchors are back as they were, but the refresh may have
		// stopped with the links and bundles half rebuilt: running the
		// same command again, once the cause is gone, rebuilds them.
		why := "once what the refresh's output names is fixed"
		if strings.Contains(err.Error(), "No space left on device") {
			why = "once the disk has room"
		}
		a.hintf("%s   (%s: the refresh stopped part way, and may have left the store's links and bundles incomplete until one runs to its end)", finish, why)
	}
}

func uninstallCommand() *command {
	return &command{
		name:    "uninstall",
		usage:   "[--stores LIST] [--all-vouch-roots] [--purge] [--mkcert] [--machine]",
		summary: "take the CA's trust back out of every store",
		help: `Removes what vouch install added for this CA's root, and nothing else, from
every store (or those named by --stores / $TRUST_STORES).

For an mkcert CA that mkcert -install trusted, mkcert's own entries (its
system anchor, its NSS nickname, its Java aliases) are not vouch's and
stay, unless --mkcert: then they go too, as mkcert -uninstall takes them
out. mkcert's -uninstall is vouch uninstall --mkcert.

With --purge, the CA folder is deleted afterwards, and with it the CAs
vouch rotate retired into it: their roots are taken out of the stores
first, newest first, so that none is left trusted with no folder to
uninstall it from. Without --purge, their roots stay, and each that a
store still trusts is named, with the command that takes it out.

With no CA in the folder (deleted by hand), uninstall lists the entries
of vouch roots the stores still hold; --all-vouch-roots takes them out.

Run it as yourself, not under sudo: vouch asks for sudo itself where it
needs root.`,
		flags: func(fs *pflag.FlagSet) runner {
			caroot := fs.String("caroot", "", "the CA folder")
			stores := fs.String("stores", "", "comma-separated `LIST` of stores (default: all found)")
			all := fs.Bool("all-vouch-roots", false, "also remove anchors vouch wrote for other (older) roots")
			mkcert := fs.Bool("mkcert", false, "also remove mkcert's own entries for an mkcert CA's root, as mkcert -uninstall does")
			purge := fs.Bool("purge", false, "after uninstalling, delete the CA folder (retired CAs in it are uninstalled too)")
			machine := fs.Bool("machine", false, `Windows: take it out of LocalMachine\Root (needs an elevated shell)`)
			return func(a *app, args []string) int {
				if len(args) > 0 {
					return a.usageError("uninstall", "unexpected argument %q", args[0])
				}
				if code, ok := a.machineFlag("uninstall", *machine); !ok {
					return code
				}
				return a.cmdUninstall(*caroot, *stores, *all, *purge, *mkcert)
			}
		},
	}
}

func (a *app) cmdUninstall(caroot, storeList string, all, purge, mkcert bool) int {
	stores, named, err := a.selectStores(storeList)
	if err != nil {
		return a.usageError("uninstall", "%v", err)
	}
	if a.refuseSudo("uninstall", caroot, false) {
		return exitFail
	}
	dir, ca, err := a.loadCA(caroot)
	if errors.Is(err, certs.ErrNoCA) {
		return a.uninstallLeftBehind(dir, stores, named, all)
	}
	if err != nil {
		return a.badCA(dir, err)
	}
	root := a.keeping(rootOf(ca))
	root.Mkcert = mkcert
	if all && !a.keptKnown() {
		return exitFail
	}
	if all {
		a.keepForeign(stores, &root)
	}
	unlock, ok := a.lockStores(dir)
	if !ok {
		return exitFail
	}
	defer unlock()
	code, _, mkcertLeft := a.uninstallFrom(stores, named, root, all)
	if mkcertLeft && ca.Adopted && !mkcert {
		a.hintf("%s   (takes out mkcert's own entries for this root too, as mkcert -uninstall does)", a.vouchCmd("uninstall", "--mkcert"))
	}
	if purge && code == exitOK && !all {
		// The folder holds the CAs vouch rotate retired, whose roots stay
		// trusted until their own uninstall: once it is gone, none could
		// be named with --caroot any more. Newest first, the reverse of
		// their installs, so each store's copy from before each matches.
		// (--all-vouch-roots has taken them out with the current root.)
		retired := certs.Retired(dir)
		for i := len(retired) - 1; i >= 0 && code == exitOK; i-- {
			a.infof("the CA vouch rotate retired to %s goes with the folder; taking its root out too", retired[i].Dir)
			r := retiredRoot(retired[i])
			r.Keep = root.Keep // keeping's, read once above
			code, _, _ = a.uninstallFrom(stores, named, r, false)
		}
	}
	if !purge && !all {
		a.noteRetiredTrusted(dir, stores, root.Keep)
	}
	if purge && code == exitOK {
		if err := os.RemoveAll(dir); err != nil {
			a.errorf("can't delete the CA folder: %v", err)
			return exitFail
		}
		a.infof("deleted the CA folder %s", dir)
	}
	return code
}

// noteRetiredTrusted names each CA vouch rotate retired from dir whose root
// a store asked still trusts, with the command that takes it out: uninstall
// takes out the current root only, and its "removed" would otherwise read
// as though this CA folder left nothing trusted.
func (a *app) noteRetiredTrusted(dir string, stores []truststore.Store, keep []*x509.Certificate) {
	for _, old := range certs.Retired(dir) {
		r := retiredRoot(old)
		r.Keep = keep
		var in []string
		for _, s := range stores {
			if s.Status(r).State == truststore.Trusted {
				in = append(in, s.Name())
			}
		}
		if len(in) > 0 {
			a.infof("the root of the CA vouch rotate retired to %s is still trusted (%s), until %s", old.Dir, strings.Join(in, ", "), truststore.RetiredTakeOut(old.Dir))
		}
	}
}

// uninstallFrom takes root out of each store (with all, also the stale
// roots of other vouch CAs, never those root keeps); it returns the exit
// code, whether a store still trusts the root (through entries vouch did
// not write), and whether mkcert's entries are among those (which
// uninstall --mkcert takes out). A store the user named (--stores) that
// lacks its tool fails it.
func (a *app) uninstallFrom(stores []truststore.Store, named bool, root truststore.Root, all bool) (code int, left, mkcertLeft bool) {
	code = exitOK
	// The stores the system store's refresh reaches that hold the root
	// now: when the refresh takes it out of them (Debian's Java hook),
	// their own Uninstall finds nothing left, and "removed" is still what
	// happened in this run. Without the system store no refresh runs.
	var held []string
	if slices.ContainsFunc(stores, func(s truststore.Store) bool { return s.Name() == "system" }) {
		picked, _ := a.reached(stores)
		for _, p := range picked {
			if p.Status(root).State == truststore.Trusted {
				held = append(held, p.Name())
			}
		}
	}
	finish := a.commandLine("vouch")
	if a.partialStops(stores, root, "uninstall", finish, false, all) {
		return exitFail, left, mkcertLeft
	}
	a.guard()
	settled := false
	for i, s := range stores {
		if a.halted(stores[i:], root, named, false, held, finish, &settled) {
			return exitFail, left, mkcertLeft
		}
		changed, err := s.Uninstall(context.Background(), root, all)
		if err != nil {
			if a.missingTool(s.Name(), err, named) {
				if named {
					code = exitFail
				}
				continue
			}
			a.storeError(s.Name(), "uninstall", finish, err)
			code = exitFail
			continue
		}
		st := s.Status(root)
		switch {
		case len(st.Held) > 0:
			if changed {
				a.infof("%s: removed", s.Name())
			}
			a.warnf("%s: still trusted through entries vouch did not add, which it leaves: %s", s.Name(), strings.Join(st.Held, "; "))
			left = true
			mkcertLeft = mkcertLeft || st.Mkcert
		case st.State == truststore.Trusted:
			a.warnf("%s: still trusted: %s", s.Name(), st.Reason)
			left = true
			mkcertLeft = mkcertLeft || st.Mkcert
		case changed:
			a.infof("%s: removed", s.Name())
		case slices.Contains(held, s.Name()):
			a.infof("%s: removed, by the system store's refresh", s.Name())
		case skippable(s, st, named):
			// Not on this machine (no NSS database, not under WSL):
			// install said nothing of it either.
		default:
			a.infof("%s: nothing of vouch's there", s.Name())
		}
		if changed && s.Name() == "system" {
			_, others := a.reached(stores)
			a.putBackOthers(others, root)
		}
		if changed && s.Name() == "java" {
			a.warnRefill(stores, root)
		}
	}
	return code, left, mkcertLeft
}

// warnRefill says, after Java's uninstall without the system store's,
// when the system store still trusts the root and its full refresh
// rebuilds Java's cacerts from it (Debian's hook): the root comes back
// there at the next one, which a package upgrade may run.
func (a *app) warnRefill(stores []truststore.Store, root truststore.Root) {
	if slices.ContainsFunc(stores, func(s truststore.Store) bool { return s.Name() == "system" }) {
		return
	}
	if sys, ok := a.systemStore(a.runner()).(*truststore.System); ok && sys.FeedsJava() && sys.Status(root).State == truststore.Trusted {
		a.warnf("java: the system store still trusts this root, and Debian's full refresh (update-ca-certificates --fresh, which a package upgrade may run) rebuilds Java's cacerts from it, so the root comes back there")
		argv := append([]string{"vouch"}, withoutFlags(a.argv, "stores")...)
		a.hintf("%s   (takes it out of both)", platform.Cmd{Argv: append(argv, "--stores", "system,java")})
	}
}

func statusCommand() *command {
	return &command{
		name:    "status",
		usage:   "[--stores LIST] [--json] [--machine]",
		summary: "show the CA and, per store, whether it is trusted",
		help: `Shows the CA (folder, fingerprint, what it may vouch for, expiry, whether
the root key is on disk) and, for every store, whether the root is trusted
and why. Changes nothing. Exits 0 only when every store asked trusts it
and the CA has not expired.`,
		flags: func(fs *pflag.FlagSet) runner {
			caroot := fs.String("caroot", "", "the CA folder")
			stores := fs.String("stores", "", "comma-separated `LIST` of stores (default: all found)")
			asJSON := fs.Bool("json", false, "print JSON (the shape is in the README)")
			machine := fs.Bool("machine", false, `Windows: report on LocalMachine\Root instead of the user's Root store`)
			return func(a *app, args []string) int {
				if len(args) > 0 {
					return a.usageError("status", "unexpected argument %q", args[0])
				}
				if code, ok := a.machineFlag("status", *machine); !ok {
					return code
				}
				return a.cmdStatus(*caroot, *stores, *asJSON)
			}
		},
	}
}

// statusJSON is `vouch status --json`; its shape is documented in the
// README and pinned by a test.
type statusJSON struct {
	CA      *caJSON             `json:"ca"`
	Stores  []truststore.Status `json:"stores"`
	Trusted bool                `json:"trusted"`
	// Others are the roots trusted for other people (vouch trust).
	Others []otherJSON `json:"trusted_for_others"`
	// OtherUsers are the users of this machine whose vouch roots the
	// stores trust: theirs, so not among any store's stale entries.
	OtherUsers []string `json:"other_users,omitempty"`
}

type caJSON struct {
	Folder               string    `json:"folder"`
	FingerprintSHA256    string    `json:"fingerprint_sha256"`
	Subject              string    `json:"subject"`
	Constrained          bool      `json:"constrained"`
	PermittedDomains     []string  `json:"permitted_domains"`
	PermittedIPRanges    []string  `json:"permitted_ip_ranges"`
	Constraints          string    `json:"constraints"`
	RootNotAfter         time.Time `json:"root_not_after"`
	IntermediateNotAfter time.Time `json:"intermediate_not_after,omitzero"`
	RootKeyOnDisk        bool      `json:"root_key_on_disk"`
	Mkcert               bool      `json:"mkcert"`
	// Expired: the root or the issuing certificate has ended.
	Expired bool `json:"expired,omitempty"`
}

func (a *app) cmdStatus(caroot, storeList string, asJSON bool) int {
	stores, named, err := a.selectStores(storeList)
	if err != nil {
		return a.usageError("status", "%v", err)
	}
	a.warnSudo(caroot)
	dir, ca, err := a.loadCA(caroot)
	noCA := errors.Is(err, certs.ErrNoCA)
	if err != nil && !noCA {
		return a.badCA(dir, err)
	}
	res := statusJSON{Trusted: true, Stores: []truststore.Status{}}
	// The record of roots trusted for others, read once: their statuses,
	// and the roots no store may take for stale ones (the CA's own too,
	// this command's, --caroot's).
	book, bookErr := record.Load(a.stateDir())
	var friends []bookRoot
	// The roots folder's copies, not only the record's: a record moved
	// aside (damaged) leaves friends' roots that are not stale ones.
	var kept []*x509.Certificate
	if bookErr == nil {
		friends = a.readBook(book)
		for _, br := range friends {
			if br.err == nil {
				kept = append(kept, br.root.Cert)
			}
		}
		lost := book.Unrecorded()
		a.warnUnrecorded(book, lost)
		kept = append(kept, lost...)
	} else {
		kept = record.KeptRoots(a.stateDir())
	}
	keep := slices.Clone(kept)
	if ca != nil {
		keep = append([]*x509.Certificate{ca.Root}, keep...)
	}
	res.Others = a.othersStatus(stores, named, &res.Trusted, friends, bookErr, keep)
	if noCA {
		if r, err := a.noRoot(); err == nil {
			a.warnLeftBehind(dir, a.leftBehind(stores, r))
		}
	}
	if noCA && len(res.Others) == 0 {
		if asJSON {
			out, _ := json.MarshalIndent(statusJSON{Stores: []truststore.Status{}, Others: res.Others}, "", "  ")
			fmt.Fprintln(a.stdout, string(out))
		}
		a.errorf("there is no CA in %s yet", dir)
		// Beside the hint that takes left-behind roots out, say what this
		// one does: it trusts a new CA, it does not mend those.
		a.hintf("%s   (makes a new CA and trusts it)", a.vouchCmd("install"))
		return exitFail
	}
	if noCA {
		a.infof("there is no CA of your own in %s (vouch install makes one); the roots you trusted for others follow", dir)
	} else {
		// An expired CA is trusted by no client, whatever the stores hold:
		// status fails, so that a script's status || install sees it.
		expired := a.noteExpiry(ca, true)
		root := rootOf(ca)
		root.Keep = append(root.Keep, kept...) // as keeping does
		res.CA = describeCA(ca)
		res.CA.Expired = expired
		if expired {
			res.Trusted = false
		}
		for _, s := range stores {
			res.Stores = append(res.Stores, s.Status(root))
		}
		if res.OtherUsers = a.notTheirs(stores, res.Stores, &root); len(res.OtherUsers) > 0 {
			a.infof("the stores also trust vouch roots that %s made: theirs, not counted as stale here, and left alone by --all-vouch-roots", strings.Join(res.OtherUsers, ", "))
		}
		for i, s := range stores {
			if st := res.Stores[i]; st.State != truststore.Trusted && !skippable(s, st, named) {
				res.Trusted = false
			}
		}
	}
	if asJSON {
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			a.errorf("%v", err)
			return exitFail
		}
		fmt.Fprintln(a.stdout, string(out))
	} else {
		a.printStatus(res)
	}
	if !res.Trusted {
		// The stores that lack a root install can put in (not one
		// that is missing from the machine, nor an expired root).
		var lacking []string
		for _, st := range res.Stores {
			if st.State == truststore.NotTrusted {
				lacking = append(lacking, st.Store)
			}
		}
		if len(lacking) > 0 && (res.CA == nil || !res.CA.Expired) {
			args := []string{"install"}
			if named {
				args = append(args, "--stores", strings.Join(lacking, ","))
			}
			if a.machine {
				args = append(args, "--machine") // the store status asked about
			}
			a.hintf("%s   (trusts it where it is not trusted yet: %s)", a.vouchCmd(args...), strings.Join(lacking, ", "))
		}
		return exitFail
	}
	return exitOK
}

func describeCA(ca *certs.CA) *caJSON {
	c := &caJSON{
		Folder:            ca.Dir,
		FingerprintSHA256: certs.GroupedFingerprint(ca.Root),
		Subject:           ca.Root.Subject.String(),
		Constrained:       !ca.Unconstrained(),
		Constraints:       ca.Constraints.Describe(),
		RootNotAfter:      ca.Root.NotAfter.UTC(),
		RootKeyOnDisk:     ca.Adopted,
		Mkcert:            ca.Adopted,
		PermittedDomains:  []string{},
		PermittedIPRanges: []string{},
	}
	if !ca.Adopted {
		c.IntermediateNotAfter = ca.Issuer.NotAfter.UTC()
	}
	if ca.Constraints != nil {
		c.PermittedDomains = append(c.PermittedDomains, ca.Constraints.Domains...)
		for _, r := range ca.Constraints.Ranges {
			c.PermittedIPRanges = append(c.PermittedIPRanges, r.String())
		}
	}
	return c
}

func (a *app) printStatus(res statusJSON) {
	c := res.CA
	w := a.stdout
	defer a.printOthers(res.Others)
	if c == nil {
		return
	}
	fmt.Fprintf(w, "CA folder       %s\n", c.Folder)
	fmt.Fprintf(w, "fingerprint     SHA-256 %s\n", c.FingerprintSHA256)
	fmt.Fprintf(w, "subject         %s\n", c.Subject)
	fmt.Fprintf(w, "may vouch for   %s\n", c.Constraints)
	fmt.Fprintf(w, "root expires    %s\n", c.RootNotAfter.Format(time.DateOnly))
	if !c.IntermediateNotAfter.IsZero() {
		fmt.Fprintf(w, "issuer expires  %s\n", c.IntermediateNotAfter.Format(time.DateOnly))
	}
	if c.RootKeyOnDisk {
		fmt.Fprintf(w, "root key        ON DISK (an mkcert CA): whoever copies it can sign for %s\n", c.Constraints)
	} else {
		fmt.Fprintf(w, "root key        never written (only the issuing key is on disk)\n")
	}
	for _, s := range res.Stores {
		where := s.Where
		if where != "" {
			where = " [" + where + "]"
		}
		fmt.Fprintf(w, "%-15s %s%s: %s\n", s.Store, strings.ToUpper(string(s.State)), where, s.Reason)
	}
}
