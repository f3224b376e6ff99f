package platform

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// linkTree makes, in a temp folder, the link shapes FindJava meets and
// the ones EvalSymlinks must still answer for it: "path -> target" is a
// link (a target starting with "/" is taken inside the folder), "path/" a
// folder, "path" a file. It returns the folder, links resolved.
func linkTree(t *testing.T, spec ...string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("linkEnds is not used on Windows")
	}
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spec {
		p, target, isLink := strings.Cut(s, " -> ")
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case isLink:
			if strings.HasPrefix(target, "/") {
				target = root + target
			}
			if err := os.Symlink(target, full); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(p, "/"):
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(full, []byte(p), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// linkEnds answers as filepath.EvalSymlinks does, path for path, whatever
// order the paths come in, and its stat of a path it resolved is os.Stat's.
func TestLinkEndsAsEvalSymlinks(t *testing.T) {
	spec := []string{
		"etc/ssl/java/cacerts",
		"usr/lib/jvm/jdk17/bin/java", "usr/lib/jvm/jdk17/bin/keytool",
		"usr/lib/jvm/jdk17/lib/security/cacerts -> /etc/ssl/java/cacerts",
		"usr/lib/jvm/jdk17-link -> jdk17",
		"usr/lib/jvm/jdk17-slash -> jdk17/",
		"usr/bin/java -> /etc/alt/java",
		"etc/alt/java -> ../../usr/lib/jvm/jdk17/bin/java",
		"etc/alt/up -> ..",
		"etc/alt/dot -> .",
		"weird/sub -> ../usr/lib",
		"weird/up -> sub/../../etc",
		"weird/up2 -> sub/../bin",
		"weird/x/",
		"weird/dot -> ./x",
		"weird/unclean -> /etc/../etc/ssl",
		"weird/unclean2 -> /weird/sub/../bin",
		"weird/dotdotname -> ..name",
		"weird/..name/",
		"loop/a -> b", "loop/b -> a",
		"dangling -> /nowhere",
		"file",
	}
	// A chain of links longer than linkEnds follows itself.
	for i := range maxLinkHops + 5 {
		spec = append(spec, "chain/l"+strconv.Itoa(i)+" -> l"+strconv.Itoa(i+1))
	}
	spec = append(spec, "chain/l"+strconv.Itoa(maxLinkHops+5)+" -> /etc")
	root := linkTree(t, spec...)

	rels := []string{
		"", "usr", "usr/lib/jvm", "usr/lib/jvm/jdk17", "usr/lib/jvm/jdk17/bin/keytool",
		"usr/lib/jvm/jdk17/lib/security/cacerts", "usr/lib/jvm/jdk17/jre/lib/security/cacerts",
		"usr/lib/jvm/jdk17/Contents/Home", "usr/lib/jvm/jdk17-link", "usr/lib/jvm/jdk17-link/lib/security/cacerts",
		"usr/lib/jvm/jdk17-link/bin/keytool", "usr/lib/jvm/jdk17-slash/bin/java",
		"usr/bin/java", "etc/alt/java", "etc/alt/up", "etc/alt/up/alt/java", "etc/alt/dot/java",
		"weird/sub", "weird/sub/jvm/jdk17", "weird/up", "weird/up/ssl/java/cacerts", "weird/dot",
		"weird/unclean/java/cacerts", "weird/up2/java", "weird/unclean2/java", "weird/dotdotname", "loop/a", "loop/a/x", "dangling", "dangling/x",
		"file", "file/below", "nothing/here", "chain/l0", "chain/l0/ssl", "chain/l30/alt",
	}
	var paths []string
	for _, r := range rels {
		paths = append(paths, filepath.Join(root, r))
	}
	// Not what FindJava builds; EvalSymlinks answers them.
	paths = append(paths, root+"/usr/../etc", root+"/weird/sub/../bin", "usr/bin", root+"/usr/lib/")

	for _, order := range []string{"forward", "backward"} {
		l := &linkEnds{m: map[string]linkEnd{}}
		for i := range paths {
			p := paths[i]
			if order == "backward" {
				p = paths[len(paths)-1-i]
			}
			want, werr := filepath.EvalSymlinks(p)
			got, err := l.evalSymlinks(p)
			if got != want || (err == nil) != (werr == nil) {
				t.Errorf("%s: linkEnds(%s) = %q, %v; EvalSymlinks = %q, %v", order, p, got, err, want, werr)
				continue
			}
			if err != nil {
				continue
			}
			st, err := l.stat(got)
			want2, werr2 := os.Stat(got)
			if (err == nil) != (werr2 == nil) || err == nil && (st.Mode() != want2.Mode() || st.Size() != want2.Size() || !os.SameFile(st, want2)) {
				t.Errorf("%s: linkEnds stat(%s) = %v, %v; os.Stat = %v, %v", order, got, st, err, want2, werr2)
			}
		}
	}
}

// FindJava on the machine's own file system (Root ""), as vouch runs it:
// a JDK reached through $JAVA_HOME as a link and through a chain of links
// from a folder on PATH is found once, at its real path, with every path
// that led there.
func TestFindJavaMachineLinks(t *testing.T) {
	root := linkTree(t,
		"opt/jdk-21/bin/java", "opt/jdk-21/bin/keytool",
		"opt/jdk-21/lib/security/cacerts -> /etc/java/cacerts",
		"etc/java/cacerts",
		"opt/current -> jdk-21",
		"bin/java -> ../alternatives/java",
		"alternatives/java -> /opt/current/bin/java",
		"empty-bin/",
	)
	s := JavaSearch{
		Getenv: javaEnv("JAVA_HOME", filepath.Join(root, "opt/current"), "PATH", filepath.Join(root, "empty-bin")+":"+filepath.Join(root, "bin")),
		Home:   filepath.Join(root, "home"),
		GOOS:   runtime.GOOS,
	}
	var mine []JavaKeystore
	for _, k := range FindJava(s) {
		if strings.HasPrefix(k.Path, root+string(filepath.Separator)) {
			mine = append(mine, k)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("FindJava found %d keystores in %s, want 1: %+v", len(mine), root, mine)
	}
	k := mine[0]
	if want := filepath.Join(root, "etc/java/cacerts"); k.Path != want {
		t.Errorf("Path = %s, want %s", k.Path, want)
	}
	if want := []string{filepath.Join(root, "opt/current/lib/security/cacerts")}; !slices.Equal(k.Links, want) {
		t.Errorf("Links = %q, want %q", k.Links, want)
	}
	var homes []string
	for _, h := range k.Homes {
		homes = append(homes, h.Dir+" ("+h.From+") "+h.Keytool)
	}
	want := []string{filepath.Join(root, "opt/current") + " ($JAVA_HOME) " + filepath.Join(root, "opt/current/bin/keytool")}
	if !slices.Equal(homes, want) {
		t.Errorf("Homes = %q, want %q", homes, want)
	}
}

// javaOnPath finds the same java with FindJava's linkEnds (where one stat
// passes over each folder on PATH that holds none) as with EvalSymlinks
// alone: past folders that are missing, files, links to nowhere or loops,
// to a java at the end of a chain of links longer than the kernel follows
// (which stat can't reach and EvalSymlinks can).
func TestJavaOnPathAsEvalSymlinks(t *testing.T) {
	spec := []string{
		"jdk/bin/java", "jdk/bin/keytool", "jdk/lib/security/cacerts",
		"afile",
		"dangling -> /nowhere",
		"loop/java -> java2", "loop/java2 -> java",
		"isdir/java/",
		"long/java -> l0",
	}
	for i := range 45 {
		spec = append(spec, "long/l"+strconv.Itoa(i)+" -> l"+strconv.Itoa(i+1))
	}
	spec = append(spec, "long/l45 -> /jdk/bin/java", "short/java -> ../jdk/bin/java")
	root := linkTree(t, spec...)
	dirs := func(names ...string) string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(root, n))
		}
		return strings.Join(out, ":")
	}
	for _, path := range []string{
		dirs("missing", "afile", "dangling", "loop", "isdir", "short"),
		dirs("missing", "long", "short"),
		dirs("afile/below", "dangling/x"),
		"relative/bin:" + dirs("short"),
	} {
		s := JavaSearch{Getenv: javaEnv("PATH", path), GOOS: runtime.GOOS}
		want := s.javaOnPath()
		s.ends = &linkEnds{m: map[string]linkEnd{}}
		if got := s.javaOnPath(); got != want {
			t.Errorf("PATH=%s: javaOnPath = %q, with EvalSymlinks alone %q", path, got, want)
		}
	}
	s := JavaSearch{Getenv: javaEnv("PATH", dirs("missing", "long")), GOOS: runtime.GOOS, ends: &linkEnds{m: map[string]linkEnd{}}}
	if got, want := s.javaOnPath(), filepath.Join(root, "jdk"); got != want {
		t.Errorf("javaOnPath through 46 links = %q, want %q", got, want)
	}
}
