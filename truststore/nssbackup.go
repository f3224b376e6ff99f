package truststore

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/vouchdev/vouch/platform"
)

// certutil can't take an entry out of a database and leave its files as
// they were: SQLite keeps the freed pages and bumps its change counters.
// So, with BackupDir set, Install keeps a copy of a database's files from
// just before it changes them, and Uninstall puts that copy back when the
// files are still exactly as Install left them. Anything else having
// changed the database since (a browser, the user, another root's
// install) makes the copy outdated: Uninstall then deletes vouch's entry
// with certutil, which keeps every other change.
//
// One backup folder per database and root holds the copies and
// manifest.json, which names each file's SHA-256 before the install (of
// the copy kept) and after it.

// nssAbsent stands in a manifest for a file that does not exist.
const nssAbsent = "absent"

const nssManifestName = "manifest.json"

// nssTracked are the files of db that certutil changes: the certificate
// and key databases and the module list, in db's format.
func nssTracked(db platform.NSSDB) []string {
	if db.Legacy {
		return []string{"cert8.db", "key3.db", "secmod.db"}
	}
	return []string{"cert9.db", "key4.db", "pkcs11.txt"}
}

// nssManifest is a backup's manifest.json.
type nssManifest struct {
	// Spec is the database as certutil names it, format included.
	Spec string `json:"spec"`
	// Before is each tracked file's SHA-256 just before the install, or
	// nssAbsent.
	Before map[string]string `json:"before"`
	// After is each tracked file's SHA-256 once the database trusted the
	// root, or nssAbsent; empty until then. A file the install left as it
	// was has no copy kept: putting it back would change nothing.
	After map[string]string `json:"after,omitempty"`
}

// backupPath is the folder where Install keeps db's files from before it
// added root, or "" when it keeps none: with no BackupDir, and where vouch
// can't tell whether a program has the database open (see restoreDB),
// since it would never put the copy back.
func (n *NSS) backupPath(db platform.NSSDB, root *x509.Certificate) string {
	return n.backupOf(db, NSSNickname(root))
}

// backupOf is backupPath for the root vouch's nickname nick names: the
// nickname holds the start of the root's SHA-256, as the folder's name
// does.
func (n *NSS) backupOf(db platform.NSSDB, nick string) string {
	if n.BackupDir == "" || (n.FilesInUse == nil && !platform.CanTellFilesInUse) {
		return ""
	}
	d := sha256.Sum256([]byte(db.Dir))
	return filepath.Join(n.BackupDir, fmt.Sprintf("%x-%s", d[:8], strings.TrimPrefix(nick, "vouch ")))
}

