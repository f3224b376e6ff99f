package platform

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// NSSDB is one NSS certificate database that a browser reads.
type NSSDB struct {
	// Dir is the folder holding cert9.db (or, for Legacy, cert8.db).
	Dir string
	// Legacy: only the old Berkeley DB format (cert8.db) is there, which
	// certutil opens as dbm:. Firefox 58 and later migrate it to cert9.db
	// on start, so it is found only in profiles no new Firefox has opened.
	Legacy bool
	// App names who reads it: "chromium", "firefox (snap)", ….
	App string
	// Profile is the Firefox profile's name in profiles.ini, if any.
	Profile string
}

// Spec is the database as certutil's -d takes it.
func (d NSSDB) Spec() string {
	if d.Legacy {
		return "dbm:" + d.Dir
	}
	return "sql:" + d.Dir
}

// File is the file certutil reads: cert9.db, or cert8.db for Legacy.
func (d NSSDB) File() string {
	if d.Legacy {
		return filepath.Join(d.Dir, "cert8.db")
	}
	return filepath.Join(d.Dir, "cert9.db")
}

// Label says who reads the database, for messages.
func (d NSSDB) Label() string {
	if d.Profile != "" {
		return fmt.Sprintf("%s, profile %q", d.App, d.Profile)
	}
	return d.App
}

// NSSSearch is what FindNSSDBs found and where it looked.
type NSSSearch struct {
	DBs []NSSDB
	// Looked lists every folder looked in, found or not, so that "none
	// found" can say where.
	Looked []string
	// NoDB lists profiles that exist but hold no database yet (a Firefox
	// profile made but never started), as "DIR (who)".
	NoDB []string
}

// nssPlace is a folder where a browser keeps NSS data: a database folder
// itself (Chromium's shared one), or a folder of Firefox-style profiles.
type nssPlace struct {
	app      string
	dir      string
	profiles bool
	// shadowedBy: the browser ignores this database when that folder
	// exists (Chromium reads ~/.pki/nssdb in preference to the XDG one).
	shadowedBy string
}

// chromiumFlatpaks are Flatpak IDs of Chromium-family browsers; each keeps
// its NSS database under ~/.var/app/ID, the only part of HOME it writes.
var chromiumFlatpaks = []struct{ id, app string }{
	{"org.chromium.Chromium", "chromium (flatpak)"},
	{"com.google.Chrome", "chrome (flatpak)"},
	{"com.brave.Browser", "brave (flatpak)"},
	{"com.microsoft.Edge", "edge (flatpak)"},
	{"io.github.ungoogled_software.ungoogled_chromium", "ungoogled-chromium (flatpak)"},
}

