package truststore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/vouchdev/vouch/platform"
)

// listingCache remembers certutil -L's listing of each database together
// with a SHA-256 of the database file it came from. While the file's bytes
// are the same, so is the listing, and a no-op install or a status reads
// the file instead of starting certutil. Any change to the database (a
// browser's own, or certutil's) changes the hash and the next read runs
// certutil again. A database with a journal or write-ahead log beside it
// is being written, so it is never answered from the cache.
type listingCache struct {
	path    string
	mu      sync.Mutex
	loaded  bool
	entries map[string]cachedListing
}

type cachedListing struct {
	SHA256  string  `json:"sha256"`
	Listing listing `json:"listing"`
	// Aliases are findAlias's answers for this file: by vouch's nickname
	// for a root, the other nickname holding it ("" for none).
	Aliases map[string]string `json:"aliases,omitempty"`
}

func newListingCache(path string) *listingCache {
	if path == "" {
		return nil
	}
	return &listingCache{path: path}
}

// dbHash hashes the file certutil reads for db, with certutil's path in
// the key; ok is false when the database must be read with certutil.
func dbHash(db platform.NSSDB, certutil string) (string, bool) {
	file := db.File()
	for _, side := range []string{"-journal", "-wal"} {
		if _, err := os.Lstat(file + side); !errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", false
	}
	h := sha256.New()
	h.Write([]byte(certutil))
	h.Write([]byte{0})
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), true
}

func (c *listingCache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.entries = map[string]cachedListing{}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return
	}
	// A damaged cache is as good as none.
	if json.Unmarshal(data, &c.entries) != nil {
		c.entries = map[string]cachedListing{}
	}
}

// get returns the cached listing of db when its file still hashes to sum.
func (c *listingCache) get(db platform.NSSDB, sum string) (listing, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.entries[db.Spec()]
	if !ok || e.SHA256 != sum {
		return nil, false
	}
	return e.Listing, true
}

// put remembers a listing; failing to write the cache costs only speed.
func (c *listingCache) put(db platform.NSSDB, sum string, l listing) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	c.entries[db.Spec()] = cachedListing{SHA256: sum, Listing: l}
	c.saveLocked()
}

// saveLocked writes the cache; failing costs only speed.
func (c *listingCache) saveLocked() {
	data, err := json.Marshal(c.entries)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".nss-listings-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.path) != nil {
		os.Remove(tmp.Name())
	}
}

// alias returns findAlias's cached answer for the root vouch names key in
// db, while db's file still hashes to sum.
func (c *listingCache) alias(db platform.NSSDB, sum, key string) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.entries[db.Spec()]
	if !ok || e.SHA256 != sum {
		return "", false
	}
	nick, ok := e.Aliases[key]
	return nick, ok
}

// putAlias remembers findAlias's answer beside db's listing, when that
// listing is of the same file.
func (c *listingCache) putAlias(db platform.NSSDB, sum, key, nick string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.entries[db.Spec()]
	if !ok || e.SHA256 != sum {
		return
	}
	if e.Aliases == nil {
		e.Aliases = map[string]string{}
	}
	e.Aliases[key] = nick
	c.entries[db.Spec()] = e
	c.saveLocked()
}
