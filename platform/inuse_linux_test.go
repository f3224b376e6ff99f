//go:build linux

package platform

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFilesInUse(t *testing.T) {
	dir := t.TempDir()
	open, closed, link := filepath.Join(dir, "open.db"), filepath.Join(dir, "closed.db"), filepath.Join(dir, "link.db")
	for _, p := range []string{open, closed} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(open, link); err != nil {
		t.Fatal(err)
	}
	ask := []string{open, closed, link, filepath.Join(dir, "missing.db")}
	if got, err := FilesInUse(ask); err != nil || len(got) != 0 {
		t.Fatalf("FilesInUse(%q) with nothing open = %q, %v; want none", ask, got, err)
	}
	f, err := os.Open(open)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FilesInUse(ask)
	f.Close()
	// The link names the open file too: a path is in use when the file it
	// leads to is.
	if want := []string{link, open}; err != nil || !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("FilesInUse(%q) with %s open = %q, %v; want %q", ask, open, got, err, want)
	}
	if got, err := FilesInUse(ask); err != nil || len(got) != 0 {
		t.Errorf("FilesInUse(%q) after closing = %q, %v; want none", ask, got, err)
	}
}
