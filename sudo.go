package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vouchdev/vouch/certs"
)

// The CA folder, the browser profiles and the copies vouch keeps to undo
// an install all belong to one user. Under sudo they are root's (sudo
// resets HOME on most distros) or, where sudo keeps HOME, root would
// leave files in the user's home that the user can no longer change.
// Either way the user's own `vouch localhost` then signs with a CA the
// machine does not trust, the mkcert mistake users report most. vouch
// asks for sudo itself where it needs root, so under sudo it stops and
// says how to run it instead.

// sudoer is the user who started vouch through sudo, or nil when vouch
// runs as itself (root in a CI image included).
type sudoer struct {
	name, home string
	// caroot is the CA folder vouch would pick for them.
	caroot string
}

func (a *app) sudoer() *sudoer {
	if !a.isRoot {
		return nil
	}
	uid := a.getenv("SUDO_UID")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		return nil
	}
	lookup := a.lookupUID
	if lookup == nil {
		lookup = user.LookupId
	}
	u, err := lookup(uid)
	if err != nil || u.HomeDir == "" {
		return nil
	}
	// Their own $XDG_DATA_HOME is gone under sudo: the default is all
	// that can be known.
	dir, _, err := certs.CARoot("", certs.Env{Getenv: func(string) string { return "" }, GOOS: a.goos, Home: u.HomeDir})
	if err != nil {
		return nil
	}
	return &sudoer{name: u.Username, home: u.HomeDir, caroot: dir}
}

// owns says whether dir is the user's CA folder, or in their home (sudo -E
// keeps their $XDG_DATA_HOME, which may name another folder there).
func (s *sudoer) owns(dir string) bool {
	return dir == s.caroot || strings.HasPrefix(dir, s.home+string(filepath.Separator))
}

// refuseSudo stops cmd before it changes anything when it runs under sudo
// on the default CA folder; --caroot, $VOUCH_CAROOT or $CAROOT name the
// folder on purpose and lift the check. signs is for commands that only
// read the CA (cert, export): they may go on with the user's own CA, as
// root, when sudo kept HOME and that CA exists, since then they write
// only the files asked for.
func (a *app) refuseSudo(cmd, caroot string, signs bool) bool {
	s := a.sudoer()
	if s == nil {
		return false
	}
	dir, explicit, err := a.caroot(caroot)
	if err != nil || explicit {
		return false
	}
	theirs := s.owns(dir)
	if signs && theirs && hasCA(dir) {
		return false
	}
	if !theirs {
		a.errorf("vouch %s is running under sudo, so it would use root's CA folder (%s), not %s's (%s)", cmd, dir, s.name, s.caroot)
	} else {
		a.errorf("vouch %s is running under sudo, so it would leave files owned by root in %s's home folder (%s)", cmd, s.name, s.home)
	}
	if signs {
		a.hintf("%s   (without sudo, as %s)", a.commandLine("vouch"), s.name)
		if hasCA(s.caroot) {
			a.hintf("%s   (%s's CA, files written as root)", a.commandLine("sudo", "vouch", "--caroot", s.caroot), s.name)
		}
	} else {
		a.hintf("%s   (without sudo: vouch asks for sudo itself where it needs root)", a.commandLine("vouch"))
	}
	if !theirs {
		a.hintf("%s   (root's own CA, on purpose)", a.commandLine("sudo", "vouch", "--caroot", dir))
	}
	return true
}

// warnSudo tells a command that only reads (status, caroot, env) that
// under sudo it is looking at root's CA folder, not the user's.
func (a *app) warnSudo(caroot string) {
	s := a.sudoer()
	if s == nil {
		return
	}
	if dir, explicit, err := a.caroot(caroot); err == nil && !explicit && !s.owns(dir) {
		a.warnf("under sudo this is root's CA folder (%s), not %s's (%s)", dir, s.name, s.caroot)
		a.hintf("%s   (without sudo)", a.commandLine("vouch"))
	}
}

// warnSudoHome tells trust and untrust, which keep their record and find
// browser profiles under HOME, whose HOME that is under sudo. They go on:
// they use no CA folder, and the system store they change is everyone's.
func (a *app) warnSudoHome(cmd string) {
	s := a.sudoer()
	if s == nil {
		return
	}
	if a.home == s.home {
		a.warnf("vouch %s is running under sudo: what it keeps in %s will be owned by root", cmd, s.home)
	} else {
		a.warnf("vouch %s is running under sudo: it reaches root's browser profiles and keeps its record in root's home (%s), not %s's", cmd, a.home, s.name)
	}
	a.hintf("%s   (without sudo: vouch asks for sudo itself where it needs root)", a.commandLine("vouch"))
}

// hasCA says whether dir holds a CA's root, without loading it.
func hasCA(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, certs.RootCertFile))
	return err == nil
}
