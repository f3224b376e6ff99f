package platform

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeHome builds files under a temp home: a path ending in / is a folder,
// "a -> b" a symbolic link, anything else a file with the given content.
func fakeHome(t *testing.T, files map[string]string) string {
	t.Helper()
	home := t.TempDir()
	for name, content := range files {
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			p := filepath.Join(home, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(home, target), p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		if strings.HasPrefix(content, "-> ") {
			continue
		}
		p := filepath.Join(home, name)
		content = strings.ReplaceAll(content, "$HOME", home)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// found lists FindNSSDBs' databases as "SPEC | who", with the home as ~.
func found(home string, s NSSSearch) []string {
	var out []string
	for _, db := range s.DBs {
		out = append(out, strings.ReplaceAll(db.Spec()+" | "+db.Label(), home, "~"))
	}
	return out
}

func TestFindNSSDBs(t *testing.T) {
	const (
		relINI = "[General]\nStartWithLastProfile=1\n\n[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\nDefault=1\n\n[Profile1]\nName=dev-edition-default\nIsRelative=1\nPath=def.dev-edition-default\n"
		macINI = "[Profile0]\r\nName=default-release\r\nIsRelative=1\r\nPath=Profiles/abc.default-release\r\n"
	)
	tests := []struct {
		name  string
		goos  string
		files map[string]string
		env   map[string]string
		want  []string
		noDB  []string
	}{
		{
			name: "nothing",
			goos: "linux",
			files: map[string]string{
				".pki/nssdb/":              "", // a folder with no database
				".mozilla/firefox/x/prefs": "",
			},
		},
		{
			name:  "chromium legacy ~/.pki/nssdb",
			goos:  "linux",
			files: map[string]string{".pki/nssdb/cert9.db": ""},
			want:  []string{"sql:~/.pki/nssdb | chromium"},
		},
		{
			name:  "chromium M146+ XDG default",
			goos:  "linux",
			files: map[string]string{".local/share/pki/nssdb/cert9.db": ""},
			want:  []string{"sql:~/.local/share/pki/nssdb | chromium"},
		},
		{
			name:  "chromium XDG_DATA_HOME",
			goos:  "linux",
			files: map[string]string{"data/pki/nssdb/cert9.db": "", ".local/share/pki/nssdb/cert9.db": ""},
			env:   map[string]string{"XDG_DATA_HOME": "$HOME/data"},
			want:  []string{"sql:~/data/pki/nssdb | chromium"},
		},
		{
			name:  "relative XDG_DATA_HOME is ignored",
			goos:  "linux",
			files: map[string]string{"data/pki/nssdb/cert9.db": "", ".local/share/pki/nssdb/cert9.db": ""},
			env:   map[string]string{"XDG_DATA_HOME": "data"},
			want:  []string{"sql:~/.local/share/pki/nssdb | chromium"},
		},
		{
			name:  "chromium XDG database shadowed by ~/.pki/nssdb",
			goos:  "linux",
			files: map[string]string{".pki/nssdb/cert9.db": "", ".local/share/pki/nssdb/cert9.db": ""},
			want:  []string{"sql:~/.pki/nssdb | chromium", "sql:~/.local/share/pki/nssdb | chromium (unused while ~/.pki/nssdb exists)"},
		},
		{
			name: "chromium snap and flatpak",
			goos: "linux",
			files: map[string]string{
				"snap/chromium/2497/.pki/nssdb/cert9.db":                       "",
				"snap/chromium/current":                                        "-> snap/chromium/2497",
				".var/app/org.chromium.Chromium/.pki/nssdb/cert9.db":           "",
				".var/app/com.google.Chrome/data/pki/nssdb/cert9.db":           "",
				"snap/chromium/1000/.pki/nssdb/cert9.db":                       "", // an old revision: not current
				".var/app/org.chromium.Chromium/data/pki/nssdb/other/cert9.db": "",
			},
			want: []string{
				"sql:~/snap/chromium/current/.pki/nssdb | chromium (snap)",
				"sql:~/.var/app/org.chromium.Chromium/.pki/nssdb | chromium (flatpak)",
				"sql:~/.var/app/com.google.Chrome/data/pki/nssdb | chrome (flatpak)",
			},
		},
		{
			name: "profiles.ini, relative paths, Developer Edition beside release",
			goos: "linux",
			files: map[string]string{
				".mozilla/firefox/profiles.ini":                     relINI,
				".mozilla/firefox/abc.default-release/cert9.db":     "",
				".mozilla/firefox/def.dev-edition-default/cert9.db": "",
				".mozilla/firefox/zzz.orphan/cert9.db":              "", // not in profiles.ini
			},
			want: []string{
				`sql:~/.mozilla/firefox/abc.default-release | firefox, profile "default-release"`,
				`sql:~/.mozilla/firefox/def.dev-edition-default | firefox, profile "dev-edition-default"`,
			},
		},
		{
			name: "profiles.ini, absolute path and a profile never started",
			goos: "linux",
			files: map[string]string{
				".mozilla/firefox/profiles.ini": "[Profile0]\nName=work\nIsRelative=0\nPath=$HOME/elsewhere/work\n\n[Profile1]\nName=fresh\nIsRelative=1\nPath=new.fresh\n",
				"elsewhere/work/cert9.db":       "",
				".mozilla/firefox/new.fresh/":   "",
			},
			want: []string{`sql:~/elsewhere/work | firefox, profile "work"`},
			noDB: []string{`~/.mozilla/firefox/new.fresh (firefox, profile "fresh")`},
		},
		{
			name: "no profiles.ini: profile folders holding a database, cert9 over cert8",
			goos: "linux",
			files: map[string]string{
				".mozilla/firefox/a.default/cert9.db": "",
				".mozilla/firefox/b.old/cert8.db":     "",
				".mozilla/firefox/c.both/cert8.db":    "",
				".mozilla/firefox/c.both/cert9.db":    "",
				".mozilla/firefox/Crash Reports/x":    "",
			},
			want: []string{
				"sql:~/.mozilla/firefox/a.default | firefox",
				"dbm:~/.mozilla/firefox/b.old | firefox",
				"sql:~/.mozilla/firefox/c.both | firefox",
			},
		},
		{
			name: "Firefox 147+ XDG config folder, default and XDG_CONFIG_HOME",
			goos: "linux",
			files: map[string]string{
				".config/mozilla/firefox/profiles.ini":     "[Profile0]\nName=a\nIsRelative=1\nPath=a.a\n",
				".config/mozilla/firefox/a.a/cert9.db":     "",
				"cfg/mozilla/firefox/profiles.ini":         "[Profile0]\nName=b\nIsRelative=1\nPath=b.b\n",
				"cfg/mozilla/firefox/b.b/cert9.db":         "",
				".config/mozilla/firefox-esr/Crash Report": "",
			},
			env:  map[string]string{"XDG_CONFIG_HOME": "$HOME/cfg"},
			want: []string{`sql:~/cfg/mozilla/firefox/b.b | firefox, profile "b"`},
		},
		{
			name: "Firefox snap and Flatpak, LibreWolf and its Flatpak",
			goos: "linux",
			files: map[string]string{
				"snap/firefox/common/.mozilla/firefox/profiles.ini":                    "[Profile0]\nName=s\nIsRelative=1\nPath=s.default\n",
				"snap/firefox/common/.mozilla/firefox/s.default/cert9.db":              "",
				".var/app/org.mozilla.firefox/.mozilla/firefox/profiles.ini":           "[Profile0]\nName=f\nIsRelative=1\nPath=f.default\n",
				".var/app/org.mozilla.firefox/.mozilla/firefox/f.default/cert9.db":     "",
				".var/app/org.mozilla.firefox/config/mozilla/firefox/g.new/cert9.db":   "",
				".librewolf/profiles.ini":                                              "[Profile0]\nName=l\nIsRelative=1\nPath=l.default\n",
				".librewolf/l.default/cert9.db":                                        "",
				".var/app/io.gitlab.librewolf-community/.librewolf/m.default/cert9.db": "",
			},
			want: []string{
				`sql:~/snap/firefox/common/.mozilla/firefox/s.default | firefox (snap), profile "s"`,
				`sql:~/.var/app/org.mozilla.firefox/.mozilla/firefox/f.default | firefox (flatpak), profile "f"`,
				"sql:~/.var/app/org.mozilla.firefox/config/mozilla/firefox/g.new | firefox (flatpak)",
				`sql:~/.librewolf/l.default | librewolf, profile "l"`,
				"sql:~/.var/app/io.gitlab.librewolf-community/.librewolf/m.default | librewolf (flatpak)",
			},
		},
		{
			name: "a symbolic link to another profiles folder counts once",
			goos: "linux",
			files: map[string]string{
				".config/mozilla/firefox/profiles.ini": "[Profile0]\nName=a\nIsRelative=1\nPath=a.a\n",
				".config/mozilla/firefox/a.a/cert9.db": "",
				".mozilla/firefox":                     "-> .config/mozilla/firefox",
			},
			want: []string{`sql:~/.mozilla/firefox/a.a | firefox, profile "a"`},
		},
		{
			name: "profile groups (StoreID): profiles.ini and the folders beside it",
			goos: "linux",
			files: map[string]string{
				".mozilla/firefox/profiles.ini":        "[Profile0]\nName=a\nIsRelative=1\nPath=a.a\nStoreID=1234abcd\n",
				".mozilla/firefox/a.a/cert9.db":        "",
				".mozilla/firefox/Profiles/b/cert9.db": "",
			},
			want: []string{`sql:~/.mozilla/firefox/a.a | firefox, profile "a"`, "sql:~/.mozilla/firefox/Profiles/b | firefox"},
		},
		{
			name: "macOS: Firefox profiles, no Chromium NSS",
			goos: "darwin",
			files: map[string]string{
				".pki/nssdb/cert9.db":                                                       "",
				"Library/Application Support/Firefox/profiles.ini":                          macINI,
				"Library/Application Support/Firefox/Profiles/abc.default-release/cert9.db": "",
				"Library/Application Support/librewolf/Profiles/x.default/cert9.db":         "",
			},
			want: []string{
				`sql:~/Library/Application Support/Firefox/Profiles/abc.default-release | firefox, profile "default-release"`,
				"sql:~/Library/Application Support/librewolf/Profiles/x.default | librewolf",
			},
		},
		{
			name: "Windows: %APPDATA% profiles and the Microsoft Store's",
			goos: "windows",
			files: map[string]string{
				"roaming/Mozilla/Firefox/profiles.ini":                                                                        "\xef\xbb\xbf" + macINI,
				"roaming/Mozilla/Firefox/Profiles/abc.default-release/cert9.db":                                               "",
				"AppData/Roaming/Mozilla/Firefox/Profiles/unused/cert9.db":                                                    "",
				"local/Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Roaming/Mozilla/Firefox/Profiles/s.default/cert9.db": "",
			},
			env: map[string]string{"APPDATA": "$HOME/roaming", "LOCALAPPDATA": "$HOME/local"},
			want: []string{
				`sql:~/roaming/Mozilla/Firefox/Profiles/abc.default-release | firefox, profile "default-release"`,
				"sql:~/local/Packages/Mozilla.Firefox_n80bbvh6b1yt2/LocalCache/Roaming/Mozilla/Firefox/Profiles/s.default | firefox (store)",
			},
		},
		{
			name: "Windows without APPDATA: the default folder",
			goos: "windows",
			files: map[string]string{
				"AppData/Roaming/Mozilla/Firefox/Profiles/x.default/cert9.db": "",
			},
			want: []string{"sql:~/AppData/Roaming/Mozilla/Firefox/Profiles/x.default | firefox"},
		},
		{
			name:  "FreeBSD: the Linux layout",
			goos:  "freebsd",
			files: map[string]string{".pki/nssdb/cert9.db": "", ".mozilla/firefox/a.default/cert9.db": ""},
			want:  []string{"sql:~/.pki/nssdb | chromium", "sql:~/.mozilla/firefox/a.default | firefox"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := fakeHome(t, tt.files)
			getenv := func(k string) string { return strings.ReplaceAll(tt.env[k], "$HOME", home) }
			s := FindNSSDBs(home, getenv, tt.goos)
			if got := found(home, s); !slices.Equal(got, tt.want) {
				t.Errorf("FindNSSDBs() =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			var noDB []string
			for _, n := range s.NoDB {
				noDB = append(noDB, strings.ReplaceAll(n, home, "~"))
			}
			if !slices.Equal(noDB, tt.noDB) {
				t.Errorf("FindNSSDBs().NoDB = %q, want %q", noDB, tt.noDB)
			}
			if len(s.Looked) == 0 {
				t.Errorf("FindNSSDBs().Looked is empty")
			}
		})
	}
}

func TestFindNSSDBsLooked(t *testing.T) {
	home := t.TempDir()
	s := FindNSSDBs(home, func(string) string { return "" }, "linux")
	for _, want := range []string{".pki/nssdb", ".local/share/pki/nssdb", ".mozilla/firefox", ".config/mozilla/firefox", "snap/firefox/common/.mozilla/firefox", ".var/app/org.mozilla.firefox/.mozilla/firefox", ".librewolf", "snap/chromium/current/.pki/nssdb", ".var/app/org.chromium.Chromium/.pki/nssdb"} {
		if !slices.Contains(s.Looked, filepath.Join(home, want)) {
			t.Errorf("FindNSSDBs on an empty home did not look in ~/%s", want)
		}
	}
	if len(s.DBs) != 0 {
		t.Errorf("FindNSSDBs on an empty home = %v, want none", s.DBs)
	}
}

func TestParseProfilesINI(t *testing.T) {
	in := "\xef\xbb\xbf[Install4F96D1932A9F858E]\r\nDefault=abc.default-release\r\n\r\n[Profile1]\r\nName=abs\r\nIsRelative=0\r\nPath=/p/abs\r\n\r\n[Profile0]\r\nName=rel\r\nPath=Profiles/rel\r\n\r\n[ProfileGroups]\r\nPath=x\r\n\r\n[Profile2]\r\nName=empty\r\n"
	got := parseProfilesINI([]byte(in))
	want := []iniProfile{{name: "abs", path: "/p/abs"}, {name: "rel", path: "Profiles/rel", relative: true}}
	if !slices.Equal(got.profiles, want) || got.groups {
		t.Errorf("parseProfilesINI() = %+v, want %+v and no groups", got, want)
	}
}

// TestParseProfilesINILongLine: a line longer than bufio.Scanner's 64 KB
// (a tool's long value under [General]) hides none of the profiles after it.
func TestParseProfilesINILongLine(t *testing.T) {
	in := "[General]\nNote=" + strings.Repeat("x", 100<<10) + "\n[Profile0]\nIsRelative=1\nPath=Profiles/after\n"
	got := parseProfilesINI([]byte(in))
	if want := []iniProfile{{path: "Profiles/after", relative: true}}; !slices.Equal(got.profiles, want) {
		t.Errorf("parseProfilesINI() = %+v, want %+v", got.profiles, want)
	}
	if ids := osReleaseIDs([]byte("X=" + strings.Repeat("y", 100<<10) + "\nID=debian\n")); !slices.Equal(ids, []string{"debian", "debian"}) {
		t.Errorf("osReleaseIDs after a long line = %q, want debian", ids)
	}
}

func TestFindCertutil(t *testing.T) {
	look := func(found ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			// Homebrew's keg is not in PATH; everything else is.
			for _, f := range found {
				if (name == "certutil" && !strings.Contains(f, "/opt/nss/")) || name == f {
					return f, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	env := func(k string) string {
		if k == "SystemRoot" {
			return `C:\Windows`
		}
		return ""
	}
	tests := []struct {
		goos  string
		found []string
		want  string
	}{
		{"linux", []string{"/usr/bin/certutil"}, "/usr/bin/certutil"},
		{"linux", nil, ""},
		{"darwin", []string{"/opt/homebrew/opt/nss/bin/certutil"}, "/opt/homebrew/opt/nss/bin/certutil"},
		{"darwin", []string{"/usr/local/opt/nss/bin/certutil"}, "/usr/local/opt/nss/bin/certutil"},
		{"windows", []string{`C:\Windows\System32\certutil.exe`}, ""},
		{"windows", []string{`c:\windows\system32\certutil.exe`}, ""},
		{"windows", []string{`C:\nss\bin\certutil.exe`}, `C:\nss\bin\certutil.exe`},
	}
	for _, tt := range tests {
		got, err := FindCertutil(tt.goos, env, look(tt.found...))
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("FindCertutil(%s) with %q = %q, %v; want %q", tt.goos, tt.found, got, err, tt.want)
		}
	}
}

func TestCertutilHint(t *testing.T) {
	tests := []struct {
		goos, osRelease, want string
	}{
		{"linux", "ID=debian\n", "sudo apt install libnss3-tools"},
		{"linux", "ID=pop\nID_LIKE=\"ubuntu debian\"\n", "sudo apt install libnss3-tools"},
		{"linux", "ID=fedora\n", "sudo dnf install nss-tools"},
		{"linux", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", "sudo dnf install nss-tools"},
		{"linux", "ID=arch\n", "sudo pacman -S nss"},
		{"linux", "ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\n", "sudo zypper install mozilla-nss-tools"},
		{"linux", "ID=alpine\n", "apk add nss-tools"},
		{"darwin", "", "brew install nss"},
		{"freebsd", "", "sudo pkg install nss"},
	}
	for _, tt := range tests {
		if got := CertutilHint(tt.goos, []byte(tt.osRelease)); got != tt.want {
			t.Errorf("CertutilHint(%s, %q) = %q, want %q", tt.goos, tt.osRelease, got, tt.want)
		}
	}
	unknown := CertutilHint("linux", nil)
	for _, pkg := range []string{"libnss3-tools", "nss-tools", "pacman -S nss", "mozilla-nss-tools", "apk add nss-tools"} {
		if !strings.Contains(unknown, pkg) {
			t.Errorf("CertutilHint on an unknown Linux = %q, want it to name %q", unknown, pkg)
		}
	}
}

// A folder of home's that is not there is looked at once, not once per
// path below it: FindNSSDBs looks in some 30 places, 24 of them under
// ~/.var and ~/snap, which most machines lack, and each look was a stat.
// What it finds is as before where such a folder is there, a file, or a
// link to nowhere (TestFindNSSDBs covers those that are there).
func TestFindNSSDBsAbsentFolders(t *testing.T) {
	home := t.TempDir()
	empty := func(string) string { return "" }
	// Each stat allocates; 160 is well under what looking at every path
	// below the missing folders took (over 250).
	if n := testing.AllocsPerRun(10, func() { FindNSSDBs(home, empty, "linux") }); n > 160 {
		t.Errorf("FindNSSDBs on an empty home allocated %v times, want at most 160 (one look per missing folder)", n)
	}
	home = fakeHome(t, map[string]string{
		".mozilla": "a file where the folder should be",
		"snap":     "-> nowhere",
		"elsewhere/.var/app/org.chromium.Chromium/.pki/nssdb/cert9.db": "",
		".var":                          "-> elsewhere/.var",
		".librewolf/x.default/cert9.db": "",
	})
	s := FindNSSDBs(home, empty, "linux")
	want := []string{"sql:~/.var/app/org.chromium.Chromium/.pki/nssdb | chromium (flatpak)", "sql:~/.librewolf/x.default | librewolf"}
	if got := found(home, s); !slices.Equal(got, want) {
		t.Errorf("FindNSSDBs() =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	var noDB []string
	for _, n := range s.NoDB {
		noDB = append(noDB, strings.ReplaceAll(n, home, "~"))
	}
	if len(noDB) != 1 || !strings.HasPrefix(noDB[0], "~/.mozilla/firefox (firefox: ") || !strings.Contains(noDB[0], "not a directory") {
		t.Errorf("FindNSSDBs().NoDB = %q, want the unreadable ~/.mozilla/firefox", noDB)
	}
}
