package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

// File is one output file: where it goes, what it holds, its permissions.
type File struct {
	Path string
	Data []byte
	Mode os.FileMode
	// Named marks a file the user named (a certificate, a key, a .p12),
	// written where they meant it to go: at the end of a symlink (as a
	// symlink into a dotfiles or secrets folder means), into a device or a
	// pipe as it is (--cert-file /dev/stdout, or "-" for stdout; renaming
	// over it would put a plain file in /dev), and over an existing file with that file's
	// owner, group and mode, so a server that could read the old key reads
	// the new one. A secret (Mode with no group or other bits) is still
	// never left readable by every user.
	Named bool
	// Newly secret: the file it replaces held nothing secret (a certificate
	// that now gets its key beside it), so the group that could read that
	// is not let read this: only the owner is kept.
	NewlySecret bool
}

// WriteFiles writes every file to a temp file beside its target, syncs it,
// and only when all were written renames them into place. A failure before
// the renames leaves every existing file as it was. Named files that are
// streams (a device, a pipe, vouch's own stdout) are written first, once
// every other file's folder has taken a test file, so that no temp file is
// left waiting on a pipe nobody reads; what went into a stream can't be
// taken back if a file fails after it (a full disk).
func WriteFiles(files ...File) error {
	_, _, err := WriteNamed(files...)
	return err
}

// Unkept is a file that replaced one whose owner and group this user could
// not give it (only root can give a file away): what the old one had, for
// a warning that says how to put it back.
type Unkept struct {
	Path     string
	UID, GID int
	Mode     os.FileMode
}

// WriteNamed is WriteFiles, and also reports each replaced file whose
// owner and group could not be kept, and, per file, whether it went to
// vouch's own stdout (then that is the data there).
func WriteNamed(files ...File) (unkept []Unkept, toStdout []bool, err error) {
	outs := make([]output, len(files))
	toStdout = make([]bool, len(files))
	streams := false
	for i, f := range files {
		outs[i] = output{path: f.Path}
		if f.Named {
			if outs[i], err = outputOf(f.Path); err != nil {
				return nil, nil, fmt.Errorf("failed to write %s: %w", f.Path, err)
			}
		} else if st, err := os.Stat(f.Path); err == nil && st.IsDir() {
			return nil, nil, fmt.Errorf("failed to write %s: it is a directory", f.Path)
		}
		streams = streams || outs[i].stream
		toStdout[i] = outs[i].std == os.Stdout
	}
	if streams {
		for i, f := range files {
			if !outs[i].stream {
				if err := tryDir(filepath.Dir(outs[i].path)); err != nil {
					return nil, nil, fmt.Errorf("failed to write %s: %w", f.Path, err)
				}
			}
		}
		for i, f := range files {
			if outs[i].stream {
				if err := writeStream(f, outs[i]); err != nil {
					return nil, nil, err
				}
			}
		}
	}

	// Files written together (a certificate and its key) must not be
	// interleaved with another vouch's writing the same names, or the
	// certificate of one run ends beside the key of another: each folder
	// they go to is locked (flock on the folder: no file left behind)
	// while they are written and renamed. Best effort: a folder that
	// can't be locked (Windows, some network file systems) is written
	// unlocked, as one file alone always is.
	if unlock := lockFolders(outs); unlock != nil {
		defer unlock()
	}
	type staged struct{ tmp, path, named string }
	var temps []staged
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t.tmp)
		}
	}
	for i, f := range files {
		if outs[i].stream {
			continue
		}
		t, lost, err := writeTemp(f, outs[i])
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		if lost != nil {
			unkept = append(unkept, *lost)
		}
		temps = append(temps, staged{t, outs[i].path, f.Path})
	}
	dirs := map[string]bool{}
	for i, t := range temps {
		if err := os.Rename(t.tmp, t.path); err != nil {
			cleanup()
			if errors.Is(err, syscall.EBUSY) {
				return nil, nil, fmt.Errorf("failed to write %s: it is a mount point (a file mounted into a container, say), which a rename can't replace, and vouch writes every file by renaming a new one over it; write it elsewhere and copy it in, or mount its folder instead", t.named)
			}
			return nil, nil, fmt.Errorf("failed to write %s: %w", t.named, fsinfo.Bare(err))
		}
		temps[i].tmp = ""
		dirs[filepath.Dir(t.path)] = true
	}
	for d := range dirs {
		syncDir(d)
	}
	return unkept, toStdout, nil
}

