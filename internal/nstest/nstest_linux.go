//go:build linux

package nstest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The variables the parent hands the child.
const (
	childEnv    = "VOUCH_NSTEST_CHILD"    // t.Name() of the test the child runs
	parentNSEnv = "VOUCH_NSTEST_PARENTNS" // the parent's /proc/self/ns/mnt
	dirEnv      = "VOUCH_NSTEST_DIR"      // an empty folder the child mounts its tmpfs on
)

// marker starts the lines the child prints so that the parent knows the body
// really ran, and how it ended.
const marker = "=nstest="

// trustCandidates are the folders and files where Linux trust stores live.
// Those that exist are copied; nested ones ride along with their parent.
var trustCandidates = []string{
	"/etc/ssl",                         // Debian/Alpine bundle, hash links, certs/java/cacerts
	"/etc/ssl/certs/java",              // Debian's Java cacerts (inside /etc/ssl here)
	"/etc/pki",                         // Fedora/RHEL ca-trust, system NSS db
	"/etc/ca-certificates",             // Debian update.d hooks; Arch trust-source
	"/etc/ca-certificates.conf",        // Debian's list of enabled CA files
	"/usr/local/share/ca-certificates", // Debian/Alpine local roots
	"/usr/share/ca-certificates",       // Debian packaged roots; Arch trust-source
	"/usr/share/pki",                   // openSUSE/Fedora packaged anchors
	"/var/lib/ca-certificates",         // openSUSE generated bundles
	"/var/lib/ca-certificates-java",    // ca-certificates-java's pending/fresh queue
}

// stateCandidates are not trust stores but are written when Debian's
// update-ca-certificates runs its jks-keystore hook: the hook queues a dpkg
// trigger and runs `dpkg --triggers-only --pending`, which rewrites dpkg's
// status and trigger files and appends to dpkg.log.
var stateCandidates = []string{
	"/var/lib/dpkg",
	"/var/log/dpkg.log",
}

// overlaid are the folders shadowed by an overlay rather than a copy: dpkg's
// database is thousands of files, and copying it would triple Run's cost.
var overlaid = map[string]bool{"/var/lib/dpkg": true}

// stateGuard are the parts of stateCandidates the parent checks, kept small so
// that the check stays fast: what dpkg writes when a trigger is processed.
var stateGuard = []string{
	"/var/lib/dpkg/status",
	"/var/lib/dpkg/triggers",
	"/var/lib/dpkg/updates",
	"/var/log/dpkg.log",
}

// TrustPaths returns the trust-store locations that exist on this machine,
// symbolic links resolved, sorted, without any that lie inside another. It
// includes the folder of each JDK's cacerts wherever that file really lies
// (a JDK's own lib/security, or whatever a link points to), for every JDK
// where vouch's Java store looks outside HOME: /usr/lib/jvm, /usr/lib64/jvm,
// /usr/java, /opt/java, /usr/local/openjdk*, $JAVA_HOME and the java on
// PATH. (Version managers' JDKs live in HOME, which the body gets fresh.)
func TrustPaths() []string {
	return existing(append(append([]string(nil), trustCandidates...), jdkSecurityDirs()...))
}

func jdkSecurityDirs() []string {
	homes := []string{
		"/usr/lib/jvm/*",
		"/usr/lib64/jvm/*",
		"/usr/java/*",
		"/opt/java/*",
		"/usr/local/openjdk*",
	}
	if home := os.Getenv("JAVA_HOME"); home != "" {
		homes = append(homes, home)
	}
	if java, err := exec.LookPath("java"); err == nil {
		if real, err := filepath.EvalSymlinks(java); err == nil {
			homes = append(homes, filepath.Dir(filepath.Dir(real)))
		}
	}
	var dirs []string
	for _, home := range homes {
		for _, rel := range []string{"lib/security/cacerts", "jre/lib/security/cacerts"} {
			matches, _ := filepath.Glob(filepath.Join(home, rel))
			for _, m := range matches {
				// The folder of the file itself: a link's own folder would
				// shadow the link, not the keystore it points to.
				real, err := filepath.EvalSymlinks(m)
				if err != nil {
					continue
				}
				if info, err := os.Stat(real); err == nil && info.Mode().IsRegular() {
					dirs = append(dirs, filepath.Dir(real))
				}
			}
		}
	}
	return dirs
}

// existing resolves paths, drops those that do not exist, sorts them and
// drops any that lie inside another.
func existing(paths []string) []string {
	var real []string
	for _, p := range paths {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			real = append(real, r)
		}
	}
	sort.Strings(real)
	var out []string
