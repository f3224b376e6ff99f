package platform

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

// JavaSearch is everything FindJava looks at: a file-system root, a home
// folder, the environment and the operating system whose layout applies.
// FindJava reads nothing else (no init-time probing, no os.Getenv), so tests
// hand it temp trees and made-up environments, Windows ones included.
type JavaSearch struct {
	// Root is where the file system starts: "" or "/" for this machine's
	// own, a temp folder in tests. Under a temp Root, absolute symbolic
	// links resolve inside Root, and Windows paths map drive letter C: to
	// the folder Root/C.
	Root string
	// Home is the user's home folder, as the machine names it.
	Home string
	// Getenv reads the environment; nil reads an empty one.
	Getenv func(string) string
	// GOOS picks the per-OS locations (runtime.GOOS when empty).
	GOOS string
	// Homes are JDK homes learnt some other way (macOS's java_home),
	// searched after $JAVA_HOME and the java on PATH.
	Homes []string
	// Recorded are the homes (as found, host paths) of keystores an
	// earlier vouch install changed, searched last: a JDK found then only
	// through $JAVA_HOME or the PATH of that shell still trusts the root,
	// and status and uninstall must reach it from any shell.
	Recorded []string

	// ends, during one FindJava, remembers where the paths it resolved
	// lead (see linkEnds); nil resolves each path anew.
	ends *linkEnds
}

// JavaHome is one JDK or JRE found, and how.
type JavaHome struct {
	// Dir is the home folder as found (links not resolved, so the name
	// the user knows it by).
	Dir string
	// From says how it was found: "$JAVA_HOME", "java on PATH",
	// "/usr/lib/jvm", "SDKMAN", ...
	From string
	// Keytool is its keytool, "" when it has none.
	Keytool string
}

// JavaKeystore is one cacerts file and every JDK that reads it. A file that
// several JDKs reach through symbolic links (Debian's shared
// /etc/ssl/certs/java/cacerts) is one JavaKeystore, changed once.
type JavaKeystore struct {
	// Path is the file itself, every symbolic link resolved.
	Path string
	// Links are the other paths found that lead to Path.
	Links []string
	// Homes are the JDKs and JREs whose cacerts it is, in search order.
	Homes []JavaHome
}

// Keytool is the keytool of the first JDK using k that has one, and that
// JDK's home; "" when none has. A keystore is changed only with the
// keytool of a JDK that reads it: an older JDK may not read the PKCS#12
// that a newer keytool writes.
func (k JavaKeystore) Keytool() (keytool, home string) {
	for _, h := range k.Homes {
		if h.Keytool != "" {
			return h.Keytool, h.Dir
		}
	}
	return "", ""
}

// JavaLookedIn lists the places FindJava searches, for a "not found" message.
func JavaLookedIn(s JavaSearch) []string {
	var out []string
	for _, c := range s.candidates() {
		out = append(out, c.label)
	}
	return out
}

// FindJava returns the cacerts of every JDK and JRE found, in search order:
// $JAVA_HOME, the java on PATH (followed through its links), s.Homes, then
// the per-OS install folders and the version managers' (SDKMAN, asdf, mise,
// IntelliJ's ~/.jdks). A JDK's cacerts is lib/security/cacerts, or
// jre/lib/security/cacerts for Java 8.
func FindJava(s JavaSearch) []JavaKeystore {
	var (
		stores    []JavaKeystore
		seenHome  = map[string]bool{}
		storeInfo []fs.FileInfo
	)
	s.ends = &linkEnds{m: map[string]linkEnd{}}
	for _, c := range s.candidates() {
		for _, dir := range c.dirs(s) {
			for _, home := range []string{dir, filepath.Join(dir, "Contents", "Home")} {
				s.addHome(home, c.from, seenHome, &stores, &storeInfo)
			}
		}
	}
	return stores
}