// lockFolders locks, in order, the folders of outs that are files, when
// there are two or more of them; it returns what unlocks them, nil when it
// locked none. Two paths to one folder lock it once. A folder some other
// process holds locked past folderWait (any user who can read it can) is
// written unlocked rather than waited on without end.
func lockFolders(outs []output) func() {
	var dirs []string
	var infos []fs.FileInfo
	files := 0
	for _, o := range outs {
		if o.stream {
			continue
		}
		files++
		d := filepath.Dir(o.path)
		fi, err := os.Stat(d)
		if err != nil || slices.ContainsFunc(infos, func(seen fs.FileInfo) bool { return os.SameFile(seen, fi) }) {
			continue
		}
		dirs, infos = append(dirs, d), append(infos, fi)
	}
	if files < 2 {
		return nil
	}
	slices.Sort(dirs)
	var unlocks []func()
	for _, d := range dirs {
		if unlock, ok := tryLockDir(d, folderWait); ok {
			unlocks = append(unlocks, unlock)
		}
	}
	if len(unlocks) == 0 {
		return nil
	}
	return func() {
		for _, u := range unlocks {
			u()
		}
	}
}

// folderWait is how long lockFolders waits for another vouch writing into
// the same folder: far longer than one takes.
const folderWait = 3 * time.Second

