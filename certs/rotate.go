package certs

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

// RetiredDir is the folder inside the CA folder where Rotate keeps each
// replaced CA, in a folder of its own named "<date>-<16 hex digits of the
// root's SHA-256>". Each is a complete CA folder, so "vouch uninstall
// --caroot" on it takes that old root out of the stores.
const RetiredDir = "retired"

// ErrAdopted means the CA is mkcert's, which Rotate does not replace.
var ErrAdopted = errors.New("this is an mkcert CA (root key on disk, no name constraints); vouch rotates only CAs it made")

// rename is os.Rename; tests make it fail to check that Rotate puts the
// old CA back.
var rename = os.Rename

// caFiles are the files of a CA vouch made, the root last: a folder with
// rootCA.pem is always complete.
var caFiles = []struct {
	name string
	mode os.FileMode
}{
	{IssuerKeyFile, 0o400},
	{IssuerCertFile, 0o644},
	{RootCertFile, 0o644},
}

// Rotate replaces the CA in dir with a new one that permits the same names
// (and uses the same key type), under the folder's lock. The old CA's files
// are first copied, whole, into RetiredDir; only then does the folder
// change: rootCA.pem goes first, so until the new root lands the folder
// holds no CA rather than a mixed one (and LoadOrCreate, finding none,
// waits on the lock), then the new issuing files, then the new root. If
// making the new CA fails, nothing in dir changed; if a step of the switch
// fails, the old files are written back. opts.Constraints and
// opts.KeyType are ignored: they come from the old CA.
func Rotate(dir string, opts CreateOptions) (old, fresh *CA, retired string, err error) {
	if old, err = Load(dir); err != nil {
		return nil, nil, "", err
	}
	if old.Adopted {
		// Before the lock, which would leave a lock file in mkcert's folder.
		return old, nil, "", ErrAdopted
	}
	unlock, err := Lock(dir, opts.Waiting)
	if err != nil {
		return nil, nil, "", err
	}
	defer unlock()
	// Again under the lock: another rotate may have run meanwhile, or
	// one may have stopped halfway.
	if err := finishRotate(dir); err != nil {
		return nil, nil, "", err
	}
	if old, err = load(dir); err != nil {
		return nil, nil, "", err
	}
	if old.Adopted {
		return old, nil, "", ErrAdopted
	}
	opts.Constraints = old.Constraints
	opts.KeyType = keyTypeOf(old)

	staging, err := os.MkdirTemp(dir, ".rotate-")
	if err != nil {
		return old, nil, "", fmt.Errorf("can't write in the CA folder %s: %w", dir, fsinfo.Bare(err))
	}
	defer os.RemoveAll(staging)
	fresh, err = Create(staging, opts)
	if err != nil {
		return old, nil, "", fmt.Errorf("failed to make the new CA (the CA in %s is unchanged): %w", dir, err)
	}

	retired, err = retire(dir, old, opts.now())
	if err != nil {
		return old, nil, "", fmt.Errorf("failed to keep a copy of the old CA (the CA in %s is unchanged): %w", dir, err)
	}

	// The marker names the copy, so that a rotate stopped from here on
	// (killed, power cut) is finished by the next vouch command.
	marker := filepath.Join(dir, rotatingFile)
	if err := WriteFiles(File{Path: marker, Data: []byte(filepath.Base(retired) + "\n"), Mode: 0o600}); err != nil {
		os.RemoveAll(retired)
		return old, nil, "", fmt.Errorf("failed to start the switch (the CA in %s is unchanged): %w", dir, err)
	}
	syncDir(dir)
	if err := switchIn(dir, staging); err != nil {
		if rerr := putBack(dir, retired); rerr != nil {
			return old, nil, retired, fmt.Errorf("failed to move the new CA in: %v; and failed to put the old one back (%v): copy the files in %s into %s, or run any vouch command, which tries again", err, rerr, retired, dir)
		}
		os.Remove(marker)
		return old, nil, "", fmt.Errorf("failed to move the new CA in (the old CA was put back): %w", err)
	}
	syncDir(dir)
	os.Remove(marker)
	syncDir(dir)
	fresh.Dir = dir
	return old, fresh, retired, nil
}

// retire copies the CA's files into a new folder under RetiredDir, made
// complete under a temporary name and then renamed.
func retire(dir string, ca *CA, now time.Time) (string, error) {
	parent := filepath.Join(dir, RetiredDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", fmt.Errorf("can't make %s: %w", parent, fsinfo.Bare(err))
	}
	name := now.UTC().Format(time.DateOnly) + "-" + ca.Fingerprint()[:16]
	final := filepath.Join(parent, name)
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("%s already exists", final)
	}
	tmp, err := os.MkdirTemp(parent, "."+name+".tmp-")
	if err != nil {
		return "", fmt.Errorf("can't write in %s: %w", parent, fsinfo.Bare(err))
	}
	var files []File
	for _, f := range caFiles {
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			os.RemoveAll(tmp)
			return "", fmt.Errorf("can't read %s: %w", filepath.Join(dir, f.name), err)
		}
		files = append(files, File{Path: filepath.Join(tmp, f.name), Data: data, Mode: f.mode})
	}
	if err := WriteFiles(files...); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("can't move %s to %s: %w", tmp, final, err)
	}
	syncDir(parent)
	return final, nil
}