// nssPlaces lists where browsers keep NSS databases on goos, for a user
// whose home is home and whose environment getenv reads.
func nssPlaces(home string, getenv func(string) string, goos string) []nssPlace {
	h := func(parts ...string) string { return filepath.Join(append([]string{home}, parts...)...) }
	switch goos {
	case "darwin":
		// Chromium-family browsers on macOS use the Keychain, not NSS.
		support := h("Library", "Application Support")
		return []nssPlace{
			{app: "firefox", dir: filepath.Join(support, "Firefox"), profiles: true},
			{app: "librewolf", dir: filepath.Join(support, "librewolf"), profiles: true},
		}
	case "windows":
		// Chromium-family browsers on Windows use the Windows store.
		appData := absEnv(getenv, "APPDATA", h("AppData", "Roaming"))
		places := []nssPlace{
			{app: "firefox", dir: filepath.Join(appData, "Mozilla", "Firefox"), profiles: true},
			{app: "librewolf", dir: filepath.Join(appData, "librewolf"), profiles: true},
		}
		// Firefox from the Microsoft Store keeps its profiles in its
		// package's redirected AppData.
		local := absEnv(getenv, "LOCALAPPDATA", h("AppData", "Local"))
		pkgs, _ := filepath.Glob(filepath.Join(local, "Packages", "Mozilla.Firefox_*"))
		sort.Strings(pkgs)
		for _, p := range pkgs {
			places = append(places, nssPlace{app: "firefox (store)", dir: filepath.Join(p, "LocalCache", "Roaming", "Mozilla", "Firefox"), profiles: true})
		}
		return places
	}
	// Linux and the BSDs.
	dataHome := absEnv(getenv, "XDG_DATA_HOME", h(".local", "share"))
	configHome := absEnv(getenv, "XDG_CONFIG_HOME", h(".config"))
	legacyPKI := h(".pki", "nssdb")
	snapChromium := h("snap", "chromium", "current")
	places := []nssPlace{
		// Chromium, Chrome, Brave, Edge, Vivaldi, Opera: one shared
		// database. Since M146 a new one goes to $XDG_DATA_HOME/pki/nssdb,
		// but an existing ~/.pki/nssdb is still the one read.
		{app: "chromium", dir: legacyPKI},
		{app: "chromium", dir: filepath.Join(dataHome, "pki", "nssdb"), shadowedBy: legacyPKI},
		// The snap's HOME is ~/snap/chromium/current.
		{app: "chromium (snap)", dir: filepath.Join(snapChromium, ".pki", "nssdb")},
		{app: "chromium (snap)", dir: filepath.Join(snapChromium, ".local", "share", "pki", "nssdb"), shadowedBy: filepath.Join(snapChromium, ".pki", "nssdb")},
	}
	for _, fp := range chromiumFlatpaks {
		app := h(".var", "app", fp.id)
		places = append(places,
			nssPlace{app: fp.app, dir: filepath.Join(app, ".pki", "nssdb")},
			nssPlace{app: fp.app, dir: filepath.Join(app, "data", "pki", "nssdb"), shadowedBy: filepath.Join(app, ".pki", "nssdb")},
		)
	}
	// Firefox (and Developer Edition, Nightly, ESR: the same folders,
	// other profiles) and LibreWolf keep one database per profile. Since
	// Firefox 147 a new profile folder goes to $XDG_CONFIG_HOME/mozilla.
	flatpakFirefox := h(".var", "app", "org.mozilla.firefox")
	return append(places,
		nssPlace{app: "firefox", dir: h(".mozilla", "firefox"), profiles: true},
		nssPlace{app: "firefox", dir: filepath.Join(configHome, "mozilla", "firefox"), profiles: true},
		nssPlace{app: "firefox (snap)", dir: h("snap", "firefox", "common", ".mozilla", "firefox"), profiles: true},
		nssPlace{app: "firefox (flatpak)", dir: filepath.Join(flatpakFirefox, ".mozilla", "firefox"), profiles: true},
		nssPlace{app: "firefox (flatpak)", dir: filepath.Join(flatpakFirefox, "config", "mozilla", "firefox"), profiles: true},
		nssPlace{app: "librewolf", dir: h(".librewolf"), profiles: true},
		nssPlace{app: "librewolf (flatpak)", dir: h(".var", "app", "io.gitlab.librewolf-community", ".librewolf"), profiles: true},
	)
}

// absEnv is the environment variable name if it holds an absolute path
// (the XDG spec says to ignore a relative one), else def.
func absEnv(getenv func(string) string, name, def string) string {
	if getenv != nil {
		if v := getenv(name); v != "" && filepath.IsAbs(v) {
			return v
		}
	}
	return def
}

// FindNSSDBs finds every NSS database the browsers of a user with this
// home and environment read on goos, without starting any browser: the
// shared Chromium databases, and each Firefox-style profile listed in a
// profiles.ini (or, where there is none, each profile folder holding a
// database). It only reads the file system. A database reached by two
// paths (a symbolic link) is listed once.
func FindNSSDBs(home string, getenv func(string) string, goos string) NSSSearch {
	var s NSSSearch
	seen := map[string]bool{}
	add := func(db NSSDB) {
		key := db.Dir
		if real, err := filepath.EvalSymlinks(db.Dir); err == nil {
			key = real
		}
		if !seen[key] {
			seen[key] = true
			s.DBs = append(s.DBs, db)
		}
	}
	absent := absentIn(home)
	for _, p := range nssPlaces(home, getenv, goos) {
		s.Looked = append(s.Looked, p.dir)
		if absent(p.dir) {
			// Nothing below it to read: no database, no profiles.ini, no
			// profile folder, as each look would have found.
			continue
		}
		if !p.profiles {
			if db, ok := nssDBIn(p.dir, p.app, ""); ok {
				if p.shadowedBy != "" && isDir(p.shadowedBy) {
					db.App += " (unused while " + p.shadowedBy + " exists)"
				}
				add(db)
			}
			continue
		}
		profiles, err := firefoxProfiles(p.dir)
		if err != nil {
			// An unreadable profiles.ini is news, not a reason to stop.
			s.NoDB = append(s.NoDB, fmt.Sprintf("%s (%s: %v)", p.dir, p.app, err))
			continue
		}
		for _, pr := range profiles {
			if db, ok := nssDBIn(pr.dir, p.app, pr.name); ok {
				add(db)
			} else if pr.name != "" && isDir(pr.dir) {
				s.NoDB = append(s.NoDB, fmt.Sprintf("%s (%s, profile %q)", pr.dir, p.app, pr.name))
			}
		}
	}
	return s
}