// readTracked reads db's tracked files; an absent file is left out.
func readTracked(db platform.NSSDB) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range nssTracked(db) {
		data, err := os.ReadFile(filepath.Join(db.Dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

// trackedSums is each tracked file's SHA-256, or nssAbsent.
func trackedSums(db platform.NSSDB, files map[string][]byte) map[string]string {
	sums := map[string]string{}
	for _, name := range nssTracked(db) {
		if data, ok := files[name]; ok {
			sums[name] = sha256Hex(data)
		} else {
			sums[name] = nssAbsent
		}
	}
	return sums
}

func sha256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// keepDB writes the backup of db's files as they are now to folder, in a
// temp folder renamed into place, replacing a backup an earlier install
// left: the database does not trust the root now, so now is what
// uninstall must come back to.
func keepDB(folder string, db platform.NSSDB) error {
	files, err := readTracked(db)
	if err != nil {
		return fmt.Errorf("failed to read it to keep a copy: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(folder), 0o700); err != nil {
		return fmt.Errorf("failed to keep a copy of it: %w", err)
	}
	if err := writeBackup(folder, nssManifest{Spec: db.Spec(), Before: trackedSums(db, files)}, files); err != nil {
		return fmt.Errorf("failed to keep a copy of it in %s: %w", folder, err)
	}
	return nil
}

// writeBackup makes folder a backup holding files (name to bytes) and m,
// in a temp folder beside it renamed into place, replacing what was there.
func writeBackup(folder string, m nssManifest, files map[string][]byte) error {
	tmp, err := os.MkdirTemp(filepath.Dir(folder), ".tmp-*")
	if err != nil {
		return err
	}
	for name, data := range files {
		if err = platform.WriteFile(filepath.Join(tmp, name), data, 0o600); err != nil {
			break
		}
	}
	if err == nil {
		err = writeManifest(tmp, m)
	}
	if err == nil {
		err = os.RemoveAll(folder)
	}
	if err == nil {
		err = os.Rename(tmp, folder)
	}
	if err != nil {
		os.RemoveAll(tmp)
	}
	return err
}

// sealDB records in folder's manifest db's files as the install left them,
// and drops the copies of files it did not change.
func sealDB(folder string, db platform.NSSDB) error {
	m, err := readManifest(folder)
	if err != nil {
		return err
	}
	files, err := readTracked(db)
	if err != nil {
		return err
	}
	m.After = trackedSums(db, files)
	if err := writeManifest(folder, m); err != nil {
		return err
	}
	for name, sum := range m.After {
		if m.Before[name] == sum {
			os.Remove(filepath.Join(folder, name))
		}
	}
	return nil
}

func dropBackup(folder string) {
	if folder != "" {
		os.RemoveAll(folder)
	}
}

// writeManifest writes folder's manifest.json.
func writeManifest(folder string, m nssManifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return platform.WriteFile(filepath.Join(folder, nssManifestName), append(data, '\n'), 0o600)
}

func readManifest(folder string) (nssManifest, error) {
	var m nssManifest
	data, err := os.ReadFile(filepath.Join(folder, nssManifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(folder, nssManifestName), err)
	}
	return m, nil
}

// restoreDB puts back db's files from before the install that left the
// backup in folder, when that is safe: the backup is whole, no journal or
// write-ahead log sits beside the database (SQLite would play it into the
// files put back), every file is byte for byte as the install left it,
// and no program has one open (a browser that has would go on using the
// files taken away, and lose what it writes to them). It reports whether
// it put them back; false with a nil error means it changed nothing and
// the caller deletes the entry with certutil instead. An error means the
// files could not all be put back nor all be left as they were.
//
// Files are written beside their targets first and renamed over them only
// when all are written, so that a failure to write (a full disk) changes
// nothing; each keeps the mode and owner of the file it replaces.
func (n *NSS) restoreDB(folder string, db platform.NSSDB) (bool, error) {
	m, err := readManifest(folder)
	if err != nil || m.Spec != db.Spec() || m.After == nil {
		return false, nil
	}
	tracked := nssTracked(db)
	if len(m.Before) != len(tracked) || len(m.After) != len(tracked) {
		return false, nil
	}
	var paths []string
	for _, name := range tracked {
		p := filepath.Join(db.Dir, name)
		if _, ok := m.Before[name]; !ok {
			return false, nil
		}
		for _, side := range []string{"-journal", "-wal"} {
			if _, err := os.Lstat(p + side); !errors.Is(err, fs.ErrNotExist) {
				return false, nil
			}
		}
		// A file that is a symlink (a dotfile manager's) would be
		// replaced by a file, cutting the profile off from the database
		// it links to, which would go on trusting the root.
		if info, err := os.Lstat(p); err == nil && info.Mode()&fs.ModeSymlink != 0 {
			return false, nil
		}
		paths = append(paths, p)
	}
	now, err := readTracked(db)
	if err != nil || !maps.Equal(trackedSums(db, now), m.After) {
		return false, nil
	}

	type change struct {
		name string
		had  bool        // the file was there before the install
		old  []byte      // its bytes then
		info fs.FileInfo // the file as the install left it
	}
	var changes []change
	for _, name := range tracked {
		before := m.Before[name]
		if before == m.After[name] {
			continue
		}
		// The file to replace gives its mode and owner (and takes them
		// back if this must be undone); one the install took away has
		// none to give.
		info, err := os.Stat(filepath.Join(db.Dir, name))
		if err != nil {
			return false, nil
		}
		c := change{name: name, info: info}
		if before != nssAbsent {
			data, err := os.ReadFile(filepath.Join(folder, name))
			if err != nil || sha256Hex(data) != before {
				return false, nil
			}
			c.had, c.old = true, data
		}
		changes = append(changes, c)
	}
	if len(changes) == 0 {
		return false, nil
	}
	inUse := n.FilesInUse
	if inUse == nil {
		inUse = platform.FilesInUse
	}
	if open, err := inUse(paths); err != nil || len(open) > 0 {
		return false, nil
	}

	var staged []*platform.StagedFile
	abort := func() {
		for _, s := range staged {
			s.Abort()
		}
	}
	for _, c := range changes {
		if !c.had {
			staged = append(staged, nil)
			continue
		}
		s, err := platform.StageFile(filepath.Join(db.Dir, c.name), c.old, c.info)
		if err != nil {
			abort()
			return false, nil
		}
		staged = append(staged, s)
	}
	for i, c := range changes {
		path := filepath.Join(db.Dir, c.name)
		var err error
		if staged[i] != nil {
			err = staged[i].Commit()
		} else {
			err = os.Remove(path)
		}
		if err == nil {
			continue
		}
		for _, s := range staged[i+1:] {
			if s != nil {
				s.Abort()
			}
		}
		// Undo the files already put back, so that the database is whole
		// as the install left it and certutil can take the entry out.
		var undoErrs []string
		for _, u := range changes[:i] {
			if uerr := platform.ReplaceFile(filepath.Join(db.Dir, u.name), now[u.name], u.info); uerr != nil {
				undoErrs = append(undoErrs, uerr.Error())
			}
		}
		if len(undoErrs) > 0 {
			return true, fmt.Errorf("failed to put back its files from before install (%v) and to undo that (%s); the copies are in %s", err, strings.Join(undoErrs, "; "), folder)
		}
		return false, nil
	}
	after, err := readTracked(db)
	if err != nil {
		return true, err
	}
	for _, c := range changes {
		if got, ok := after[c.name]; ok != c.had || !bytes.Equal(got, c.old) {
			return true, fmt.Errorf("put back %s from %s, but it now differs from that copy", filepath.Join(db.Dir, c.name), folder)
		}
	}
	return true, nil
}

// nssHandOver passes the copy of a database kept before root A's install
// on to the copy kept before root B's, when B was installed right after A
// and A's entry now goes with certutil -D (roots taken out in the order
// they came: vouch rotate, then the retired CA's uninstall). A's copy
// would no longer match anything, and B's holds A; but the database
// after A's delete is exactly "before A, plus B", so A's copy is what B's
// uninstall must come back to, from the files as A's delete leaves them.
type nssHandOver struct {
	to      string            // B's backup folder
	before  map[string]string // A's manifest's Before
	sources map[string][]byte // file bytes by SHA-256: A's copy, B's copy, the files now
}

// handOver looks, before root A's entry goes from db with certutil, for
// the backup (in folder, A's) of the root installed right after A: its
// Before is A's After, and its After the files as they are now (nothing
// else changed the database since). It returns nil when there is none.
func (n *NSS) handOver(folder string, db platform.NSSDB) *nssHandOver {
	a, err := readManifest(folder)
	if err != nil || a.Spec != db.Spec() || a.After == nil {
		return nil
	}
	now, err := readTracked(db)
	if err != nil {
		return nil
	}
	nowSums := trackedSums(db, now)
	// Every backup of db starts with the same hash of its folder.
	prefix, _, _ := strings.Cut(filepath.Base(folder), "-")
	entries, _ := os.ReadDir(filepath.Dir(folder))
	for _, e := range entries {
		o := filepath.Join(filepath.Dir(folder), e.Name())
		if o == folder || !strings.HasPrefix(e.Name(), prefix+"-") {
			continue
		}
		b, err := readManifest(o)
		if err != nil || b.Spec != db.Spec() || !maps.Equal(b.Before, a.After) || !maps.Equal(b.After, nowSums) {
			continue
		}
		h := &nssHandOver{to: o, before: a.Before, sources: map[string][]byte{}}
		for _, dir := range []string{folder, o} {
			for _, name := range nssTracked(db) {
				if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
					h.sources[sha256Hex(data)] = data
				}
			}
		}
		for _, data := range now {
			h.sources[sha256Hex(data)] = data
		}
		return h
	}
	return nil
}

// finish runs once A's entry is gone: B's backup becomes A's copy, with
// the files as they are now as its After. When a file's bytes from before
// A can't be found, or the new backup can't be written, B's backup goes
// (it could never match again), and B's uninstall deletes with certutil.
func (h *nssHandOver) finish(db platform.NSSDB) {
	files, err := readTracked(db)
	if err != nil {
		dropBackup(h.to)
		return
	}
	m := nssManifest{Spec: db.Spec(), Before: h.before, After: trackedSums(db, files)}
	kept := map[string][]byte{}
	for _, name := range nssTracked(db) {
		sum := m.Before[name]
		if sum == m.After[name] || sum == nssAbsent {
			continue
		}
		data, ok := h.sources[sum]
		if !ok {
			dropBackup(h.to)
			return
		}
		kept[name] = data
	}
	if writeBackup(h.to, m, kept) != nil {
		dropBackup(h.to)
	}
}