next:
	for _, p := range real {
		for _, q := range out {
			if p == q || strings.HasPrefix(p, q+"/") {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}

func guardPaths() []string {
	return append(TrustPaths(), existing(stateGuard)...)
}

func shadowPaths() []string {
	return existing(append(TrustPaths(), stateCandidates...))
}

// Run runs body in a child copy of the test binary inside a new private mount
// namespace whose trust stores are tmpfs copies, and fails t if the body
// fails, if it never ran, or if the machine's real trust stores changed
// meanwhile. It skips t when not root, when unshare is missing or when the
// kernel refuses the namespace; under VOUCH_E2E=1 it fails t instead.
//
// The whole test function runs again in the child, up to and including Run;
// the child stops the test once the body returns, so code after Run runs only
// in the parent. Call Run at most once per test; use subtests for more.
func Run(t *testing.T, body func(t *testing.T, env *Env)) {
	t.Helper()
	if name, ok := os.LookupEnv(childEnv); ok {
		if inBody.Load() {
			t.Fatal("nstest: Run called from inside another Run's body")
		}
		if name != t.Name() {
			// Another test's Run on the way to the one this child is for.
			return
		}
		runChild(t, body)
		return
	}
	if _, again := called.LoadOrStore(t, true); again {
		// The child would run the first body again and pass it off as this one.
		t.Fatal("nstest: Run called twice in one test; give each body its own subtest")
	}
	runParent(t)
}

// inBody is set while the child runs a body; Run is not reentrant.
var inBody atomic.Bool

// called holds each test that has called Run in the parent.
var called sync.Map

// runPattern is the -test.run pattern that selects exactly the test named
// name: each slash-separated element quoted and anchored.
func runPattern(name string) string {
	elems := strings.Split(name, "/")
	for i, e := range elems {
		elems[i] = "^" + regexp.QuoteMeta(e) + "$"
	}
	return strings.Join(elems, "/")
}

func markerLine(kind, name string) string {
	return marker + " " + kind + " " + strconv.Quote(name)
}

func runParent(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFatal(t, "nstest: needs root to make a mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		skipOrFatal(t, "nstest: unshare not found (apt install util-linux)")
	}
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		skipOrFatal(t, fmt.Sprintf("nstest: cannot read this process's mount namespace: %v", err))
	}

	guard := guardPaths()
	start := time.Now()
	before, err := Snapshot(guard...)
	if err != nil {
		t.Fatalf("nstest: %v", err)
	}
	snapTime := time.Since(start)

	pattern := runPattern(t.Name())
	cmd := childCommand(t, unshare, exe, t.Name(), pattern, ns, t.TempDir())
	childStart := time.Now()
	out, runErr := runLogged(t, cmd)
	childTime := time.Since(childStart)

	after, err := Snapshot(guard...)
	if err != nil {
		t.Fatalf("nstest: %v", err)
	}
	if d := Diff(before, after); d != "" {
		t.Errorf("nstest: the machine's real trust stores changed while the child ran:\n%s\n"+
			"(dpkg files also change when apt or dpkg runs on this machine meanwhile)", d)
	}
	t.Logf("nstest: child ran in %v; each real-store snapshot took %v (%d paths)",
		childTime.Round(time.Millisecond), snapTime.Round(time.Millisecond), len(guard))

	v := judge(t.Name(), pattern, out, runErr)
	switch {
	case v.err != nil:
		t.Fatalf("nstest: %v", v.err)
	case v.envSkip != "":
		skipOrFatal(t, v.envSkip)
	case v.bodySkip:
		t.Skip("nstest: the body skipped itself in the child (see the log above)")
	}
}

// childCommand is the command that runs the test binary exe again inside a
// new private mount namespace, selecting the tests that match pattern and
// telling the child which test (name) it is for and where its scratch folder is.
func childCommand(t *testing.T, unshare, exe, name, pattern, ns, dir string) *exec.Cmd {
	args := []string{"--mount", "--propagation", "private", "--", exe,
		"-test.run=" + pattern, "-test.v", "-test.count=1", "-test.paniconexit0"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	if deadline, ok := t.Deadline(); ok {
		if left := time.Until(deadline) * 9 / 10; left > 0 {
			args = append(args, "-test.timeout="+left.String())
		}
	}
	cmd := exec.Command(unshare, args...)
	cmd.Env = append(os.Environ(),
		childEnv+"="+name,
		parentNSEnv+"="+ns,
		dirEnv+"="+dir)
	// If this process dies, the child must not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// runLogged runs cmd with its stdout and stderr going to t.Log line by line
// as they come, and returns them.
func runLogged(t *testing.T, cmd *exec.Cmd) (string, error) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatalf("nstest: %v", err)
	}
	defer pr.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		t.Fatalf("nstest: failed to start %s: %v", cmd.Path, err)
	}
	pw.Close()
	waited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		// A process the body left running may hold the pipe open; stop
		// reading shortly after the child itself has gone.
		pr.SetReadDeadline(time.Now().Add(5 * time.Second))
		waited <- err
	}()
	var all strings.Builder
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line)
		all.WriteByte('\n')
		t.Log("child| " + line)
	}
	if err := sc.Err(); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Log("nstest: processes left by the child still hold its output open; stopped reading")
	} else if err != nil && !errors.Is(err, io.EOF) {
		t.Logf("nstest: reading the child's output: %v", err)
	}
	return all.String(), <-waited
}

