// Package record keeps what vouch remembers between runs for trust handed
// between people: the roots a user trusted for someone else (vouch trust),
// and the last certificate each checked server presented (vouch check), so
// a routine renewal can be told from a changed root.
//
// Everything lives in one folder, the user's vouch state folder:
//
//	trusted.json        the roots trusted for other people
//	seen.json           per host: the last leaf and root seen
//	roots/<sha256>.pem  each trusted root, for the stores to install
//
// It must not touch trust stores (that is truststore) and knows
// certificates only through certs.
package record

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vouchdev/vouch/certs"
)

const (
	trustedFile = "trusted.json"
	seenFile    = "seen.json"
	rootsDir    = "roots"
)

// Root is one root the user trusted for someone else.
type Root struct {
	Label string `json:"label"`
	// Fingerprint is the root's SHA-256, lowercase hex.
	Fingerprint string    `json:"fingerprint"`
	Subject     string    `json:"subject"`
	Source      string    `json:"source"`
	TrustedAt   time.Time `json:"trusted_at"`
	NotAfter    time.Time `json:"not_after"`
	// Permits is what the root may vouch for, in plain words.
	Permits string `json:"permits"`
	// Replaces is the fingerprint of the root this one took over from
	// (trusted again under the same label after a rotation).
	Replaces string `json:"replaces,omitempty"`
}

// FP is the root's fingerprint, read from the record's hex without
// opening the root's file; a damaged entry reads as all zeros, which
// matches no root.
func (r Root) FP() certs.FP {
	fp, _ := certs.ParseFingerprint(r.Fingerprint)
	return fp
}

// Seen is the last certificate a server presented to vouch check.
type Seen struct {
	Host string `json:"host"`
	// Leaf and Root are SHA-256 fingerprints, lowercase hex; Root is ""
	// when the chain reached no trusted root.
	Leaf         string    `json:"leaf"`
	Root         string    `json:"root,omitempty"`
	LeafNotAfter time.Time `json:"leaf_not_after"`
	SeenAt       time.Time `json:"seen_at"`
}

// Book is the record in one folder.
type Book struct {
	Dir   string
	Roots []Root
	Seen  []Seen
}

// Load reads the record in dir; a folder with no record yet gives an
// empty book.
func Load(dir string) (*Book, error) {
	if dir == "" {
		return nil, errors.New("no state folder: set $HOME or $XDG_STATE_HOME")
	}
	b := &Book{Dir: dir}
	if err := readJSON(filepath.Join(dir, trustedFile), &b.Roots); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, seenFile), &b.Seen); err != nil {
		return nil, err
	}
	return b, nil
}

// Open locks the folder (making it if needed) and loads the record; the
// caller saves and then unlocks, so concurrent runs take turns. waiting,
// if not nil, is called when another vouch holds the folder: a vouch
// trust holds it while it changes the stores, sudo's prompt included.
func Open(dir string, waiting func()) (*Book, func(), error) {
	if dir == "" {
		return nil, nil, errors.New("no state folder: set $HOME or $XDG_STATE_HOME")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("can't make the state folder: %w", err)
	}
	unlock, err := certs.LockIn(dir, "the state folder", waiting)
	if err != nil {
		return nil, nil, err
	}
	b, err := Load(dir)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return b, unlock, nil
}

// KeptRoots are the roots whose copies are in dir's roots folder: those
// the record lists, and any it lost (a damaged trusted.json moved aside),
// which are still trusted for someone and must not be taken for stale
// roots of the user's own. Files that are not one certificate named by
// its fingerprint are passed over.
func KeptRoots(dir string) []*x509.Certificate {
	return (&Book{Dir: dir}).rootsBut(func(string) bool { return false })
}

// Unrecorded are the roots whose copies are in the roots folder but that
// the record does not list (a record moved aside); the listed ones are
// not read.
func (b *Book) Unrecorded() []*x509.Certificate {
	return b.rootsBut(func(fp string) bool { return b.ByFingerprint(fp) != nil })
}

// rootsBut reads the roots folder's copies, but those skip names.
func (b *Book) rootsBut(skip func(fingerprint string) bool) []*x509.Certificate {
	if b.Dir == "" {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(b.Dir, rootsDir))
	if err != nil {
		return nil
	}
	var out []*x509.Certificate
	for _, e := range entries {
		fp, ok := strings.CutSuffix(e.Name(), ".pem")
		if !ok || skip(fp) || len(out) >= 1000 {
			continue
		}
		if c, err := b.ReadRoot(fp); err == nil {
			out = append(out, c)
		}
	}
	return out
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("can't read %s: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s is damaged (%v); move it aside to start a new record, then run vouch trust again for each root in %s (vouch trust FP.pem --fingerprint FP, FP being the file's name without .pem; vouch status names each), which stays trusted meanwhile", path, err, filepath.Join(filepath.Dir(path), rootsDir))
	}
	return nil
}

// Save writes both files (temp file, sync, rename).
func (b *Book) Save() error {
	sort.SliceStable(b.Roots, func(i, j int) bool { return b.Roots[i].TrustedAt.Before(b.Roots[j].TrustedAt) })
	sort.SliceStable(b.Seen, func(i, j int) bool { return b.Seen[i].Host < b.Seen[j].Host })
	roots, err := marshal(b.Roots)
	if err != nil {
		return err
	}
	seen, err := marshal(b.Seen)
	if err != nil {
		return err
	}
	return certs.WriteFiles(
		certs.File{Path: filepath.Join(b.Dir, trustedFile), Data: roots, Mode: 0o600},
		certs.File{Path: filepath.Join(b.Dir, seenFile), Data: seen, Mode: 0o600},
	)
}

