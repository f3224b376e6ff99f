package platform

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// prefLine matches one boolean user_pref line of prefs.js or user.js.
var prefLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^[ \t]*user_pref\([ \t]*"([^"\\]+)"[ \t]*,[ \t]*(true|false)[ \t]*\)[ \t]*;`)
})

// parseBoolPref finds a boolean pref in a prefs file; the last setting
// wins, as it does when Firefox reads the file.
func parseBoolPref(data []byte, name string) (value, set bool) {
	for _, m := range prefLine().FindAllSubmatch(data, -1) {
		if string(m[1]) == name {
			value, set = string(m[2]) == "true", true
		}
	}
	return value, set
}

// FirefoxBoolPref reads a boolean pref of the Firefox profile in dir, as
// the profile sets it: prefs.js, then user.js, which Firefox applies last.
// set is false when neither file sets it (Firefox's default applies).
func FirefoxBoolPref(dir, name string) (value, set bool) {
	for _, f := range []string{"prefs.js", "user.js"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		if v, ok := parseBoolPref(data, name); ok {
			value, set = v, true
		}
	}
	return value, set
}
