package platform

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// tree builds a fake machine under a temp root: "path" makes a file,
// "path -> target" a symbolic link (an absolute target means inside the
// root), "path/" a folder.
func javaTree(t *testing.T, spec ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, s := range spec {
		p, target, isLink := strings.Cut(s, " -> ")
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case isLink:
			if strings.HasPrefix(target, "/") {
				// As the machine would have it: an absolute link, which
				// FindJava must resolve inside the root.
				target = filepath.FromSlash(target)
			}
			if err := os.Symlink(target, full); err != nil {
				t.Skipf("no symbolic links here: %v", err)
			}
		case strings.HasSuffix(p, "/"):
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(full, []byte(p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// jdk is the files of a JDK home at h (cacerts and keytool).
func javaJDK(h string) []string {
	return []string{h + "/lib/security/cacerts", h + "/bin/keytool", h + "/bin/java"}
}

func javaEnv(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

// javaFound is a keystore as the tests compare it: paths relative to the root.
type javaFound struct {
	Path    string
	Homes   []string // "dir (from)"
	Keytool string
}

func javaRel(root, p string) string {
	if p == "" {
		return ""
	}
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return "/" + filepath.ToSlash(r)
}

func javaSummary(root string, ks []JavaKeystore) []javaFound {
	var out []javaFound
	for _, k := range ks {
		f := javaFound{Path: javaRel(root, k.Path)}
		for _, h := range k.Homes {
			f.Homes = append(f.Homes, javaRel(root, h.Dir)+" ("+h.From+")")
		}
		kt, _ := k.Keytool()
		f.Keytool = javaRel(root, kt)
		out = append(out, f)
	}
	return out
}

func TestFindJava(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake trees use POSIX symbolic links")
	}
	debianShared := []string{
		"/etc/ssl/certs/java/cacerts",
		"/usr/lib/jvm/java-17-openjdk-amd64/bin/keytool",
		"/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
		"/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
		"/usr/lib/jvm/java-1.17.0-openjdk-amd64 -> java-17-openjdk-amd64",
		"/usr/lib/jvm/temurin-25-jdk-amd64/bin/keytool",
		"/usr/lib/jvm/temurin-25-jdk-amd64/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
		"/etc/alternatives/java -> /usr/lib/jvm/java-17-openjdk-amd64/bin/java",
		"/usr/bin/java -> /etc/alternatives/java",
	}
	tests := []struct {
		name   string
		spec   []string
		goos   string
		home   string
		env    []string
		homes  []string
		want   []javaFound
		wantNo bool
	}{
		{
			name: "debian shared cacerts is one keystore, JAVA_HOME unset",
			spec: debianShared,
			env:  []string{"PATH", "/usr/local/bin:/usr/bin:/bin"},
			want: []javaFound{{
				Path: "/etc/ssl/certs/java/cacerts",
				Homes: []string{
					"/usr/lib/jvm/java-17-openjdk-amd64 (java on PATH)",
					"/usr/lib/jvm/temurin-25-jdk-amd64 (/usr/lib/jvm)",
				},
				Keytool: "/usr/lib/jvm/java-17-openjdk-amd64/bin/keytool",
			}},
		},
		{
			name: "debian shared, no PATH: javaFound under /usr/lib/jvm through the versioned link",
			spec: debianShared,
			want: []javaFound{{
				Path: "/etc/ssl/certs/java/cacerts",
				Homes: []string{
					"/usr/lib/jvm/java-1.17.0-openjdk-amd64 (/usr/lib/jvm)",
					"/usr/lib/jvm/temurin-25-jdk-amd64 (/usr/lib/jvm)",
				},
				Keytool: "/usr/lib/jvm/java-1.17.0-openjdk-amd64/bin/keytool",
			}},
		},
		{
			name: "shared target missing: the link does not escape to the real /etc/ssl",
			spec: []string{
				"/usr/lib/jvm/x/bin/keytool",
				"/usr/lib/jvm/x/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
			},
			wantNo: true,
		},
		{
			name: "JAVA_HOME first, then PATH, then folders; each own cacerts",
			spec: append(append(append(javaJDK("/opt/custom-jdk"), javaJDK("/usr/java/jdk-21")...), javaJDK("/opt/java/openjdk")...),
				"/usr/local/bin/java -> /usr/java/jdk-21/bin/java"),
			env: []string{"JAVA_HOME", "/opt/custom-jdk", "PATH", "/usr/local/bin"},
			want: []javaFound{
				{Path: "/opt/custom-jdk/lib/security/cacerts", Homes: []string{"/opt/custom-jdk ($JAVA_HOME)"}, Keytool: "/opt/custom-jdk/bin/keytool"},
				{Path: "/usr/java/jdk-21/lib/security/cacerts", Homes: []string{"/usr/java/jdk-21 (java on PATH)"}, Keytool: "/usr/java/jdk-21/bin/keytool"},
				{Path: "/opt/java/openjdk/lib/security/cacerts", Homes: []string{"/opt/java/openjdk (/opt/java)"}, Keytool: "/opt/java/openjdk/bin/keytool"},
			},
		},
		{
			name: "lib64 and docker's /usr/local/openjdk-17",
			spec: append(javaJDK("/usr/lib64/jvm/java-11"), append(javaJDK("/usr/local/openjdk-17"), "/usr/local/bin/")...),
			want: []javaFound{
				{Path: "/usr/lib64/jvm/java-11/lib/security/cacerts", Homes: []string{"/usr/lib64/jvm/java-11 (/usr/lib64/jvm)"}, Keytool: "/usr/lib64/jvm/java-11/bin/keytool"},
				{Path: "/usr/local/openjdk-17/lib/security/cacerts", Homes: []string{"/usr/local/openjdk-17 (/usr/local)"}, Keytool: "/usr/local/openjdk-17/bin/keytool"},
			},
		},
		{
			name: "java 8: jre/lib/security/cacerts, keytool in bin",
			spec: []string{
				"/usr/lib/jvm/java-8/bin/keytool",
				"/usr/lib/jvm/java-8/jre/bin/java",
				"/usr/lib/jvm/java-8/jre/bin/keytool",
				"/usr/lib/jvm/java-8/jre/lib/security/cacerts",
			},
			want: []javaFound{{Path: "/usr/lib/jvm/java-8/jre/lib/security/cacerts", Homes: []string{"/usr/lib/jvm/java-8 (/usr/lib/jvm)"}, Keytool: "/usr/lib/jvm/java-8/bin/keytool"}},
		},
		{
			name: "java 8 JRE on PATH: its home is the jre folder",
			spec: []string{
				"/opt/j8/jre/bin/java",
				"/opt/j8/jre/bin/keytool",
				"/opt/j8/jre/lib/security/cacerts",
				"/usr/bin/java -> /opt/j8/jre/bin/java",
			},
			env:  []string{"PATH", "/usr/bin"},
			want: []javaFound{{Path: "/opt/j8/jre/lib/security/cacerts", Homes: []string{"/opt/j8/jre (java on PATH)"}, Keytool: "/opt/j8/jre/bin/keytool"}},
		},
		{
			name: "SDKMAN with its current link, asdf, mise, IntelliJ",
			home: "/home/me",
			spec: append(append(append(append(
				javaJDK("/home/me/.sdkman/candidates/java/17.0.9-tem"),
				"/home/me/.sdkman/candidates/java/current -> 17.0.9-tem"),
				javaJDK("/home/me/.asdf/installs/java/zulu-21")...),
				javaJDK("/home/me/.local/share/mise/installs/java/22")...),
				javaJDK("/home/me/.jdks/corretto-11")...),
			want: []javaFound{
				{Path: "/home/me/.sdkman/candidates/java/17.0.9-tem/lib/security/cacerts", Homes: []string{"/home/me/.sdkman/candidates/java/17.0.9-tem (SDKMAN)"}, Keytool: "/home/me/.sdkman/candidates/java/17.0.9-tem/bin/keytool"},
				{Path: "/home/me/.asdf/installs/java/zulu-21/lib/security/cacerts", Homes: []string{"/home/me/.asdf/installs/java/zulu-21 (asdf)"}, Keytool: "/home/me/.asdf/installs/java/zulu-21/bin/keytool"},
				{Path: "/home/me/.local/share/mise/installs/java/22/lib/security/cacerts", Homes: []string{"/home/me/.local/share/mise/installs/java/22 (mise)"}, Keytool: "/home/me/.local/share/mise/installs/java/22/bin/keytool"},
				{Path: "/home/me/.jdks/corretto-11/lib/security/cacerts", Homes: []string{"/home/me/.jdks/corretto-11 (IntelliJ)"}, Keytool: "/home/me/.jdks/corretto-11/bin/keytool"},
			},
		},
		{
			name: "version managers' own variables",
			home: "/home/me",
			spec: append(append(javaJDK("/srv/sdk/candidates/java/21"), javaJDK("/srv/asdf/installs/java/11")...), javaJDK("/xdg/mise/installs/java/17")...),
			env:  []string{"SDKMAN_DIR", "/srv/sdk", "ASDF_DATA_DIR", "/srv/asdf", "XDG_DATA_HOME", "/xdg"},
			want: []javaFound{
				{Path: "/srv/sdk/candidates/java/21/lib/security/cacerts", Homes: []string{"/srv/sdk/candidates/java/21 (SDKMAN)"}, Keytool: "/srv/sdk/candidates/java/21/bin/keytool"},
				{Path: "/srv/asdf/installs/java/11/lib/security/cacerts", Homes: []string{"/srv/asdf/installs/java/11 (asdf)"}, Keytool: "/srv/asdf/installs/java/11/bin/keytool"},
				{Path: "/xdg/mise/installs/java/17/lib/security/cacerts", Homes: []string{"/xdg/mise/installs/java/17 (mise)"}, Keytool: "/xdg/mise/installs/java/17/bin/keytool"},
			},
		},
		{
			name: "a JDK without keytool shares the store with one that has it",
			spec: []string{
				"/etc/ssl/certs/java/cacerts",
				"/usr/lib/jvm/a-jre/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
				"/usr/lib/jvm/b-jdk/bin/keytool",
				"/usr/lib/jvm/b-jdk/lib/security/cacerts -> ../../../../../../etc/ssl/certs/java/cacerts",
			},
			want: []javaFound{{Path: "/etc/ssl/certs/java/cacerts", Homes: []string{"/usr/lib/jvm/a-jre (/usr/lib/jvm)", "/usr/lib/jvm/b-jdk (/usr/lib/jvm)"}, Keytool: "/usr/lib/jvm/b-jdk/bin/keytool"}},
		},
		{
			name: "no keytool at all",
			spec: []string{"/usr/lib/jvm/jlinked/lib/security/cacerts"},
			want: []javaFound{{Path: "/usr/lib/jvm/jlinked/lib/security/cacerts", Homes: []string{"/usr/lib/jvm/jlinked (/usr/lib/jvm)"}}},
		},
		{
			name: "a folder without cacerts, a cacerts that is a folder, a link loop",
			spec: []string{
				"/usr/lib/jvm/empty/bin/keytool",
				"/usr/lib/jvm/odd/lib/security/cacerts/",
				"/usr/lib/jvm/loop/lib/security/cacerts -> /usr/lib/jvm/loop/lib/security/cacerts2",
				"/usr/lib/jvm/loop/lib/security/cacerts2 -> /usr/lib/jvm/loop/lib/security/cacerts",
			},
			wantNo: true,
		},
		{
			name:   "linux does not look in macOS or Windows folders",
			spec:   append(javaJDK("/Library/Java/JavaVirtualMachines/t.jdk/Contents/Home"), javaJDK("/C/Program Files/Java/jdk-17")...),
			env:    []string{"ProgramFiles", `C:\Program Files`},
			wantNo: true,
		},
		{
			name: "macOS: system and user JavaVirtualMachines, Homebrew, java_home",
			goos: "darwin",
			home: "/Users/me",
			spec: append(append(append(append(
				javaJDK("/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home"),
				javaJDK("/Users/me/Library/Java/JavaVirtualMachines/corretto-17.0.9/Contents/Home")...),
				javaJDK("/opt/homebrew/Cellar/openjdk/23/libexec/openjdk.jdk/Contents/Home")...),
				"/opt/homebrew/opt/openjdk -> /opt/homebrew/Cellar/openjdk/23"),
				javaJDK("/Applications/Weird.app/jdk/Contents/Home")...),
			homes: []string{"/Applications/Weird.app/jdk/Contents/Home"},
			want: []javaFound{
				{Path: "/Applications/Weird.app/jdk/Contents/Home/lib/security/cacerts", Homes: []string{"/Applications/Weird.app/jdk/Contents/Home (java_home)"}, Keytool: "/Applications/Weird.app/jdk/Contents/Home/bin/keytool"},
				{Path: "/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home/lib/security/cacerts", Homes: []string{"/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home (/Library/Java/JavaVirtualMachines)"}, Keytool: "/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home/bin/keytool"},
				{Path: "/Users/me/Library/Java/JavaVirtualMachines/corretto-17.0.9/Contents/Home/lib/security/cacerts", Homes: []string{"/Users/me/Library/Java/JavaVirtualMachines/corretto-17.0.9/Contents/Home (~/Library/Java/JavaVirtualMachines)"}, Keytool: "/Users/me/Library/Java/JavaVirtualMachines/corretto-17.0.9/Contents/Home/bin/keytool"},
				{Path: "/opt/homebrew/Cellar/openjdk/23/libexec/openjdk.jdk/Contents/Home/lib/security/cacerts", Homes: []string{"/opt/homebrew/opt/openjdk/libexec/openjdk.jdk/Contents/Home (Homebrew)"}, Keytool: "/opt/homebrew/opt/openjdk/libexec/openjdk.jdk/Contents/Home/bin/keytool"},
			},
		},
		{
			name: "windows: Program Files vendors, x86, JAVA_HOME and java.exe on Path",
			goos: "windows",
			home: `C:\Users\me`,
			spec: []string{
				"/C/Program Files/Eclipse Adoptium/jdk-17.0.9.9-hotspot/lib/security/cacerts",
				"/C/Program Files/Eclipse Adoptium/jdk-17.0.9.9-hotspot/bin/keytool.exe",
				"/C/Program Files/Eclipse Adoptium/jdk-17.0.9.9-hotspot/bin/java.exe",
				"/C/Program Files/Java/jdk-21/lib/security/cacerts",
				"/C/Program Files/Java/jdk-21/bin/keytool.exe",
				"/C/Program Files (x86)/Java/jre1.8.0_391/lib/security/cacerts",
				"/C/Program Files (x86)/Java/jre1.8.0_391/bin/keytool.exe",
				"/C/Program Files/Common Files/Oracle/",
				"/D/jdks/zulu-11/lib/security/cacerts",
				"/D/jdks/zulu-11/bin/keytool.exe",
				"/C/Users/me/.jdks/openjdk-22/lib/security/cacerts",
				"/C/Users/me/.jdks/openjdk-22/bin/keytool.exe",
			},
			env: []string{
				"JAVA_HOME", `D:\jdks\zulu-11`,
				"Path", `C:\Windows\system32;C:\Program Files\Eclipse Adoptium\jdk-17.0.9.9-hotspot\bin`,
				"ProgramFiles", `C:\Program Files`,
				"ProgramW6432", `C:\Program Files`,
				"ProgramFiles(x86)", `C:\Program Files (x86)`,
			},
			want: []javaFound{
				{Path: "/D/jdks/zulu-11/lib/security/cacerts", Homes: []string{"/D/jdks/zulu-11 ($JAVA_HOME)"}, Keytool: "/D/jdks/zulu-11/bin/keytool.exe"},
				{Path: "/C/Program Files/Eclipse Adoptium/jdk-17.0.9.9-hotspot/lib/security/cacerts", Homes: []string{"/C/Program Files/Eclipse Adoptium/jdk-17.0.9.9-hotspot (java on PATH)"}, Keytool: "/C/Program Files/Eclipse Adoptium/jdk-17.0.9.9-hotspot/bin/keytool.exe"},
				{Path: "/C/Program Files/Java/jdk-21/lib/security/cacerts", Homes: []string{"/C/Program Files/Java/jdk-21 (%ProgramFiles%)"}, Keytool: "/C/Program Files/Java/jdk-21/bin/keytool.exe"},
				{Path: "/C/Program Files (x86)/Java/jre1.8.0_391/lib/security/cacerts", Homes: []string{"/C/Program Files (x86)/Java/jre1.8.0_391 (%ProgramFiles(x86)%)"}, Keytool: "/C/Program Files (x86)/Java/jre1.8.0_391/bin/keytool.exe"},
				{Path: "/C/Users/me/.jdks/openjdk-22/lib/security/cacerts", Homes: []string{"/C/Users/me/.jdks/openjdk-22 (IntelliJ)"}, Keytool: "/C/Users/me/.jdks/openjdk-22/bin/keytool.exe"},
			},
		},
		{
			name:   "nothing at all",
			spec:   []string{"/usr/bin/"},
			env:    []string{"PATH", "/usr/bin", "JAVA_HOME", "/nowhere"},
			wantNo: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := javaTree(t, tt.spec...)
			goos := tt.goos
			if goos == "" {
				goos = "linux"
			}
			got := javaSummary(root, FindJava(JavaSearch{Root: root, Home: tt.home, Getenv: javaEnv(tt.env...), GOOS: goos, Homes: tt.homes}))
			if tt.wantNo {
				if len(got) != 0 {
					t.Errorf("FindJava = %+v, want nothing", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FindJava =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestFindJavaLinks checks that the links through which a shared keystore
// was javaFound are kept, for the status to show.
func TestFindJavaWithoutStore(t *testing.T) {
	root := javaTree(t,
		// Debian's JDK once /etc/ssl/certs/java/cacerts is gone.
		"/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
		"/usr/lib/jvm/java-17-openjdk-amd64/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
		"/usr/lib/jvm/java-1.17.0-openjdk-amd64 -> java-17-openjdk-amd64",
		// Java 8 keeps it under jre/, and this one has no file at all.
		"/usr/lib/jvm/java-8/bin/java",
		"/usr/lib/jvm/java-8/jre/lib/security/",
		// A JDK with its store, and a folder that is no JDK: neither is listed.
		"/usr/lib/jvm/fine/bin/java",
		"/usr/lib/jvm/fine/lib/security/cacerts",
		"/usr/lib/jvm/docs/README",
	)
	var got []string
	for _, m := range FindJavaWithoutStore(JavaSearch{Root: root, GOOS: "linux"}) {
		got = append(got, javaRel(root, m.Path)+" -> "+m.Target+" ("+m.Home.From+")")
	}
	want := []string{
		"/usr/lib/jvm/java-1.17.0-openjdk-amd64/lib/security/cacerts -> /etc/ssl/certs/java/cacerts (/usr/lib/jvm)",
		"/usr/lib/jvm/java-8/lib/security/cacerts ->  (/usr/lib/jvm)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("FindJavaWithoutStore = %q,\nwant %q", got, want)
	}
	if ks := FindJava(JavaSearch{Root: root, GOOS: "linux"}); len(ks) != 1 || javaRel(root, ks[0].Path) != "/usr/lib/jvm/fine/lib/security/cacerts" {
		t.Errorf("FindJava found %d keystores, want only fine's", len(ks))
	}
}

func TestFindJavaLinks(t *testing.T) {
	root := javaTree(t,
		"/etc/ssl/certs/java/cacerts",
		"/usr/lib/jvm/a/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
		"/usr/lib/jvm/b/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
	)
	ks := FindJava(JavaSearch{Root: root, GOOS: "linux"})
	if len(ks) != 1 {
		t.Fatalf("FindJava javaFound %d keystores, want 1", len(ks))
	}
	var links []string
	for _, l := range ks[0].Links {
		links = append(links, javaRel(root, l))
	}
	want := []string{"/usr/lib/jvm/a/lib/security/cacerts", "/usr/lib/jvm/b/lib/security/cacerts"}
	if !reflect.DeepEqual(links, want) {
		t.Errorf("Links = %q, want %q", links, want)
	}
}

func TestJavaLookedIn(t *testing.T) {
	for goos, want := range map[string]string{
		"linux":   "$JAVA_HOME, java on PATH, java_home, /usr/lib/jvm/*, /usr/lib64/jvm/*, /usr/java/*, /opt/java/*, /usr/local/openjdk*, $SDKMAN_DIR/candidates/java/* or ~/.sdkman/candidates/java/*",
		"darwin":  "/Library/Java/JavaVirtualMachines/*",
		"windows": `%ProgramFiles%\*\*`,
	} {
		if got := strings.Join(JavaLookedIn(JavaSearch{GOOS: goos}), ", "); !strings.Contains(got, want) {
			t.Errorf("JavaLookedIn(%s) = %q, want it to contain %q", goos, got, want)
		}
	}
}

func TestMacJavaHomes(t *testing.T) {
	out := `Matching Java Virtual Machines (3):
    21.0.1 (arm64) "Eclipse Adoptium" - "OpenJDK 21.0.1" /Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home
    17.0.9 (x86_64) "Amazon.com Inc." - "Amazon Corretto 17" /Users/me/Library/Java/JavaVirtualMachines/corretto-17.0.9/Contents/Home
    11 (arm64) "Odd \"Vendor\"" - "JDK 11" /Applications/My JDK.app/Contents/Home
/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home
`
	want := []string{
		"/Library/Java/JavaVirtualMachines/temurin-21.jdk/Contents/Home",
		"/Users/me/Library/Java/JavaVirtualMachines/corretto-17.0.9/Contents/Home",
		"/Applications/My JDK.app/Contents/Home",
	}
	if got := MacJavaHomes([]byte(out)); !reflect.DeepEqual(got, want) {
		t.Errorf("MacJavaHomes = %q, want %q", got, want)
	}
	if got := MacJavaHomes([]byte("Unable to find any JVMs matching version \"(null)\".\nNo Java runtime present, try --request to install.\n")); len(got) != 0 {
		t.Errorf("MacJavaHomes(no JVMs) = %q, want none", got)
	}
}

func TestStateDir(t *testing.T) {
	tests := []struct {
		goos, home string
		env        []string
		want       string
	}{
		{"linux", "/home/me", nil, "/home/me/.local/state/vouch"},
		{"linux", "/home/me", []string{"XDG_STATE_HOME", "/st"}, "/st/vouch"},
		{"linux", "/home/me", []string{"XDG_STATE_HOME", "relative"}, "/home/me/.local/state/vouch"},
		{"freebsd", "/home/me", nil, "/home/me/.local/state/vouch"},
		{"darwin", "/Users/me", nil, "/Users/me/Library/Application Support/vouch/state"},
		{"windows", `C:\Users\me`, []string{"LocalAppData", `C:\Users\me\AppData\Local`}, `C:\Users\me\AppData\Local\vouch\state`},
		{"linux", "", nil, ""},
	}
	for _, tt := range tests {
		got := StateDir(tt.goos, tt.home, javaEnv(tt.env...))
		if tt.goos != "windows" {
			got = filepath.ToSlash(got)
		}
		if got != tt.want {
			t.Errorf("StateDir(%s, %q) = %q, want %q", tt.goos, tt.home, got, tt.want)
		}
	}
}

func TestReplaceFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cacerts")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := ReplaceFile(p, []byte("new"), info); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	after, _ := os.Stat(p)
	if string(got) != "new" || (runtime.GOOS != "windows" && after.Mode().Perm() != 0o640) {
		t.Errorf("after ReplaceFile: %q, mode %v; want \"new\", 0640", got, after.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("ReplaceFile left %d files, want 1", len(entries))
	}
}

// TestUnusedJavaHome: a $JAVA_HOME that added no keystore (a typo, a JDK
// since removed, a folder with no trust store) is named with the reason;
// one that was used, or none set, is not.
func TestUnusedJavaHome(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake trees use POSIX paths")
	}
	root := javaTree(t,
		"/usr/lib/jvm/fine/bin/java",
		"/usr/lib/jvm/fine/lib/security/cacerts",
		"/opt/empty/README",
		"/opt/file",
		"/opt/link -> /opt/empty",
		"/opt/broken/bin/java",
		"/opt/broken/lib/security/cacerts -> /etc/ssl/certs/java/cacerts",
	)
	for _, c := range []struct{ javaHome, want string }{
		{"", ""},
		{"/usr/lib/jvm/fine", ""},
		{"/usr/lib/jvm/fine/", ""},
		{"/usr/lib/jvm/fine/bin", "$JAVA_HOME is /usr/lib/jvm/fine/bin, inside the Java at /usr/lib/jvm/fine, which was checked; JAVA_HOME is meant to be that folder"},
		{"/usr/lib/jvm", "$JAVA_HOME is /usr/lib/jvm, a folder above the Java at /usr/lib/jvm/fine, which was checked; JAVA_HOME is meant to be one Java's own folder"},
		{"/opt/link", "$JAVA_HOME is /opt/link, which holds no lib/security/cacerts, so no Java there was checked"},
		{"/opt/broken", "$JAVA_HOME is /opt/broken, whose /opt/broken/lib/security/cacerts leads to /etc/ssl/certs/java/cacerts, which is missing, so no Java there was checked"},
		{"/usr/lib/jvm/fnie", "$JAVA_HOME is /usr/lib/jvm/fnie, which does not exist, so no Java there was checked"},
		{"/opt/empty", "$JAVA_HOME is /opt/empty, which holds no lib/security/cacerts, so no Java there was checked"},
		{"/opt/file", "$JAVA_HOME is /opt/file, which is not a folder, so no Java there was checked"},
	} {
		s := JavaSearch{Root: root, GOOS: "linux", Getenv: func(k string) string {
			if k == "JAVA_HOME" {
				return c.javaHome
			}
			return ""
		}}
		found := FindJava(s)
		if len(found) != 1 {
			t.Fatalf("JAVA_HOME=%q: found %d keystores, want 1", c.javaHome, len(found))
		}
		if got := s.UnusedJavaHome(found); got != c.want {
			t.Errorf("JAVA_HOME=%q: UnusedJavaHome = %q, want %q", c.javaHome, got, c.want)
		}
	}
}