func marshal(v any) ([]byte, error) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	if string(data) == "null" {
		data = []byte("[]")
	}
	return append(data, '\n'), nil
}

// RootFile is where the PEM of a trusted root is kept.
func (b *Book) RootFile(fingerprint string) string {
	return filepath.Join(b.Dir, rootsDir, fingerprint+".pem")
}

// WriteRoot keeps the root's PEM in the record folder (the stores install
// from a file) and returns its path.
func (b *Book) WriteRoot(cert *x509.Certificate) (string, error) {
	path := b.RootFile(certs.Fingerprint(cert))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("can't make %s: %w", filepath.Dir(path), err)
	}
	return path, certs.WriteFiles(certs.File{Path: path, Data: certs.CertPEM(cert.Raw), Mode: 0o644})
}

// ReadRoot reads back a trusted root's certificate.
func (b *Book) ReadRoot(fingerprint string) (*x509.Certificate, error) {
	path := b.RootFile(fingerprint)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("can't read the trusted root %s: %w", path, err)
	}
	cs, err := certs.ParseCertificates(data)
	if err != nil || len(cs) != 1 || certs.Fingerprint(cs[0]) != fingerprint {
		return nil, fmt.Errorf("%s does not hold the root with fingerprint %s", path, fingerprint)
	}
	return cs[0], nil
}

// Find returns the root with this label, or whose fingerprint is given in
// any form certs.ParseFingerprint reads.
func (b *Book) Find(labelOrFingerprint string) (*Root, error) {
	for i := range b.Roots {
		if b.Roots[i].Label == labelOrFingerprint {
			return &b.Roots[i], nil
		}
	}
	if fp, err := certs.ParseFingerprint(labelOrFingerprint); err == nil {
		if r := b.ByFingerprint(fp.Hex()); r != nil {
			return r, nil
		}
	}
	// The label in another case, or the start of the fingerprint that
	// vouch's anchor file and NSS nickname show (vouch-d4ef5b2290ab12cd),
	// when it names one root only.
	var match []*Root
	s := strings.ToLower(labelOrFingerprint)
	prefix := strings.TrimPrefix(strings.TrimPrefix(s, "vouch-"), "vouch ")
	for i := range b.Roots {
		if strings.ToLower(b.Roots[i].Label) == s || len(prefix) >= 16 && strings.HasPrefix(b.Roots[i].Fingerprint, prefix) {
			match = append(match, &b.Roots[i])
		}
	}
	if len(match) == 1 {
		return match[0], nil
	}
	if len(match) > 1 {
		// Labels that differ only in case (recorded before trust
		// refused that), or fingerprints that start alike: say which,
		// rather than that none is called so.
		var labels []string
		for _, r := range match {
			labels = append(labels, r.Label)
		}
		return nil, fmt.Errorf("%q could be any of %s: give the label exactly as written there, or the root's whole fingerprint", labelOrFingerprint, strings.Join(labels, ", "))
	}
	var labels []string
	for _, r := range b.Roots {
		labels = append(labels, r.Label)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("no root called %q: vouch has trusted no roots for other people", labelOrFingerprint)
	}
	return nil, fmt.Errorf("no root called %q (trusted for others: %s)", labelOrFingerprint, strings.Join(labels, ", "))
}

// Labelled returns the root whose label is label in any case (the one
// written exactly so, when there is one), or nil. A label is typed, and
// Find takes it in any case, so two roots must not have labels that
// differ only in case.
func (b *Book) Labelled(label string) *Root {
	var fold *Root
	for i := range b.Roots {
		switch {
		case b.Roots[i].Label == label:
			return &b.Roots[i]
		case fold == nil && strings.EqualFold(b.Roots[i].Label, label):
			fold = &b.Roots[i]
		}
	}
	return fold
}

// ByFingerprint returns the root with this lowercase-hex fingerprint, or nil.
func (b *Book) ByFingerprint(fingerprint string) *Root {
	for i := range b.Roots {
		if b.Roots[i].Fingerprint == fingerprint {
			return &b.Roots[i]
		}
	}
	return nil
}

// Add records a root, replacing an entry with the same fingerprint.
func (b *Book) Add(r Root) {
	b.Remove(r.Fingerprint)
	b.Roots = append(b.Roots, r)
}

// Remove forgets the root with this fingerprint (its PEM file stays until
// DeleteRoot); it reports whether there was one.
func (b *Book) Remove(fingerprint string) bool {
	for i, r := range b.Roots {
		if r.Fingerprint == fingerprint {
			b.Roots = append(b.Roots[:i], b.Roots[i+1:]...)
			return true
		}
	}
	return false
}

// LastSeen returns what host presented last time, or nil.
func (b *Book) LastSeen(host string) *Seen {
	for i := range b.Seen {
		if b.Seen[i].Host == host {
			return &b.Seen[i]
		}
	}
	return nil
}

// See records what host presented now.
func (b *Book) See(s Seen) {
	if old := b.LastSeen(s.Host); old != nil {
		*old = s
		return
	}
	b.Seen = append(b.Seen, s)
}

// DeleteRoot removes a root's PEM file from the record folder.
func (b *Book) DeleteRoot(fingerprint string) error {
	err := os.Remove(b.RootFile(fingerprint))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