// absentIn returns what says whether a path lies in a folder of home's
// that is not there (~/.var, ~/snap, ~/.mozilla on a machine without
// Flatpak, snaps or Firefox): then every look below it finds nothing, and
// one stat of that folder answers for the 2 to 24 paths FindNSSDBs would
// look at below it. Paths outside home are never taken for absent.
func absentIn(home string) func(string) bool {
	known := map[string]bool{}
	prefix := filepath.Clean(home) + string(filepath.Separator)
	return func(p string) bool {
		rest, ok := strings.CutPrefix(p, prefix)
		if home == "" || !ok {
			return false
		}
		top, _, _ := strings.Cut(rest, string(filepath.Separator))
		if top == "" || top == "." || top == ".." {
			return false
		}
		gone, ok := known[top]
		if !ok {
			_, err := os.Stat(prefix + top)
			gone = errors.Is(err, fs.ErrNotExist)
			known[top] = gone
		}
		return gone
	}
}

// nssDBIn returns the database in dir, if dir holds one. cert9.db wins
// over cert8.db: it is the one NSS opens once both are there.
func nssDBIn(dir, app, profile string) (NSSDB, bool) {
	switch {
	case isFile(filepath.Join(dir, "cert9.db")):
		return NSSDB{Dir: dir, App: app, Profile: profile}, true
	case isFile(filepath.Join(dir, "cert8.db")):
		return NSSDB{Dir: dir, Legacy: true, App: app, Profile: profile}, true
	}
	return NSSDB{}, false
}

type profile struct {
	name string // "" for a folder found by globbing
	dir  string
}

