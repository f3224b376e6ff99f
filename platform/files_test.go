package platform

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStageFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cert9.db")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	like, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	entries := func() int {
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	s, err := StageFile(path, []byte("new"), like)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("after StageFile, %s = %q, want it untouched until Commit", path, got)
	}
	s.Abort()
	if got, _ := os.ReadFile(path); string(got) != "old" || entries() != 1 {
		t.Errorf("after Abort, %s = %q with %d files in its folder, want \"old\" alone", path, got, entries())
	}

	s, err = StageFile(path, []byte("new"), like)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "new" || info.Mode().Perm() != 0o640 || entries() != 1 {
		t.Errorf("after Commit, %s = %q mode %v with %d files in its folder, want \"new\" mode 0640 alone", path, got, info.Mode().Perm(), entries())
	}

	// A folder that can't take the temp file: nothing staged, nothing changed.
	if _, err := StageFile(filepath.Join(dir, "missing", "key4.db"), []byte("x"), like); err == nil {
		t.Errorf("StageFile into a missing folder = nil error, want one")
	}
}

// TestWriteAtomicErrorNamesTarget: a failed write names the file the user
// knows, not the temp file beside it (seen on a full disk as "failed to
// write …/vouch-….crt: write …/.vouch-….crt.vouch-3234857330: no space
// left on device").
func TestWriteAtomicErrorNamesTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "vouch-x.crt")
	err := writeAtomic(path, []byte("x"), 0o644, nil)
	if want := "failed to write " + path + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("writeAtomic into a missing folder = %v, want %q", err, want)
	}
}