// tryLockDir takes the lock on folder dir, as LockDir does, waiting at
// most wait for whoever holds it; ok is false when it did not get it.
func tryLockDir(dir string, wait time.Duration) (unlock func(), ok bool) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false
	}
	deadline := time.Now().Add(wait)
	for {
		locked, err := tryLockFile(f)
		if locked && err == nil {
			return func() { f.Close() }, true
		}
		if err != nil || time.Now().After(deadline) {
			f.Close()
			return nil, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tryDir checks that a file can be made in dir, by making and removing one.
func tryDir(dir string) error {
	tmp, err := os.CreateTemp(dir, ".vouch-check-*")
	if err != nil {
		return fsinfo.Bare(err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// output is where a file's bytes go: path, after any symlinks; like, the
// file there now; stream, whether that is a device, a pipe or vouch's own
// stdout or stderr to write into rather than a file to replace; std, which
// of those two it is, if either.
type output struct {
	path   string
	like   fs.FileInfo
	stream bool
	std    *os.File
	// desc is N+1 when path names one of vouch's open descriptors
	// (/dev/fd/N), written through a duplicate of it (see dupDesc).
	desc int
}

func outputOf(path string) (output, error) {
	if path == "-" {
		return output{path: path, stream: true, std: os.Stdout}, nil
	}
	fail := func(err error) (output, error) { return output{}, fsinfo.Bare(err) }
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		to, err := danglingEnd(path)
		if err != nil {
			return fail(err)
		}
		return output{path: to}, nil
	case err != nil:
		return fail(err)
	case st.IsDir():
		return output{}, errors.New("it is a directory")
	}
	// /dev/stdout on a shell's > or >> is a regular file, which replacing
	// would cut off from the shell (and lose what >> kept); so is any
	// /dev/fd/N the shell opened (3>>log).
	if std := stdFile(st); std != nil || !st.Mode().IsRegular() {
		return output{path: path, like: st, stream: true, std: std}, nil
	}
	if n, ok := descNumber(path); ok {
		return output{path: path, like: st, stream: true, desc: n + 1}, nil
	}
	to, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fail(err)
	}
	return output{path: to, like: st}, nil
}

// stdFile is vouch's stdout or stderr if st is that file.
func stdFile(st fs.FileInfo) *os.File {
	for _, std := range []*os.File{os.Stdout, os.Stderr} {
		if sst, err := std.Stat(); err == nil && os.SameFile(sst, st) {
			return std
		}
	}
	return nil
}

// descNumber is N when path names one of this process's file descriptors
// (/dev/fd/N, /proc/self/fd/N, or a symlink to one: Linux's /dev/stdin,
// /dev/stdout and /dev/stderr are): a file the shell opened (3>>log, or
// < in.txt), to write into at its offset, or its end for >>, as the shell
// meant, or not at all when the shell opened it for reading. Asked once
// path was found to exist, so N is open here.
func descNumber(path string) (int, bool) {
	for range 8 {
		clean := filepath.Clean(path)
		rest, ok := strings.CutPrefix(clean, "/dev/fd/")
		if !ok {
			rest, ok = strings.CutPrefix(clean, "/proc/self/fd/")
		}
		if ok {
			n, err := strconv.Atoi(rest)
			return n, err == nil && n >= 0
		}
		to, err := os.Readlink(clean)
		if err != nil {
			return 0, false
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(clean), to)
		}
		path = to
	}
	return 0, false
}

// danglingEnd follows path's symlinks to the name at the end, which does
// not exist yet; a path that is no symlink is its own end.
func danglingEnd(path string) (string, error) {
	for range 40 {
		st, err := os.Lstat(path)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			// Relative to the folder the link is really in: a ".." in it
			// climbs from there, not from the name of a symlinked folder.
			dir := filepath.Dir(path)
			if real, err := filepath.EvalSymlinks(dir); err == nil {
				dir = real
			}
			to = filepath.Join(dir, to)
		}
		path = to
	}
	return "", errors.New("too many levels of symbolic links")
}

// writeStream writes f into the device or pipe it names. When that is
// vouch's own stdout or stderr, it writes there: opening /dev/stdout anew
// fails for a socket (a service's log) and for a pipe another user made,
// and would start a shell's >> file over.
func writeStream(f File, out output) error {
	if out.std != nil {
		_, err := out.std.Write(f.Data)
		return wrapStream(f, err)
	}
	if err := out.readOnly(); err != nil {
		return fmt.Errorf("failed to write %s: %w", f.Path, err)
	}
	var file *os.File
	var err error
	if out.desc > 0 {
		file, err = dupDesc(out.desc-1, f.Path)
	} else {
		file, err = os.OpenFile(f.Path, os.O_WRONLY, 0)
	}
	if err != nil {
		return wrapStream(f, err)
	}
	_, err = file.Write(f.Data)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	return wrapStream(f, err)
}

// readOnly is why out, a descriptor the shell opened for reading (<
// in.txt), can't be written; nil for anything else.
func (out output) readOnly() error {
	if out.desc > 0 && descReadOnly(out.desc-1) {
		return fmt.Errorf("it is descriptor %d, which is open for reading only", out.desc-1)
	}
	return nil
}

func wrapStream(f File, err error) error {
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", f.Path, fsinfo.Bare(err))
	}
	return nil
}

// Target is where a Named path would be written (through any symlink, or
// into a stream), found once for the checks a command makes before it
// writes: cert asks SameFile of its two paths and CAFile of each, and each
// of those looked the path up anew (a stat, an fstat of stdout and of
// stderr, a readlink and an lstat). WriteNamed looks again when it writes.
type Target struct {
	path string
	out  output
	err  error
}

// TargetOf looks up where path would be written.
func TargetOf(path string) Target {
	out, err := outputOf(path)
	return Target{path: path, out: out, err: err}
}

// SameFile says whether two Named paths would be written to the same file
// (one a symlink to the other, say), where the second would replace the
// first. Two streams never are: both go in, one after the other.
func SameFile(a, b string) bool {
	return SameTarget(TargetOf(a), TargetOf(b))
}

// SameTarget is SameFile for paths already looked up.
func SameTarget(a, b Target) bool {
	if a.err != nil || b.err != nil {
		return filepath.Clean(a.path) == filepath.Clean(b.path)
	}
	if a.out.stream || b.out.stream {
		return false
	}
	abs, err := absPaths(a.out.path, b.out.path)
	return err == nil && abs[0] == abs[1]
}