// verdict is what the parent concludes from the child's output and exit.
type verdict struct {
	err      error  // the test fails
	envSkip  string // a prerequisite is missing: skip, or fail under VOUCH_E2E=1
	bodySkip bool   // the body itself skipped
}

// judge reads the child's output for the marker lines the child prints, so
// that a child which ran no test, or not this one, can never pass.
func judge(name, pattern, out string, runErr error) verdict {
	var started, passed, bodySkip bool
	var envSkip string
	skipPrefix := markerLine("skip-env", name) + " "
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == markerLine("start", name):
			started = true
		case line == markerLine("pass", name):
			passed = true
		case line == markerLine("skip-body", name):
			bodySkip = true
		case strings.HasPrefix(line, skipPrefix):
			envSkip = strings.TrimPrefix(line, skipPrefix)
		}
	}
	switch {
	case !started && strings.Contains(out, "unshare failed") && strings.Contains(out, "Operation not permitted"):
		return verdict{envSkip: "nstest: the kernel refused a new mount namespace (unshare: Operation not permitted)"}
	case !started && strings.Contains(out, "no tests to run"):
		return verdict{err: fmt.Errorf("the child ran no test: -test.run %q matched nothing", pattern)}
	case !started:
		return verdict{err: fmt.Errorf("the child never reached the body of %s (exit: %v)", name, runErr)}
	case envSkip != "" && runErr == nil:
		return verdict{envSkip: envSkip}
	case runErr != nil:
		return verdict{err: fmt.Errorf("the body failed in the child: %v", runErr)}
	case bodySkip:
		return verdict{bodySkip: true}
	case !passed:
		return verdict{err: errors.New("the child exited 0 but never reported that the body passed")}
	}
	return verdict{}
}

func runChild(t *testing.T, body func(t *testing.T, env *Env)) {
	t.Helper()
	fmt.Printf("\n%s\n", markerLine("start", t.Name()))
	if err := checkPrivate(); err != nil {
		t.Fatalf("nstest: refusing to mount anything: %v", err)
	}
	start := time.Now()
	env, stats, err := setup(os.Getenv(dirEnv))
	if err != nil {
		if errors.Is(err, unix.EPERM) {
			reason := fmt.Sprintf("nstest: mounting is not permitted here: %v", err)
			fmt.Printf("\n%s %s\n", markerLine("skip-env", t.Name()), reason)
			t.Skip(reason)
		}
		t.Fatalf("nstest: %v", err)
	}
	t.Logf("nstest: namespace ready in %v: %s", time.Since(start).Round(time.Millisecond), stats)

	inBody.Store(true)
	returned := false
	defer func() {
		if !returned && t.Skipped() && !t.Failed() {
			fmt.Printf("\n%s\n", markerLine("skip-body", t.Name()))
		}
	}()
	body(t, env)
	returned = true
	if t.Failed() {
		t.FailNow()
	}
	fmt.Printf("\n%s\n", markerLine("pass", t.Name()))
	// Stop the test here: what follows Run belongs to the parent, and here
	// the mounts are still in place (the body's t.Cleanup functions must
	// still see them, so they are never undone; the namespace dies with
	// this process).
	t.Skip("nstest: body passed in the namespace; the code after nstest.Run runs in the parent only")
}

