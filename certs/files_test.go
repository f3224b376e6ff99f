package certs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFilesNamedSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "keep", "c.pem")
	if err := os.Mkdir(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "c.pem")
	dangling := filepath.Join(dir, "d.pem")
	for l, to := range map[string]string{link: "keep/c.pem", dangling: "keep/d.pem"} {
		if err := os.Symlink(to, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFiles(File{Path: link, Data: []byte("new"), Mode: 0o644, Named: true}, File{Path: dangling, Data: []byte("key"), Mode: 0o600, Named: true}); err != nil {
		t.Fatal(err)
	}
	for l, want := range map[string]string{link: "new", dangling: "key"} {
		if st, err := os.Lstat(l); err != nil || st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink", l)
		}
		if got, _ := os.ReadFile(l); string(got) != want {
			t.Errorf("%s reads %q, want %q", l, got, want)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "keep", "d.pem")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the dangling link's target was not made with mode 0600 (%v)", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(real))
	if len(entries) != 2 {
		t.Errorf("keep/ holds %d entries, want 2 (temp files left behind?)", len(entries))
	}

	// A file vouch owns (the CA's) is replaced, link and all.
	if err := WriteFiles(File{Path: link, Data: []byte("ca"), Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); !st.Mode().IsRegular() {
		t.Errorf("a file that is not Named went through the symlink")
	}
	if got, _ := os.ReadFile(real); string(got) != "new" {
		t.Errorf("keep/c.pem = %q, want it untouched", got)
	}
}

func TestWriteFilesNamedKeepsMode(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name      string
		mode      os.FileMode // what vouch asks for a new file
		had, want os.FileMode
	}{
		{"a certificate keeps its mode", 0o644, 0o604, 0o604},
		{"a key readable by a group stays so", 0o600, 0o640, 0o640},
		{"a key loses the other users' bits", 0o600, 0o644, 0o640},
		{"a new file gets vouch's mode", 0o600, 0, 0o600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name)
			if c.had != 0 {
				if err := os.WriteFile(p, []byte("old"), c.had); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, c.had); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			if err := WriteFiles(File{Path: p, Data: []byte("new"), Mode: c.mode, Named: true}); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != c.want {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), c.want)
			}
		})
	}
}

// TestWriteFilesDanglingThroughFolderLink: a dangling link's relative
// target is read from the folder the link really is in, not from the name
// of a symlinked folder on the way to it.
func TestWriteFilesDanglingThroughFolderLink(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a", "real/sub", "real/out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../real/sub", filepath.Join(dir, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../out/c.pem", filepath.Join(dir, "real", "sub", "c.pem")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(File{Path: filepath.Join(dir, "a", "link", "c.pem"), Data: []byte("new"), Mode: 0o644, Named: true}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "real", "out", "c.pem")); err != nil || string(got) != "new" {
		t.Errorf("real/out/c.pem = %q, %v; want the new file there", got, err)
	}
}

// TestWriteLongName: a file whose name is near the 255-byte limit (from a
// long host name) is written; its temp file's name, the target's plus a
// prefix and suffix, had been too long.
func TestWriteLongName(t *testing.T) {
	path := filepath.Join(t.TempDir(), strings.Repeat("a", 245)+".pem")
	if err := WriteFiles(File{Path: path, Data: []byte("x"), Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "x" {
		t.Errorf("read back %q, %v", got, err)
	}
}