// absPaths is filepath.Abs of each path, the working folder looked up once
// (Abs looks it up for each relative path, which os.Getwd checks with two
// stats); on Windows, Abs itself.
func absPaths(paths ...string) ([]string, error) {
	out := make([]string, len(paths))
	var wd string
	for i, p := range paths {
		var err error
		switch {
		case runtime.GOOS == "windows":
			p, err = filepath.Abs(p)
		case filepath.IsAbs(p):
			p = filepath.Clean(p)
		default:
			if wd == "" {
				wd, err = os.Getwd()
			}
			p = filepath.Join(wd, p)
		}
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// CAFile says whether path, written to (through any symlink), would
// replace one of the files of the CA in dir, and which: a certificate
// written over the issuing key destroys the CA, whose root key is gone.
func CAFile(dir, path string) (string, bool) {
	return TargetOf(path).CAFile(dir)
}

// CAFile is the package's CAFile for a path already looked up.
func (t Target) CAFile(dir string) (string, bool) {
	if t.err != nil || t.out.stream {
		return "", false
	}
	base := filepath.Base(t.out.path)
	for _, name := range []string{RootCertFile, RootKeyFile, IssuerCertFile, IssuerKeyFile, lockFileName} {
		// macOS's and Windows' disks take rootca.pem for rootCA.pem.
		if base == name || foldsCase && strings.EqualFold(base, name) {
			return name, sameFolder(filepath.Dir(t.out.path), dir)
		}
	}
	return "", false
}

// foldsCase: this system's disks, by default, take names that differ only
// in case for one.
const foldsCase = runtime.GOOS == "darwin" || runtime.GOOS == "windows"

// sameFolder says whether a and b are one folder, by any path (a symlink
// to it), or, where one is not made yet, by the same absolute path.
func sameFolder(a, b string) bool {
	sa, erra := os.Stat(a)
	sb, errb := os.Stat(b)
	if erra == nil && errb == nil {
		return os.SameFile(sa, sb)
	}
	absA, erra := filepath.Abs(a)
	absB, errb := filepath.Abs(b)
	return erra == nil && errb == nil && absA == absB
}

// CanWrite checks that a file can be made in each path's folder, by making
// and removing one, for a caller that must know before it changes
// anything else (a CA made for a certificate that then can't be written).
// Paths are the user's: a symlink is checked where it leads, and a stream
// is left to the write.
func CanWrite(paths ...string) error {
	seen := map[string]bool{}
	for _, p := range paths {
		out, err := outputOf(p)
		if err != nil {
			return fmt.Errorf("can't write %s: %w", p, err)
		}
		// Found now, not after a CA was made for a certificate that
		// can't go there.
		if err := out.readOnly(); err != nil {
			return fmt.Errorf("can't write %s: %w", p, err)
		}
		dir := filepath.Dir(out.path)
		if out.stream || seen[dir] {
			continue
		}
		seen[dir] = true
		if err := tryDir(dir); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				// The file may well be writable: the folder is what
				// the temp file beside it needs.
				return fmt.Errorf("can't write %s: %w in its folder %s (vouch writes a new file beside it and renames it into place, so the folder must be writable, not only the file)", p, err, dir)
			}
			return fmt.Errorf("can't write %s: %w", p, err)
		}
	}
	return nil
}