// firefoxProfiles lists the profile folders of a Firefox-style root: those
// in its profiles.ini, or, with no profiles.ini, every folder in it (or in
// its Profiles folder, as on macOS and Windows) that holds a database.
// Profiles of a profile group (Firefox's newer profile manager, marked by
// StoreID=) are kept in the group's own database, not profiles.ini, so a
// root that has one is searched the same way as well.
func firefoxProfiles(root string) ([]profile, error) {
	data, err := os.ReadFile(filepath.Join(root, "profiles.ini"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []profile
	glob := err != nil
	if err == nil {
		ini := parseProfilesINI(data)
		for _, p := range ini.profiles {
			dir := p.path
			if p.relative {
				dir = filepath.Join(root, filepath.FromSlash(p.path))
			}
			out = append(out, profile{name: p.name, dir: dir})
		}
		glob = ini.groups
	}
	if glob {
		listed := map[string]bool{}
		for _, p := range out {
			listed[filepath.Clean(p.dir)] = true
		}
		for _, pattern := range []string{"*", filepath.Join("Profiles", "*")} {
			matches, _ := filepath.Glob(filepath.Join(root, pattern))
			sort.Strings(matches)
			for _, m := range matches {
				if !listed[filepath.Clean(m)] && (isFile(filepath.Join(m, "cert9.db")) || isFile(filepath.Join(m, "cert8.db"))) {
					out = append(out, profile{dir: m})
				}
			}
		}
	}
	return out, nil
}

type iniProfile struct {
	name     string
	path     string
	relative bool
}

type profilesINI struct {
	profiles []iniProfile
	// groups: some profile belongs to a profile group (StoreID=).
	groups bool
}

// parseProfilesINI reads the [ProfileN] sections of a profiles.ini. A
// profile with IsRelative=1 (or none, and a path that is not absolute) is
// relative to the folder of profiles.ini, with / as separator on every OS.
func parseProfilesINI(data []byte) profilesINI {
	var out profilesINI
	var cur *iniProfile
	var isRel string
	flush := func() {
		if cur != nil && cur.path != "" {
			switch isRel {
			case "1":
				cur.relative = true
			case "0":
			default:
				cur.relative = !filepath.IsAbs(cur.path) && !strings.HasPrefix(cur.path, "/")
			}
			out.profiles = append(out.profiles, *cur)
		}
		cur, isRel = nil, ""
	}
	// Lines of any length: a bufio.Scanner stops at its first line over
	// 64 KB, and every profile after it would go unseen without a word.
	for raw := range bytes.Lines(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))) {
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			flush()
			if n, ok := strings.CutPrefix(strings.Trim(line, "[]"), "Profile"); ok && n != "" && strings.Trim(n, "0123456789") == "" {
				cur = &iniProfile{}
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || cur == nil {
			continue
		}
		switch strings.TrimSpace(key) {
		case "Name":
			cur.name = strings.TrimSpace(value)
		case "Path":
			cur.path = strings.TrimSpace(value)
		case "IsRelative":
			isRel = strings.TrimSpace(value)
		case "StoreID":
			if strings.TrimSpace(value) != "" {
				out.groups = true
			}
		}
	}
	flush()
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// FindCertutil finds NSS's certutil for goos: in PATH, else where Homebrew
// keeps it on macOS (its nss formula is keg-only on some versions). On
// Windows, System32's certutil.exe is Microsoft's own, a different program
// taking different flags, so it never counts.
func FindCertutil(goos string, getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	candidates := []string{"certutil"}
	if goos == "darwin" {
		candidates = append(candidates, "/opt/homebrew/opt/nss/bin/certutil", "/usr/local/opt/nss/bin/certutil")
	}
	for _, c := range candidates {
		p, err := lookPath(c)
		if err != nil {
			continue
		}
		if goos == "windows" && isWindowsCertutil(p, getenv) {
			continue
		}
		return p, nil
	}
	return "", errors.New("NSS's certutil not found")
}

func isWindowsCertutil(p string, getenv func(string) string) bool {
	lower := strings.ToLower(strings.ReplaceAll(p, "/", `\`))
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if root := getenv("SystemRoot"); root != "" && strings.HasPrefix(lower, strings.ToLower(strings.TrimRight(root, `\/`))+`\`) {
		return true
	}
	return strings.Contains(lower, `\windows\system32\`) || strings.Contains(lower, `\windows\syswow64\`)
}

// CertutilHint is a command that installs NSS's certutil on goos; for
// Linux, osRelease (the contents of /etc/os-release, or nil) picks the
// distribution.
func CertutilHint(goos string, osRelease []byte) string {
	switch goos {
	case "darwin":
		return "brew install nss"
	case "freebsd":
		return "sudo pkg install nss"
	case "windows":
		return "NSS's certutil is not packaged for Windows; set security.enterprise_roots.enabled to true in Firefox's about:config to let Firefox use the Windows store instead"
	}
	ids := osReleaseIDs(osRelease)
	for _, id := range ids {
		switch id {
		case "debian", "ubuntu":
			return "sudo apt install libnss3-tools"
		case "fedora", "rhel", "centos":
			return "sudo dnf install nss-tools"
		case "arch":
			return "sudo pacman -S nss"
		case "opensuse", "suse":
			return "sudo zypper install mozilla-nss-tools"
		case "alpine":
			return "apk add nss-tools"
		}
	}
	return "install NSS's certutil: sudo apt install libnss3-tools (Debian, Ubuntu), sudo dnf install nss-tools (Fedora), sudo pacman -S nss (Arch), sudo zypper install mozilla-nss-tools (openSUSE), apk add nss-tools (Alpine)"
}

// osReleaseIDs is ID then each ID_LIKE entry of an os-release file.
func osReleaseIDs(data []byte) []string {
	var id string
	var like []string
	for line := range bytes.Lines(data) {
		key, value, ok := strings.Cut(strings.TrimSpace(string(line)), "=")
		if !ok {
			continue
		}
		value = strings.ToLower(strings.Trim(value, `"'`))
		switch key {
		case "ID":
			id = value
		case "ID_LIKE":
			like = strings.Fields(value)
		}
	}
	var out []string
	if id != "" {
		// opensuse-leap, opensuse-tumbleweed
		out = append(out, id, strings.SplitN(id, "-", 2)[0])
	}
	return append(out, like...)
}
