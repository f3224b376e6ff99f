package truststore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/platform"
)

// listingRunner answers certutil -L with an empty database.
type listingRunner struct{}

func (listingRunner) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	return []byte("\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\n"), nil
}

// firefoxProfiles makes Firefox profiles under a Windows-shaped home,
// each with a database and the given prefs.js (none when "").
func firefoxProfiles(t *testing.T, goos string, prefs ...string) string {
	home := t.TempDir()
	base := filepath.Join(home, "AppData", "Roaming", "Mozilla", "Firefox")
	if goos == "darwin" {
		base = filepath.Join(home, "Library", "Application Support", "Firefox")
	}
	for i, p := range prefs {
		dir := filepath.Join(base, "Profiles", string(rune('a'+i))+".default")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "cert9.db"), nil, 0o644)
		if p != "" {
			os.WriteFile(filepath.Join(dir, "prefs.js"), []byte(p), 0o644)
		}
	}
	return home
}

func TestEnterpriseRootsNote(t *testing.T) {
	off := "user_pref(\"security.enterprise_roots.enabled\", false);\r\n"
	on := "user_pref(\"security.enterprise_roots.enabled\", true);\r\n"
	tests := []struct {
		name  string
		goos  string
		prefs []string
		want  string
	}{
		{"default", "windows", []string{""}, "; Firefox also trusts the OS store's roots (security.enterprise_roots.enabled is not turned off in any profile)"},
		{"on", "darwin", []string{on}, "not turned off in any profile"},
		{"off", "windows", []string{off}, "; security.enterprise_roots.enabled is false in every Firefox profile, so Firefox ignores the OS store's roots"},
		{"mixed", "windows", []string{"", off}, `except in firefox, profile folder b.default, where security.enterprise_roots.enabled is false`},
		{"linux", "linux", []string{""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := firefoxProfiles(t, tt.goos, tt.prefs...)
			n := NewNSS(listingRunner{}, home, func(string) string { return "" }, tt.goos)
			n.LookPath = func(string) (string, error) { return "/nss/certutil", nil }
			if tt.goos == "linux" {
				found := platform.FindNSSDBs(home, n.Getenv, "windows")
				if got := enterpriseRootsNote("linux", found.DBs); got != "" {
					t.Errorf("note on linux = %q", got)
				}
				return
			}
			st := n.Status(uniqueRoot(t))
			if !strings.Contains(st.Reason, tt.want) {
				t.Errorf("Status reason = %q, want it to contain %q", st.Reason, tt.want)
			}
		})
	}
}