func writeTemp(f File, out output) (string, *Unkept, error) {
	dir := filepath.Dir(out.path)
	// The temp file's name adds to the target's; a name near the 255-byte
	// limit (a long host name) takes a short one instead.
	pattern := "." + filepath.Base(out.path) + ".tmp-*"
	if len(pattern) > 200 {
		pattern = ".vouch.tmp-*"
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", nil, fmt.Errorf("failed to write %s: %w", f.Path, fsinfo.Bare(err))
	}
	name := tmp.Name()
	fail := func(err error) (string, *Unkept, error) {
		tmp.Close()
		os.Remove(name)
		return "", nil, fmt.Errorf("failed to write %s: %w", f.Path, fsinfo.Bare(err))
	}
	mode := f.Mode
	var lost *Unkept
	if out.like != nil {
		if mode, lost = keepOwner(tmp, f.Mode, out.like, f.NewlySecret); lost != nil {
			lost.Path = f.Path
		}
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	// An ACL on the file it replaces goes with it, set after the mode
	// (setting the mode would change its mask); not when its owner or
	// group could not be kept (its group:: entry would be a new group's),
	// nor onto a secret from a file that held none, nor one that let
	// every user read.
	if out.like != nil && lost == nil && !f.NewlySecret && (f.Mode&0o077 != 0 || out.like.Mode().Perm()&0o007 == 0) {
		if err := keepACL(tmp, out.path); err != nil {
			return fail(err)
		}
	}
	if _, err := tmp.Write(f.Data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return "", nil, fmt.Errorf("failed to write %s: %w", f.Path, err)
	}
	return name, lost, nil
}

// keepOwner gives tmp the owner and group of like, the file it will
// replace, as far as this user may, and returns the mode it is to have:
// like's, less the other users' bits for a secret, and less the group's
// too when the group could not be kept (the new group is not the one the
// user chose to let in). What could not be kept is returned, for a
// warning: a server that read the old file as its owner or group can't
// read the new one.
func keepOwner(tmp *os.File, mode os.FileMode, like fs.FileInfo, newlySecret bool) (os.FileMode, *Unkept) {
	secret := mode&0o077 == 0
	keep := like.Mode().Perm()
	if secret {
		keep &^= 0o007
	}
	if secret && newlySecret {
		keep &^= 0o070
	}
	if fsinfo.GiveOwner(tmp, like) == nil {
		return keep, nil
	}
	// Anyone may pass a file to a group they are in (or keep its own).
	uid, gid, _ := fsinfo.Owner(like)
	if tmp.Chown(-1, gid) != nil && secret {
		keep &^= 0o070
	}
	return keep, &Unkept{UID: uid, GID: gid, Mode: like.Mode().Perm()}
}

func syncDir(dir string) {
	// Best effort: a directory fsync makes the rename durable on Linux, and
	// is not supported everywhere (Windows), where there is nothing to do.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ParseCertificates reads certificates from PEM (one or more CERTIFICATE
// blocks) or from a single DER certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	text := strings.TrimPrefix(string(data), "\ufeff") // a byte-order mark from an editor
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("empty file, no certificate in it")
	}
	// DER first: its bytes may hold "-----BEGIN" (in a subject, say).
	if c, err := x509.ParseCertificate(data); err == nil {
		return []*x509.Certificate{c}, nil
	}
	begins, ends := lineStarts(text, "-----BEGIN "), lineStarts(text, "-----END ")
	if begins == 0 {
		if strings.Contains(text, "-----BEGIN") {
			return nil, errors.New("no PEM block starts a line in it (a web page's copy? use the .pem or .txt file)")
		}
		return nil, errors.New("not a PEM or DER certificate")
	}
	// Text around the blocks is skipped, as openssl skips it: the output
	// of openssl x509 -text, a "subject=" line, a comment, an invitation
	// page's words. A block that does not decode, or has lost its first
	// or last line, is an error, not skipped.
	var certs []*x509.Certificate
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("malformed certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) != begins || len(certs) != ends {
		return nil, errors.New("malformed or truncated PEM data")
	}
	return certs, nil
}

// lineStarts counts the lines of text that start with prefix, as a PEM
// block's first and last lines must for Go's PEM reader.
func lineStarts(text, prefix string) int {
	n := 0
	for i := 0; ; {
		j := strings.Index(text[i:], prefix)
		if j < 0 {
			return n
		}
		if at := i + j; at == 0 || text[at-1] == '\n' {
			n++
		}
		i += j + len(prefix)
	}
}

// CertPEM encodes DER certificates as consecutive PEM blocks.
func CertPEM(ders ...[]byte) []byte {
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return out
}
