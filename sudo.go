package main

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/internal/fsinfo"
	"github.com/vouchdev/vouch/platform"
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
	uid, gid   int // -1 when not known
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
	return &sudoer{name: u.Username, home: u.HomeDir, uid: numericID(u.Uid), gid: numericID(u.Gid), caroot: dir}
}

// numericID is a user or group id as a number, or -1 where it is none
// (Windows' SIDs), which os.Lchown takes as "leave it".
func numericID(id string) int {
	n, err := strconv.Atoi(id)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// keepStateTheirs runs before a command. Under a sudo that kept the
// user's HOME (macOS's sudo does; so do sudo -E and --preserve-env=HOME),
// what the command writes in vouch's state folder in their home (the
// copies that undo an install, a friend's record) would be root's, and
// their own runs could not write there after it; nor could they make
// anything in a ~/.local it made. The returned function, run after the
// command, gives them back the state folder and everything in it that is
// root's, and the folders on the way to it that the command made. Folders
// of theirs that were root's before it ran, outside the state folder,
// stay as they were.
func (a *app) keepStateTheirs() func() {
	s := a.sudoer()
	state, ok := a.stateGivenBack(s)
	if !ok {
		return func() {}
	}
	var made []string
	for d := filepath.Dir(state); strings.HasPrefix(d, s.home+string(filepath.Separator)); d = filepath.Dir(d) {
		if _, err := os.Lstat(d); errors.Is(err, fs.ErrNotExist) {
			made = append(made, d)
		}
	}
	return func() {
		give := func(path string) {
			if info, err := os.Lstat(path); err == nil {
				if uid, _, ok := fsinfo.Owner(info); ok && uid == 0 {
					os.Lchown(path, s.uid, s.gid)
				}
			}
		}
		for _, d := range made {
			give(d)
		}
		filepath.WalkDir(state, func(path string, _ fs.DirEntry, err error) error {
			if err == nil {
				give(path)
			}
			return nil
		})
	}
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

// stateGivenBack is vouch's state folder, and whether keepStateTheirs
// gives it back to s, the user sudo was run by: when sudo kept their HOME
// and the folder is in it.
func (a *app) stateGivenBack(s *sudoer) (string, bool) {
	state := platform.StateDir(a.goos, a.home, a.getenv)
	ok := s != nil && s.uid >= 0 && a.home == s.home && strings.HasPrefix(state, s.home+string(filepath.Separator))
	return state, ok
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
// Under a sudo that kept the user's HOME there is nothing to say when
// the record's folder is in their home, since keepStateTheirs gives it
// back to them.
func (a *app) warnSudoHome(cmd string) {
	s := a.sudoer()
	if s == nil {
		return
	}
	if a.home == s.home {
		state, ok := a.stateGivenBack(s)
		if ok {
			return
		}
		a.warnf("vouch %s is running under sudo: what it keeps in %s will be owned by root", cmd, state)
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
