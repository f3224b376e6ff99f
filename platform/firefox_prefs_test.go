package platform

import (
	"os"
	"path/filepath"
	"testing"
)

const enterpriseRoots = "security.enterprise_roots.enabled"

func TestFirefoxBoolPref(t *testing.T) {
	tests := []struct {
		name        string
		prefs, user string
		value, set  bool
	}{
		{"neither", "", "", false, false},
		{"prefs.js off", `user_pref("security.enterprise_roots.enabled", false);` + "\n", "", false, true},
		{"prefs.js on", "// Mozilla User Preferences\r\nuser_pref(\"browser.startup.page\", 3);\r\nuser_pref(\"security.enterprise_roots.enabled\", true);\r\n", "", true, true},
		{"user.js wins", `user_pref("security.enterprise_roots.enabled", true);`, `user_pref("security.enterprise_roots.enabled",false);`, false, true},
		{"last line wins", "user_pref(\"security.enterprise_roots.enabled\", false);\nuser_pref(\"security.enterprise_roots.enabled\", true);\n", "", true, true},
		{"commented out", "// user_pref(\"security.enterprise_roots.enabled\", false);\n", "", false, false},
		{"other pref", `user_pref("security.enterprise_roots.enabled.x", false);`, "", false, false},
		{"not a bool", `user_pref("security.enterprise_roots.enabled", "false");`, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.prefs != "" {
				os.WriteFile(filepath.Join(dir, "prefs.js"), []byte(tt.prefs), 0o644)
			}
			if tt.user != "" {
				os.WriteFile(filepath.Join(dir, "user.js"), []byte(tt.user), 0o644)
			}
			if v, set := FirefoxBoolPref(dir, enterpriseRoots); v != tt.value || set != tt.set {
				t.Errorf("FirefoxBoolPref = %v, %v; want %v, %v", v, set, tt.value, tt.set)
			}
		})
	}
}

func FuzzParseBoolPref(f *testing.F) {
	f.Add([]byte(`user_pref("security.enterprise_roots.enabled", false);`))
	f.Add([]byte("user_pref(\"a\", true);\r\nuser_pref(\"security.enterprise_roots.enabled\",true);"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, set := parseBoolPref(data, enterpriseRoots)
		if v && !set {
			t.Errorf("true but not set")
		}
	})
}