// switchIn replaces the CA files in dir with those in staging: the old
// root out first, the new root in last.
func switchIn(dir, staging string) error {
	if err := os.Remove(filepath.Join(dir, RootCertFile)); err != nil {
		return err
	}
	for _, f := range caFiles {
		target := filepath.Join(dir, f.name)
		// Remove before rename: a read-only key can't be replaced in
		// place everywhere (Windows).
		if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := rename(filepath.Join(staging, f.name), target); err != nil {
			return err
		}
	}
	return nil
}

// putBack writes the retired copy's files into dir again, the root last,
// and drops the copy: the old CA is the live one again.
func putBack(dir, retired string) error {
	var files []File
	for _, f := range caFiles {
		data, err := os.ReadFile(filepath.Join(retired, f.name))
		if err != nil {
			return err
		}
		os.Remove(filepath.Join(dir, f.name))
		files = append(files, File{Path: filepath.Join(dir, f.name), Data: data, Mode: f.mode})
	}
	if err := WriteFiles(files[:2]...); err != nil {
		return err
	}
	if err := WriteFiles(files[2]); err != nil {
		return err
	}
	return os.RemoveAll(retired)
}

// rotatingFile, in the CA folder, marks a rotate between its first change
// to the folder and its last; it holds the name of the old CA's copy in
// RetiredDir.
const rotatingFile = ".rotating"

// rotateInterrupted reports whether a rotate's marker is in dir.
func rotateInterrupted(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, rotatingFile))
	return err == nil
}

// finishRotate, with the folder's lock held, finishes what a rotate that
// stopped halfway left in dir. Without a root, the switch was under way:
// the old CA's copy goes back (putBack, the root last). With the old root
// still there, the switch never began: the copy, a duplicate of the live
// CA, goes. With the new root there, the switch was done: the copy stays
// in RetiredDir, as after any rotate. Then the marker and any staging
// folder go.
func finishRotate(dir string) error {
	marker := filepath.Join(dir, rotatingFile)
	data, err := os.ReadFile(marker)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("can't read %s, left by a vouch rotate that stopped halfway: %w", marker, err)
	}
	name := strings.TrimSpace(string(data))
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") || len(name) < 16 {
		return fmt.Errorf("%s, left by a vouch rotate that stopped halfway, does not name a folder in %s (it holds %q); put the old CA's files back into %s from there by hand, then delete %s", marker, filepath.Join(dir, RetiredDir), name, dir, marker)
	}
	retired := filepath.Join(dir, RetiredDir, name)
	if _, err := os.Lstat(filepath.Join(dir, RootCertFile)); errors.Is(err, fs.ErrNotExist) {
		if err := putBack(dir, retired); err != nil {
			return fmt.Errorf("a vouch rotate stopped halfway and left %s without its root; putting the old CA back from %s failed: %w", dir, retired, err)
		}
	} else if ca, err := load(dir); err == nil && strings.HasSuffix(name, "-"+ca.Fingerprint()[:16]) {
		if err := os.RemoveAll(retired); err != nil {
			return fmt.Errorf("can't remove %s, the copy a vouch rotate that stopped before its switch made of the live CA: %w", retired, err)
		}
	}
	if stale, err := filepath.Glob(filepath.Join(dir, ".rotate-*")); err == nil {
		for _, s := range stale {
			os.RemoveAll(s)
		}
	}
	if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("can't remove %s: %w", marker, err)
	}
	syncDir(dir)
	return nil
}

// keyTypeOf is the key type of the CA's root, so the new CA keeps it.
func keyTypeOf(ca *CA) KeyType {
	switch k := ca.Root.PublicKey.(type) {
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 3072:
			return RSA3072
		case 4096:
			return RSA4096
		default:
			return RSA2048
		}
	case *ecdsa.PublicKey:
		return ECDSA
	}
	return ""
}

// RetiredCA is a CA that Rotate replaced, as kept under RetiredDir.
type RetiredCA struct {
	Dir  string
	Root *x509.Certificate
	// Issuer is its intermediate, nil when the copy has none to read.
	Issuer *x509.Certificate
	// On is the day it was retired (YYYY-MM-DD, from its folder's name).
	On string
}

// Retired lists the CAs Rotate retired from dir, oldest first. A folder
// whose root can't be read (half made, or not Rotate's) is left out: the
// caller only wants to recognise roots.
func Retired(dir string) []RetiredCA {
	entries, err := os.ReadDir(filepath.Join(dir, RetiredDir))
	if err != nil {
		return nil
	}
	var out []RetiredCA
	for _, e := range entries {
		// The name starts with the date; a dot starts a half-made copy.
		if !e.IsDir() || len(e.Name()) < len(time.DateOnly) {
			continue
		}
		day := e.Name()[:len(time.DateOnly)]
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			continue
		}
		sub := filepath.Join(dir, RetiredDir, e.Name())
		path := filepath.Join(sub, RootCertFile)
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		root, err := parseOneCert(data, path)
		if err != nil {
			continue
		}
		ca := RetiredCA{Dir: sub, Root: root, On: day}
		issuerPath := filepath.Join(sub, IssuerCertFile)
		if data, err := os.ReadFile(issuerPath); err == nil {
			ca.Issuer, _ = parseOneCert(data, issuerPath)
		}
		out = append(out, ca)
	}
	return out
}