// checkPrivate proves that this process is not in its parent's mount
// namespace and that no mount here propagates anywhere else.
func checkPrivate() error {
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		return err
	}
	if parent := os.Getenv(parentNSEnv); parent == "" || parent == self {
		return fmt.Errorf("still in the parent's mount namespace %s", self)
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		for i := 6; i < len(fields) && fields[i] != "-"; i++ {
			if strings.HasPrefix(fields[i], "shared:") {
				return fmt.Errorf("mount %s is shared with another namespace", fields[4])
			}
		}
	}
	return nil
}

// copyStats counts what setup copied.
type copyStats struct {
	paths, files int
	bytes        int64
	overlays     []string
}

func (s copyStats) String() string {
	msg := fmt.Sprintf("%d paths shadowed, %d entries (%.1f MB) copied to tmpfs", s.paths, s.files, float64(s.bytes)/1e6)
	if len(s.overlays) > 0 {
		msg += ", overlay on " + strings.Join(s.overlays, " ")
	}
	return msg
}

// setup mounts a tmpfs on dir for the body's HOME and TMPDIR, shadows every
// path of shadowPaths with a tmpfs copy (a bind-mounted copy for a single
// file), and points the environment at the new HOME.
func setup(dir string) (*Env, copyStats, error) {
	var stats copyStats
	if dir == "" || !filepath.IsAbs(dir) {
		return nil, stats, fmt.Errorf("no scratch folder from the parent (%s=%q)", dirEnv, dir)
	}
	if err := unix.Mount("nstest", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return nil, stats, fmt.Errorf("failed to mount tmpfs on %s: %w", dir, err)
	}
	for i, p := range shadowPaths() {
		info, err := os.Lstat(p)
		if err != nil {
			return nil, stats, err
		}
		stage := filepath.Join(dir, "stage", strconv.Itoa(i))
		switch {
		case info.IsDir() && overlaid[p]:
			err = shadowOverlay(p, stage, info)
			if err == nil {
				stats.overlays = append(stats.overlays, p)
			} else if !errors.Is(err, unix.EPERM) {
				// No overlayfs here: copy the folder instead.
				err = shadowDir(p, filepath.Join(dir, "stage", strconv.Itoa(i)+"-copy"), &stats)
			}
		case info.IsDir():
			err = shadowDir(p, stage, &stats)
		case info.Mode().IsRegular():
			err = shadowFile(p, stage, info, &stats)
		default:
			err = fmt.Errorf("cannot shadow %s: %s", p, info.Mode().Type())
		}
		if err != nil {
			return nil, stats, err
		}
		stats.paths++
	}

	home := filepath.Join(dir, "home")
	tmp := filepath.Join(dir, "tmp")
	run := filepath.Join(home, ".run")
	for _, d := range []string{home, tmp, run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, stats, err
		}
	}
	if err := os.Chmod(tmp, 0o1777); err != nil {
		return nil, stats, err
	}
	// Keep Go's caches and settings where they were: a body that builds
	// vouch should not start from an empty build cache.
	if _, ok := os.LookupEnv("GOCACHE"); !ok {
		if d, err := os.UserCacheDir(); err == nil {
			os.Setenv("GOCACHE", filepath.Join(d, "go-build"))
		}
	}
	if _, ok := os.LookupEnv("GOENV"); !ok {
		if d, err := os.UserConfigDir(); err == nil {
			os.Setenv("GOENV", filepath.Join(d, "go", "env"))
		}
	}
	if _, ok := os.LookupEnv("GOPATH"); !ok {
		if h, err := os.UserHomeDir(); err == nil {
			os.Setenv("GOPATH", filepath.Join(h, "go"))
		}
	}
	for k, v := range map[string]string{
		"HOME":            home,
		"TMPDIR":          tmp,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR": run,
	} {
		os.Setenv(k, v)
	}
	// A CA folder named in the environment lies outside the namespace.
	os.Unsetenv("CAROOT")
	os.Unsetenv("VOUCH_CAROOT")
	// Run under sudo, vouch would refuse to use this HOME's CA folder.
	os.Unsetenv("SUDO_UID")
	return &Env{Home: home, Paths: TrustPaths(), scratch: dir}, stats, nil
}

// shadowDir copies the folder p into a fresh tmpfs mounted at stage, then
// moves that mount onto p.
func shadowDir(p, stage string, stats *copyStats) error {
	if err := os.MkdirAll(stage, 0o700); err != nil {
		return err
	}
	if err := unix.Mount("nstest", stage, "tmpfs", 0, "mode=0700"); err != nil {
		return fmt.Errorf("failed to mount tmpfs for %s: %w", p, err)
	}
	if err := copyTree(p, stage, stats); err != nil {
		return fmt.Errorf("failed to copy %s: %w", p, err)
	}
	if err := unix.Mount(stage, p, "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("failed to mount the copy of %s: %w", p, err)
	}
	return nil
}