func (s JavaSearch) addHome(home, from string, seenHome map[string]bool, stores *[]JavaKeystore, infos *[]fs.FileInfo) {
	realHome, err := s.resolve(home)
	if err != nil || seenHome[realHome] {
		return
	}
	info, err := s.statResolved(realHome)
	if err != nil || !info.IsDir() {
		return
	}
	seenHome[realHome] = true
	jh := JavaHome{Dir: home, From: from, Keytool: s.keytool(home)}
	for _, rel := range [][]string{{"lib", "security", "cacerts"}, {"jre", "lib", "security", "cacerts"}} {
		p := filepath.Join(append([]string{home}, rel...)...)
		real, err := s.resolve(p)
		if err != nil {
			continue
		}
		fi, err := s.statResolved(real)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		i := findJavaStore(*stores, *infos, real, fi)
		if i < 0 {
			*stores = append(*stores, JavaKeystore{Path: real})
			*infos = append(*infos, fi)
			i = len(*stores) - 1
		}
		k := &(*stores)[i]
		if p != k.Path && !javaContains(k.Links, p) {
			k.Links = append(k.Links, p)
		}
		if !javaHasHome(k.Homes, jh.Dir) {
			k.Homes = append(k.Homes, jh)
		}
	}
}

// UnusedJavaHome says why $JAVA_HOME, when it is set, added no keystore to
// found (what FindJava returned): a typo in it, a JDK since removed, or a
// folder inside or above a JDK would otherwise leave the user believing
// the JDK they meant was the one checked. "" when it is unset or was used.
func (s JavaSearch) UnusedJavaHome(found []JavaKeystore) string {
	v := s.getenv("JAVA_HOME")
	if v == "" {
		return ""
	}
	jh, jerr := s.resolve(s.host(v))
	for _, k := range found {
		for _, h := range k.Homes {
			if h.From == "$JAVA_HOME" {
				return ""
			}
			if jerr != nil {
				continue
			}
			home, err := s.resolve(h.Dir)
			_, inside := relWithin(home, jh)
			_, above := relWithin(jh, home)
			switch {
			case err != nil:
			case inside:
				return fmt.Sprintf("$JAVA_HOME is %s, inside the Java at %s, which was checked; JAVA_HOME is meant to be that folder", v, s.machine(h.Dir))
			case above:
				return fmt.Sprintf("$JAVA_HOME is %s, a folder above the Java at %s, which was checked; JAVA_HOME is meant to be one Java's own folder", v, s.machine(h.Dir))
			}
		}
	}
	why := "which holds no lib/security/cacerts"
	st, err := s.stat(s.host(v))
	switch {
	case err != nil:
		why = "which does not exist"
	case !st.IsDir():
		why = "which is not a folder"
	default:
		if m, ok := s.noStore(s.host(v), "$JAVA_HOME", map[string]bool{}); ok && m.Target != "" {
			why = fmt.Sprintf("whose %s leads to %s, which is missing", s.machine(m.Path), m.Target)
		}
	}
	return fmt.Sprintf("$JAVA_HOME is %s, %s, so no Java there was checked", v, why)
}

