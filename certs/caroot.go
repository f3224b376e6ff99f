package certs

import (
	"errors"
	"path/filepath"
	"strings"
)

// Env is the part of the environment the CA folder depends on; main fills it
// from the process and tests from fixtures.
type Env struct {
	Getenv func(string) string
	GOOS   string
	Home   string
}

// CARoot picks the CA folder: the flag, else $VOUCH_CAROOT, else mkcert's
// $CAROOT, else the per-OS user data folder. explicit is true when the user
// named the folder, which then must already have an existing parent.
func CARoot(flag string, env Env) (dir string, explicit bool, err error) {
	if flag != "" {
		return filepath.Clean(flag), true, nil
	}
	for _, v := range []string{"VOUCH_CAROOT", "CAROOT"} {
		if d := env.Getenv(v); d != "" {
			return filepath.Clean(d), true, nil
		}
	}
	// A relative base would make a new CA in every folder vouch runs in;
	// the XDG spec says to ignore one.
	abs := func(v string) string {
		if d := env.Getenv(v); isAbs(env.GOOS, d) {
			return d
		}
		return ""
	}
	var base string
	switch env.GOOS {
	case "windows":
		base = abs("LocalAppData")
		if base == "" && env.Home != "" {
			base = filepath.Join(env.Home, "AppData", "Local")
		}
	case "darwin":
		if env.Home != "" {
			base = filepath.Join(env.Home, "Library", "Application Support")
		}
	default:
		base = abs("XDG_DATA_HOME")
		if base == "" && env.Home != "" {
			base = filepath.Join(env.Home, ".local", "share")
		}
	}
	if base == "" {
		return "", false, errors.New("can't find a folder for the CA: no home folder; set --caroot or $VOUCH_CAROOT")
	}
	return filepath.Join(base, "vouch"), false, nil
}

// isAbs is filepath.IsAbs by goos's rules rather than the build's, as Env
// may describe another system (a test, or Windows seen from WSL).
func isAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, `\\`) {
		return true // UNC: \\server\share
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		('a' <= p[0]|0x20 && p[0]|0x20 <= 'z')
}