// shadowOverlay mounts an overlay on p whose upper layer lies on the scratch
// tmpfs: reads fall through to the real folder, writes (including renames
// and removals) land on the tmpfs, and nothing is copied up front.
func shadowOverlay(p, stage string, info fs.FileInfo) error {
	upper, work := filepath.Join(stage, "upper"), filepath.Join(stage, "work")
	for _, d := range []string{upper, work} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	// The merged folder takes its mode and owner from the upper one.
	if err := setAttrs(upper, info); err != nil {
		return err
	}
	opts := "lowerdir=" + p + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("nstest", p, "overlay", 0, opts); err != nil {
		return fmt.Errorf("failed to mount an overlay on %s: %w", p, err)
	}
	return nil
}

// shadowFile copies the single file p to stage on the scratch tmpfs and bind
// mounts the copy onto p. Writes in place work; renaming another file onto p
// fails with EBUSY, as it would for any mount point.
func shadowFile(p, stage string, info fs.FileInfo, stats *copyStats) error {
	if err := os.MkdirAll(filepath.Dir(stage), 0o700); err != nil {
		return err
	}
	if err := copyFile(p, stage, info, stats); err != nil {
		return fmt.Errorf("failed to copy %s: %w", p, err)
	}
	if err := unix.Mount(stage, p, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("failed to bind the copy of %s: %w", p, err)
	}
	return nil
}

// copyTree copies the contents of folder src into the existing folder dst,
// keeping symbolic links as links, modes, owners and times, then gives dst
// src's own mode, owner and times.
func copyTree(src, dst string, stats *copyStats) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		info, err := os.Lstat(s)
		if err != nil {
			return err
		}
		switch {
		case info.Mode().Type() == fs.ModeSymlink:
			target, err := os.Readlink(s)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, d); err != nil {
				return err
			}
			if err := setAttrs(d, info); err != nil {
				return err
			}
			stats.files++
		case info.IsDir():
			if err := os.Mkdir(d, 0o700); err != nil {
				return err
			}
			if err := copyTree(s, d, stats); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(s, d, info, stats); err != nil {
				return err
			}
		default:
			return fmt.Errorf("cannot copy %s: %s", s, info.Mode().Type())
		}
	}
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	stats.files++
	return setAttrs(dst, info)
}

func copyFile(src, dst string, info fs.FileInfo, stats *copyStats) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	stats.files++
	stats.bytes += n
	return setAttrs(dst, info)
}

// setAttrs gives path the owner, mode and times in info; for a symbolic
// link, the owner and times of the link itself.
func setAttrs(path string, info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("no owner for %s", path)
	}
	if err := os.Lchown(path, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	times := []unix.Timespec{
		unix.NsecToTimespec(syscall.TimespecToNsec(st.Atim)),
		unix.NsecToTimespec(syscall.TimespecToNsec(st.Mtim)),
	}
	if info.Mode().Type() == fs.ModeSymlink {
		return unix.UtimesNanoAt(unix.AT_FDCWD, path, times, unix.AT_SYMLINK_NOFOLLOW)
	}
	// After chown, which clears set-user-ID and set-group-ID bits.
	mode := info.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	if err := os.Chmod(path, mode); err != nil {
		return err
	}
	return unix.UtimesNano(path, times)
}

// SetHosts makes /etc/hosts, inside the namespace only, hold content: a file
// on the body's tmpfs bound onto /etc/hosts, so that name lookups through
// the system resolver (glibc, Go, Python, curl) send a test's names where
// the body says. Calling it again replaces the content in place.
func (e *Env) SetHosts(content string) error {
	if err := checkPrivate(); err != nil {
		return fmt.Errorf("refusing to bind /etc/hosts: %w", err)
	}
	if e.scratch == "" {
		return errors.New("SetHosts: this Env was not made by Run")
	}
	file := filepath.Join(e.scratch, "hosts")
	// Written in place (same inode), so a bound file sees the new content.
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		return err
	}
	if e.hostsBound {
		return nil
	}
	if err := unix.Mount(file, "/etc/hosts", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("failed to bind %s onto /etc/hosts: %w", file, err)
	}
	e.hostsBound = true
	return nil
}
