package truststore

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vouchdev/vouch/platform"
)

// enterpriseRootsPref makes Firefox also trust the roots in the OS store;
// it is on unless a profile turns it off (by default since Firefox 120,
// on Windows and macOS).
const enterpriseRootsPref = "security.enterprise_roots.enabled"

// enterpriseRootsNote says, for Firefox on Windows and macOS, which
// profiles also read the OS store, where the system store puts the root.
func enterpriseRootsNote(goos string, dbs []platform.NSSDB) string {
	if goos != "windows" && goos != "darwin" {
		return ""
	}
	var on, off []string
	for _, db := range dbs {
		if !strings.HasPrefix(db.App, "firefox") {
			continue
		}
		if v, set := platform.FirefoxBoolPref(db.Dir, enterpriseRootsPref); set && !v {
			off = append(off, profileName(db))
		} else {
			on = append(on, profileName(db))
		}
	}
	switch {
	case len(on)+len(off) == 0:
		return ""
	case len(off) == 0:
		return fmt.Sprintf("; Firefox also trusts the OS store's roots (%s is not turned off in any profile)", enterpriseRootsPref)
	case len(on) == 0:
		return fmt.Sprintf("; %s is false in every Firefox profile, so Firefox ignores the OS store's roots", enterpriseRootsPref)
	}
	return fmt.Sprintf("; Firefox also trusts the OS store's roots except in %s, where %s is false", strings.Join(off, ", "), enterpriseRootsPref)
}

// profileName names a Firefox profile for messages: its name in
// profiles.ini, else its folder.
func profileName(db platform.NSSDB) string {
	if db.Profile != "" {
		return db.Label()
	}
	return fmt.Sprintf("%s, profile folder %s", db.App, filepath.Base(db.Dir))
}