// relWithin is path relative to dir, and whether path is dir or lies
// below it.
func relWithin(dir, path string) (string, bool) {
	rel, err := filepath.Rel(dir, path)
	return rel, err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// machine is the host path p as the machine names it (p without a test's
// Root).
func (s JavaSearch) machine(p string) string {
	if s.Root == "" || s.Root == "/" {
		return p
	}
	if rel, err := filepath.Rel(s.Root, p); err == nil {
		return "/" + filepath.ToSlash(rel)
	}
	return p
}

// JavaNoStore is a JDK or JRE whose cacerts is missing: a link to nowhere
// (Debian's, once /etc/ssl/certs/java/cacerts is deleted), or no file.
// FindJava leaves it out; FindJavaWithoutStore says why Java was not found.
type JavaNoStore struct {
	Home JavaHome
	// Path is where its cacerts should be; Target is where that link
	// points, "" when Path is no link.
	Path, Target string
}

// FindJavaWithoutStore returns the JDKs and JREs (a home with bin/java) that
// have no cacerts, in FindJava's search order.
func FindJavaWithoutStore(s JavaSearch) []JavaNoStore {
	var out []JavaNoStore
	seen := map[string]bool{}
	for _, c := range s.candidates() {
		for _, dir := range c.dirs(s) {
			for _, home := range []string{dir, filepath.Join(dir, "Contents", "Home")} {
				if m, ok := s.noStore(home, c.from, seen); ok {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

func (s JavaSearch) noStore(home, from string, seen map[string]bool) (JavaNoStore, bool) {
	real, err := s.resolve(home)
	if err != nil || seen[real] {
		return JavaNoStore{}, false
	}
	seen[real] = true
	if fi, err := s.stat(filepath.Join(home, "bin", s.exe("java"))); err != nil || !fi.Mode().IsRegular() {
		return JavaNoStore{}, false
	}
	m := JavaNoStore{Home: JavaHome{Dir: home, From: from}}
	for _, rel := range [][]string{{"lib", "security", "cacerts"}, {"jre", "lib", "security", "cacerts"}} {
		p := filepath.Join(append([]string{home}, rel...)...)
		if fi, err := s.stat(p); err == nil && fi.Mode().IsRegular() {
			return JavaNoStore{}, false
		}
		// A link that leads nowhere says best where the store should be.
		if target, err := os.Readlink(p); err == nil && m.Target == "" {
			m.Path, m.Target = p, target
		}
	}
	if m.Path == "" {
		m.Path = filepath.Join(home, "lib", "security", "cacerts")
	}
	return m, true
}

// findJavaStore finds a keystore already seen, by resolved path or, for hard
// links, bind mounts and case-insensitive names, by file identity.
func findJavaStore(stores []JavaKeystore, infos []fs.FileInfo, path string, fi fs.FileInfo) int {
	for i, k := range stores {
		if k.Path == path || os.SameFile(infos[i], fi) {
			return i
		}
	}
	return -1
}

func javaContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func javaHasHome(homes []JavaHome, dir string) bool {
	for _, h := range homes {
		if h.Dir == dir {
			return true
		}
	}
	return false
}

func (s JavaSearch) goos() string {
	if s.GOOS != "" {
		return s.GOOS
	}
	return runtime.GOOS
}

func (s JavaSearch) getenv(k string) string {
	if s.Getenv == nil {
		return ""
	}
	return s.Getenv(k)
}

func (s JavaSearch) exe(name string) string {
	if s.goos() == "windows" {
		return name + ".exe"
	}
	return name
}

// keytool is home's keytool: bin/keytool, or jre/bin/keytool in a Java 8 JDK.
func (s JavaSearch) keytool(home string) string {
	for _, p := range []string{
		filepath.Join(home, "bin", s.exe("keytool")),
		filepath.Join(home, "jre", "bin", s.exe("keytool")),
	} {
		if fi, err := s.stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// stat is os.Stat with the links in p resolved as the machine would.
func (s JavaSearch) stat(p string) (fs.FileInfo, error) {
	real, err := s.resolve(p)
	if err != nil {
		return nil, err
	}
	return s.statResolved(real)
}

// host turns a path as the machine names it into one this process can open.
func (s JavaSearch) host(p string) string {
	if s.Root == "" || s.Root == "/" {
		return p
	}
	if s.goos() == "windows" {
		p = strings.ReplaceAll(p, `\`, "/")
		if len(p) >= 2 && p[1] == ':' {
			p = "/" + p[:1] + p[2:]
		}
	}
	return filepath.Join(s.Root, filepath.FromSlash(p))
}

// resolve follows every symbolic link in the host path p. Under a temp Root
// an absolute link target is taken inside Root, as the machine would see it.
func (s JavaSearch) resolve(p string) (string, error) {
	if l := s.linkEnds(); l != nil {
		return l.evalSymlinks(p)
	}
	if s.Root == "" || s.Root == "/" || runtime.GOOS == "windows" {
		return filepath.EvalSymlinks(p)
	}
	return resolveInRoot(filepath.Clean(s.Root), p)
}

// statResolved is os.Stat of real, a path resolve gave.
func (s JavaSearch) statResolved(real string) (fs.FileInfo, error) {
	if l := s.linkEnds(); l != nil {
		return l.stat(real)
	}
	return os.Stat(real)
}

// linkEnds is what FindJava learnt of where paths lead, when resolve uses
// EvalSymlinks (not under a test's Root, nor on Windows, whose links Go
// resolves its own way); nil otherwise.
func (s JavaSearch) linkEnds() *linkEnds {
	if s.ends == nil || runtime.GOOS == "windows" || (s.Root != "" && s.Root != "/") {
		return nil
	}
	return s.ends
}

// linkEnds is filepath.EvalSymlinks for many paths that share folders:
// FindJava resolves some 40 paths under the same few (/usr/lib/jvm/X,
// each folder on PATH, /etc/ssl/certs/java where cacerts links lead), and
// EvalSymlinks looks at every folder of each path again (~200 lstat calls
// on a Debian machine with two JDKs). Here each path is resolved once:
// its folder (remembered), then its own name there; a link is followed
// from the folder it is in, as EvalSymlinks follows it on the way, and a
// link whose target EvalSymlinks would read otherwise (a "." or a ".."
// after a name) goes to EvalSymlinks itself. The answers are those of
// EvalSymlinks on a file system that does not change during the search.
type linkEnds struct{ m map[string]linkEnd }

// linkEnd is where a path leads, and what is there (from the lstat that
// found it was no link: os.Stat of path would say the same), or why it
// can't be resolved.
type linkEnd struct {
	path string
	info fs.FileInfo
	err  error
}

// maxLinkHops bounds the links followed here for one path; a chain longer
// than any real one (a loop) goes to EvalSymlinks, which says so.
const maxLinkHops = 40

func (l *linkEnds) evalSymlinks(p string) (string, error) {
	e := l.end(p)
	return e.path, e.err
}

// end is where p leads.
func (l *linkEnds) end(p string) linkEnd {
	if !filepath.IsAbs(p) || filepath.Clean(p) != p {
		// Not a path FindJava builds (a "." or ".." in it, which
		// EvalSymlinks takes after the links before it): as Go does it.
		path, err := filepath.EvalSymlinks(p)
		return linkEnd{path: path, err: err}
	}
	return l.resolve(p, 0)
}

// stat is os.Stat of real, a path with no links in it (as resolve gives),
// from what resolving it found when it did.
func (l *linkEnds) stat(real string) (fs.FileInfo, error) {
	if e := l.end(real); e.err == nil && e.path == real && e.info != nil {
		return e.info, nil
	}
	return os.Stat(real)
}

// resolve is where p, a clean absolute path, leads: where the folder p is
// in leads, then p's own name there. hops counts the links followed to
// get to p.
func (l *linkEnds) resolve(p string, hops int) linkEnd {
	dir := filepath.Dir(p)
	if dir == p {
		return linkEnd{path: p} // the root folder
	}
	if e, ok := l.m[p]; ok {
		return e
	}
	e := l.resolve(dir, hops)
	if e.err == nil {
		full := filepath.Join(e.path, filepath.Base(p))
		fi, err := os.Lstat(full)
		switch {
		case err != nil:
			e = linkEnd{err: err}
		case fi.Mode()&fs.ModeSymlink == 0:
			e = linkEnd{path: full, info: fi}
		default:
			e = l.follow(full, hops)
		}
	}
	l.m[p] = e
	return e
}

// follow is where full, a link in a folder with no links on its path,
// leads.
func (l *linkEnds) follow(full string, hops int) linkEnd {
	target, err := os.Readlink(full)
	if err == nil && hops < maxLinkHops {
		if !filepath.IsAbs(target) {
			// A leading ".." climbs from the link's own folder, which
			// has no links on its path: Join climbs the same.
			rest := target
			for strings.HasPrefix(rest, ".."+string(filepath.Separator)) {
				rest = rest[3:]
			}
			if rest != ".." && filepath.Clean(rest) == rest && !strings.HasPrefix(rest, "..") {
				return l.resolve(filepath.Join(filepath.Dir(full), target), hops+1)
			}
		} else if filepath.Clean(target) == target {
			return l.resolve(target, hops+1)
		}
	}
	path, err := filepath.EvalSymlinks(full)
	return linkEnd{path: path, err: err}
}

// resolveInRoot resolves the links in path, which lies inside root, treating
// root as "/": absolute targets and ".." stop at root.
func resolveInRoot(root, path string) (string, error) {
	rel, ok := relWithin(root, path)
	if !ok {
		return "", fmt.Errorf("%s is outside %s", path, root)
	}
	var todo []string
	if rel != "." {
		todo = strings.Split(rel, string(filepath.Separator))
	}
	done := "" // resolved so far, relative to root, "/"-separated
	for links := 0; len(todo) > 0; {
		part := todo[0]
		todo = todo[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			done = slashParent(done)
			continue
		}
		next := part
		if done != "" {
			next = done + "/" + part
		}
		full := filepath.Join(root, filepath.FromSlash(next))
		fi, err := os.Lstat(full)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > 255 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", path)
		}
		target, err := os.Readlink(full)
		if err != nil {
			return "", err
		}
		target = filepath.ToSlash(target)
		if strings.HasPrefix(target, "/") {
			done = ""
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return filepath.Join(root, filepath.FromSlash(done)), nil
}

func slashParent(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}

// javaCandidate is one place to look for JDK homes.
type javaCandidate struct {
	label string
	from  string
	dirs  func(JavaSearch) []string
}

// javaOne is a javaCandidate that is a single home (or nothing).
func javaOne(label, from string, f func(JavaSearch) string) javaCandidate {
	return javaCandidate{label: label, from: from, dirs: func(s JavaSearch) []string {
		if d := f(s); d != "" {
			return []string{d}
		}
		return nil
	}}
}

// javaUnder is a javaCandidate whose homes are the subfolders of dir (as the
// machine names it) whose names start with prefix.
func javaUnder(from, dir, prefix string) javaCandidate {
	return javaCandidate{label: dir + "/" + prefix + "*", from: from, dirs: func(s JavaSearch) []string {
		return s.children(s.host(dir), prefix)
	}}
}

// javaInHome is a javaCandidate whose homes are the subfolders of rel (a
// "/"-separated folder in the user's home), unless a version manager's
// variable says where its folder is: env holds pairs of a variable and the
// folder below it, the first set one wins.
func javaInHome(from, rel string, env ...string) javaCandidate {
	label := "~/" + rel + "/*"
	for i := len(env) - 2; i >= 0; i -= 2 {
		label = "$" + env[i] + "/" + env[i+1] + "/* or " + label
	}
	return javaCandidate{label: label, from: from, dirs: func(s JavaSearch) []string {
		for i := 0; i+1 < len(env); i += 2 {
			if v := s.getenv(env[i]); v != "" {
				return s.children(filepath.Join(s.host(v), filepath.FromSlash(env[i+1])), "")
			}
		}
		if s.Home == "" {
			return nil
		}
		return s.children(filepath.Join(s.host(s.Home), filepath.FromSlash(rel)), "")
	}}
}

// children lists the subfolders of dir whose names start with prefix,
// sorted, links included (a version manager's "current" link dedupes later).
func (s JavaSearch) children(dir, prefix string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// javaOnPath is the home of the first java on PATH, after following its
// links (Debian: /usr/bin/java -> /etc/alternatives/java -> the JDK).
func (s JavaSearch) javaOnPath() string {
	path := s.getenv("PATH")
	sep := ":"
	if s.goos() == "windows" {
		sep = ";"
		if path == "" {
			path = s.getenv("Path")
		}
	}
	for _, dir := range strings.Split(path, sep) {
		if dir == "" {
			continue
		}
		java := filepath.Join(s.host(dir), s.exe("java"))
		if s.linkEnds() != nil {
			// Most folders on PATH hold no java: one stat says so, where
			// resolving would look at each folder on its way. A java
			// that stat can't reach (ENOENT, ENOTDIR) resolve can't
			// either; any other error (a chain of links longer than the
			// kernel follows) is left to resolve.
			if _, err := os.Stat(java); errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				continue
			}
		}
		real, err := s.resolve(java)
		if err != nil {
			continue
		}
		if fi, err := s.statResolved(real); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		// real is HOME/bin/java; for a Java 8 JRE inside a JDK,
		// HOME/jre/bin/java, whose home is that jre folder.
		return filepath.Dir(filepath.Dir(real))
	}
	return ""
}

// candidates lists where to look, in order, for s's operating system.
func (s JavaSearch) candidates() []javaCandidate {
	c := []javaCandidate{
		javaOne("$JAVA_HOME", "$JAVA_HOME", func(s JavaSearch) string {
			if v := s.getenv("JAVA_HOME"); v != "" {
				return s.host(v)
			}
			return ""
		}),
		javaOne("java on PATH", "java on PATH", JavaSearch.javaOnPath),
		{label: "java_home", from: "java_home", dirs: func(s JavaSearch) []string {
			var out []string
			for _, h := range s.Homes {
				out = append(out, s.host(h))
			}
			return out
		}},
	}
	switch s.goos() {
	case "windows":
		for _, v := range []string{"ProgramFiles", "ProgramW6432", "ProgramFiles(x86)"} {
			v := v
			c = append(c, javaCandidate{label: `%` + v + `%\*\*`, from: `%` + v + `%`, dirs: func(s JavaSearch) []string {
				pf := s.getenv(v)
				if pf == "" && v == "ProgramFiles" {
					pf = `C:\Program Files`
				}
				if pf == "" {
					return nil
				}
				// Java\jdk-17, Eclipse Adoptium\jdk-17.0.9.9-hotspot,
				// Microsoft\jdk-21..., Amazon Corretto\jdk17..., Zulu\zulu-17:
				// every folder two levels down, kept when it holds a cacerts.
				var out []string
				for _, vendor := range s.children(s.host(pf), "") {
					out = append(out, s.children(vendor, "")...)
				}
				return out
			}})
		}
		c = append(c, javaInHome("IntelliJ", ".jdks"))
	case "darwin":
		c = append(c,
			javaUnder("/Library/Java/JavaVirtualMachines", "/Library/Java/JavaVirtualMachines", ""),
			javaInHome("~/Library/Java/JavaVirtualMachines", "Library/Java/JavaVirtualMachines"),
			javaCandidate{label: "Homebrew openjdk", from: "Homebrew", dirs: func(s JavaSearch) []string {
				var out []string
				for _, prefix := range []string{"/opt/homebrew/opt", "/usr/local/opt"} {
					for _, d := range s.children(s.host(prefix), "openjdk") {
						out = append(out, filepath.Join(d, "libexec", "openjdk.jdk"))
					}
				}
				return out
			}},
		)
	default:
		c = append(c,
			javaUnder("/usr/lib/jvm", "/usr/lib/jvm", ""),
			javaUnder("/usr/lib64/jvm", "/usr/lib64/jvm", ""),
			javaUnder("/usr/java", "/usr/java", ""),
			javaUnder("/opt/java", "/opt/java", ""),
			javaUnder("/usr/local", "/usr/local", "openjdk"), // FreeBSD ports, Docker's openjdk images
		)
	}
	if s.goos() != "windows" {
		c = append(c,
			javaInHome("SDKMAN", ".sdkman/candidates/java", "SDKMAN_DIR", "candidates/java"),
			javaInHome("asdf", ".asdf/installs/java", "ASDF_DATA_DIR", "installs/java"),
			javaInHome("mise", ".local/share/mise/installs/java", "MISE_DATA_DIR", "installs/java", "XDG_DATA_HOME", "mise/installs/java"),
			javaInHome("IntelliJ", ".jdks"),
		)
	}
	if len(s.Recorded) > 0 {
		c = append(c, javaCandidate{label: "homes vouch's install changed", from: "recorded by vouch's install", dirs: func(s JavaSearch) []string {
			return s.Recorded
		}})
	}
	return c
}

// MacJavaHomes parses the output of macOS's `/usr/libexec/java_home -V`:
// a line per JDK that ends in its home after the quoted vendor and name,
// then the default home alone on a line.
func MacJavaHomes(out []byte) []string {
	var homes []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if i := strings.LastIndex(line, `" /`); i >= 0 {
			line = line[i+2:]
		}
		if strings.HasPrefix(line, "/") && !javaContains(homes, line) {
			homes = append(homes, line)
		}
	}
	return homes
}

// MacJavaHomeCmd lists the JDKs macOS knows of (it starts no JVM).
func MacJavaHomeCmd() Cmd { return Cmd{Argv: []string{"/usr/libexec/java_home", "-V"}} }

// KeytoolHint is a command that installs a JRE with keytool on goos; for
// Linux, osRelease (the contents of /etc/os-release) picks the package
// manager. Installing it helps a keystore that JRE uses, such as the
// distribution's shared cacerts.
func KeytoolHint(goos string, osRelease []byte) string {
	switch goos {
	case "darwin":
		return "brew install openjdk"
	case "freebsd":
		return "sudo pkg install openjdk17"
	case "windows":
		return "winget install EclipseAdoptium.Temurin.21.JDK"
	}
	for _, id := range osReleaseIDs(osRelease) {
		switch id {
		case "debian", "ubuntu":
			return "sudo apt install openjdk-17-jre-headless"
		case "fedora", "rhel", "centos":
			return "sudo dnf install java-17-openjdk-headless"
		case "arch":
			return "sudo pacman -S jre17-openjdk-headless"
		case "opensuse", "suse":
			return "sudo zypper install java-17-openjdk-headless"
		case "alpine":
			return "apk add openjdk17-jre-headless"
		}
	}
	return "install a JRE with keytool: sudo apt install openjdk-17-jre-headless (Debian, Ubuntu), sudo dnf install java-17-openjdk-headless (Fedora), sudo pacman -S jre17-openjdk-headless (Arch), sudo zypper install java-17-openjdk-headless (openSUSE), apk add openjdk17-jre-headless (Alpine)"
}

// StateDir is vouch's folder for what it must remember between runs (the
// bytes of each Java keystore from before vouch changed it):
// $XDG_STATE_HOME/vouch or ~/.local/state/vouch on Linux and the BSDs,
// ~/Library/Application Support/vouch/state on macOS, and
// %LocalAppData%\vouch\state on Windows. "" when there is no home to put
// it in.
func StateDir(goos, home string, getenv func(string) string) string {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	switch goos {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return d + `\vouch\state`
		}
		if home != "" {
			return home + `\AppData\Local\vouch\state`
		}
	case "darwin":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", "vouch", "state")
		}
	default:
		if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
			return filepath.Join(d, "vouch")
		}
		if home != "" {
			return filepath.Join(home, ".local", "state", "vouch")
		}
	}
	return ""
}

// ReplaceFile puts data at path atomically with the mode (and, where files
// have numeric owners, the owner and group) of like, the file it replaces:
// a temp file in the same folder, synced, then renamed over path. Readers
// see the old file or the new one, never a half-written one.
func ReplaceFile(path string, data []byte, like fs.FileInfo) error {
	return writeAtomic(path, data, like.Mode().Perm(), like)
}

// EditCmds are the commands that change the file at path as root through
// a copy: install(1) copies it beside path with its mode and owner, edit
// (given the copy's path) changes the copy, and mv(1) renames it over path.
// A program that rewrites a file in place (keytool) and fails part way
// then damages only the copy. Cleanup removes the copy when a step fails.
func EditCmds(path string, like fs.FileInfo, edit func(copy string) []Cmd) (cmds []Cmd, cleanup Cmd, ok bool) {
	return viaCopy(path, path, like, ".vouch-edit", edit)
}

// RestoreCmds are the commands that put the file backup at path as root,
// atomically, with mode and owner given: install(1) copies it beside path
// with them, and mv(1) renames it over path. Cleanup removes the copy if
// the rename fails.
func RestoreCmds(backup, path string, like fs.FileInfo) (cmds []Cmd, cleanup Cmd, ok bool) {
	return viaCopy(backup, path, like, ".vouch-restore", nil)
}

// viaCopy copies src beside path as root, with like's mode and owner, under
// path's name with suffix; runs edit's commands on the copy (edit may be
// nil); and renames the copy over path. ok is false where files have no
// numeric owners.
func viaCopy(src, path string, like fs.FileInfo, suffix string, edit func(copy string) []Cmd) (cmds []Cmd, cleanup Cmd, ok bool) {
	uid, gid, ok := fsinfo.Owner(like)
	if !ok {
		return nil, Cmd{}, false
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+suffix)
	cmds = []Cmd{{Argv: []string{"install", "-m", fmt.Sprintf("%04o", like.Mode().Perm()), "-o", fmt.Sprint(uid), "-g", fmt.Sprint(gid), src, tmp}, Root: true}}
	if edit != nil {
		cmds = append(cmds, edit(tmp)...)
	}
	cmds = append(cmds, Cmd{Argv: []string{"mv", "-f", tmp, path}, Root: true})
	return cmds, Cmd{Argv: []string{"rm", "-f", tmp}, Root: true}, true
}
