// Package nstest runs a test body inside a throwaway Linux mount namespace
// in which every trust store of the machine is a tmpfs copy and HOME is a
// fresh empty folder, so a test may add and remove roots with the real tools
// (update-ca-certificates and its hooks, trust, certutil, keytool) and leave
// without cleaning up.
//
// Outside the namespace it only reads: it snapshots the real trust stores
// before and after the body and fails the test if they differ. It must never
// mount, write or remove anything in the caller's own mount namespace; the
// only mounts it makes are in the child process that unshare(1) starts with
// private propagation, and the child refuses to mount unless it can see that
// it is in a new namespace where no mount is shared.
package nstest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

// Env is what a body run by Run gets.
type Env struct {
	// Home is the body's HOME: an empty folder on a tmpfs, with the XDG_*
	// folders and TMPDIR pointed inside the same tmpfs.
	Home string
	// Paths are the trust-store locations that were copied into tmpfs, as
	// TrustPaths returned them inside the namespace. Snapshot reads these.
	Paths []string

	scratch    string // the tmpfs folder setup mounted, holding Home
	hostsBound bool   // SetHosts has bound its file onto /etc/hosts
}

// Snapshot returns the listing of e.Paths (see the package-level Snapshot).
func (e *Env) Snapshot() (string, error) { return Snapshot(e.Paths...) }

// Snapshot returns a sorted listing of everything under the given paths, one
// line per entry: its path, a tab, then its kind, mode, owner and sha256 (for
// a file) or target (for a symbolic link). A path that does not exist is
// listed as absent. With no paths it lists TrustPaths. Two listings are equal
// exactly when the trees hold the same bytes, links, modes and owners.
func Snapshot(paths ...string) (string, error) {
	if len(paths) == 0 {
		paths = TrustPaths()
	}
	var lines []string
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				lines = append(lines, entryLine(p, "absent"))
				return nil
			}
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			desc, err := describe(p, info)
			if err != nil {
				return err
			}
			lines = append(lines, entryLine(p, desc))
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("failed to snapshot %s: %w", root, err)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

func entryLine(path, desc string) string {
	if strings.ContainsAny(path, "\t\n") {
		path = strconv.Quote(path)
	}
	return path + "\t" + desc
}

func describe(path string, info fs.FileInfo) (string, error) {
	mode := info.Mode()
	perm := fmt.Sprintf("%04o", uint32(mode.Perm())|specialBits(mode))
	owner := fileOwner(info)
	switch {
	case mode.Type() == fs.ModeSymlink:
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("symlink %s -> %s", owner, target), nil
	case mode.IsDir():
		return fmt.Sprintf("dir %s %s", perm, owner), nil
	case mode.IsRegular():
		sum, err := fileSHA256(path)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("file %s %s sha256:%s", perm, owner, sum), nil
	default:
		return fmt.Sprintf("other %s %s %s", mode.Type(), perm, owner), nil
	}
}

func specialBits(mode fs.FileMode) uint32 {
	var bits uint32
	if mode&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if mode&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if mode&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	return bits
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Diff compares two listings made by Snapshot and names every entry that was
// added, removed or changed, one per line in path order. It returns "" when
// the listings are equal.
func Diff(a, b string) string {
	before, after := parseListing(a), parseListing(b)
	paths := make([]string, 0, len(before)+len(after))
	for p := range before {
		paths = append(paths, p)
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []string
	for _, p := range paths {
		x, inA := before[p]
		y, inB := after[p]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("added %s: %s", p, y))
		case !inB:
			out = append(out, fmt.Sprintf("removed %s: %s", p, x))
		case x != y:
			out = append(out, fmt.Sprintf("changed %s: %s => %s", p, x, y))
		}
	}
	return strings.Join(out, "\n")
}

func parseListing(s string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		path, desc, _ := strings.Cut(line, "\t")
		m[path] = desc
	}
	return m
}

// strictEnv names the variable under which a missing prerequisite is a
// failure rather than a skip (scripts/test.sh sets it).
const strictEnv = "VOUCH_E2E"

// skipOrFatal skips t for a missing prerequisite, or fails it when
// VOUCH_E2E=1 asks for every prerequisite to be present.
func skipOrFatal(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv(strictEnv) == "1" {
		t.Fatal(reason + " (VOUCH_E2E=1 makes this a failure)")
	}
	t.Skip(reason)
}

// fileOwner is "uid:gid", or "-" where files have no numeric owner.
func fileOwner(info fs.FileInfo) string {
	if uid, gid, ok := fsinfo.Owner(info); ok {
		return fmt.Sprintf("%d:%d", uid, gid)
	}
	return "-"
}
