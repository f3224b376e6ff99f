//go:build unix

package certs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

func TestWriteFilesNamedKeepsGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file another owner and group")
	}
	p := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 1); err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(File{Path: p, Data: []byte("new"), Mode: 0o600, Named: true}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if uid, gid, _ := fsinfo.Owner(st); uid != 65534 || gid != 1 || st.Mode().Perm() != 0o640 {
		t.Errorf("the new key is %d:%d %v, want 65534:1 -rw-r-----, as the one it replaced", uid, gid, st.Mode().Perm())
	}
}

func TestWriteFilesStream(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "out")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Held open for reading and writing, so the writer's open doesn't wait
	// and what it wrote can be read back without blocking.
	// Raw reads: os.File would wait for data that never comes.
	r, err := syscall.Open(fifo, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(r)
	read := func() string {
		buf := make([]byte, 64)
		n, err := syscall.Read(r, buf)
		if err != nil && !errors.Is(err, syscall.EAGAIN) {
			t.Fatal(err)
		}
		return string(buf[:max(n, 0)])
	}

	// A file that can't be staged stops everything before the stream.
	err = WriteFiles(File{Path: fifo, Data: []byte("chain;"), Mode: 0o644, Named: true}, File{Path: filepath.Join(dir, "missing", "k.pem"), Data: []byte("key"), Mode: 0o600, Named: true})
	if err == nil {
		t.Fatal("WriteFiles into a missing folder succeeded")
	}
	if got := read(); got != "" {
		t.Errorf("the stream got %q from a write that failed", got)
	}

	if err := WriteFiles(File{Path: fifo, Data: []byte("chain;"), Mode: 0o644, Named: true}, File{Path: fifo, Data: []byte("key"), Mode: 0o600, Named: true}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "chain;key" {
		t.Errorf("the stream got %q, want the chain then the key", got)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced by a file")
	}
	isStream := func(p string) bool { out, err := outputOf(p); return err == nil && out.stream }
	if !isStream(fifo) || isStream(dir) || isStream(filepath.Join(dir, "none")) {
		t.Errorf("outputOf is wrong about the pipe, the folder or a missing file")
	}
}

// TestDescStaysOpen: a /dev/fd/N output is written into at the
// descriptor's offset, and the descriptor (the shell's) stays open however
// often the path is looked at and the garbage collector runs: an *os.File
// made on N had closed it when collected, and vouch then failed to write,
// or closed a file it had opened since under the same number.
func TestDescStaysOpen(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("KEEP\n"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/dev/fd/%d", f.Fd())
	for range 5 {
		if _, err := outputOf(path); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	if err := WriteFiles(File{Path: path, Data: []byte("chain\n"), Mode: 0o644, Named: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stat(); err != nil {
		t.Fatalf("the descriptor was closed: %v", err)
	}
	if got, _ := os.ReadFile(f.Name()); string(got) != "KEEP\nchain\n" {
		t.Errorf("the file holds %q, want what was there, then the chain", got)
	}
}

// TestDescReadOnly: a path that leads to a descriptor open for reading
// (/dev/stdin on `< in.txt`, here a symlink to /proc/self/fd/N) is not
// written, neither into nor by replacing the file the shell opened, and
// the error says why. Before, /dev/stdin was followed to in.txt, which was
// replaced by the key.
func TestDescReadOnly(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, []byte("KEEP\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	link := filepath.Join(dir, "stdin")
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), link); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd here")
	}
	// CanWrite, asked before a CA is made, finds it too.
	if err := CanWrite(link); err == nil || err.Error() != fmt.Sprintf("can't write %s: it is descriptor %d, which is open for reading only", link, f.Fd()) {
		t.Errorf("CanWrite(%s) = %v, want it found read-only", link, err)
	}
	err = WriteFiles(File{Path: link, Data: []byte("SECRET\n"), Mode: 0o600, Named: true})
	want := fmt.Sprintf("failed to write %s: it is descriptor %d, which is open for reading only", link, f.Fd())
	if err == nil || err.Error() != want {
		t.Errorf("WriteFiles through %s = %v, want %q", link, err, want)
	}
	if got, _ := os.ReadFile(in); string(got) != "KEEP\n" {
		t.Errorf("in.txt holds %q, want it as it was", got)
	}
	if st, err := os.Stat(in); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("in.txt: %v, %v; want mode 0644 as it was", st, err)
	}
}

// TestWriteNamedPairsDontInterleave: runs writing a certificate and its
// key to the same names at once each leave a matching pair; before, one
// run's certificate could end beside another's key (both renamed, exit 0).
func TestWriteNamedPairsDontInterleave(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for round := 0; round < 40; round++ {
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				token := []byte(fmt.Sprintf("run %d.%d\n", round, i))
				if _, _, err := WriteNamed(File{Path: cert, Data: token, Mode: 0o644, Named: true}, File{Path: key, Data: token, Mode: 0o600, Named: true}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		c, _ := os.ReadFile(cert)
		k, _ := os.ReadFile(key)
		if string(c) != string(k) {
			t.Fatalf("round %d: the certificate is from %q, its key from %q", round, c, k)
		}
	}
}

// TestCanWriteFolderNamed: a folder vouch can't make a file in is named as
// the folder, with why it matters though the file itself may be writable
// (vouch writes beside it and renames); before, "permission denied" read
// as if the file were not writable. /sys refuses new files even to root.
func TestCanWriteFolderNamed(t *testing.T) {
	dir := "/sys/kernel"
	if f, err := os.CreateTemp(dir, "probe-*"); err == nil || !errors.Is(err, fs.ErrPermission) {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
		t.Skipf("%s takes new files here (%v)", dir, err)
	}
	p := filepath.Join(dir, "vouch-test.pem")
	err := CanWrite(p)
	want := "can't write " + p + ": permission denied in its folder " + dir + " (vouch writes a new file beside it and renames it into place, so the folder must be writable, not only the file)"
	if err == nil || err.Error() != want || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("CanWrite = %v, want %q, wrapping the permission error", err, want)
	}
}

// TestWriteNamedFolderLockBounded: a pair written through two paths to one
// folder (a symlink), or into a folder another process holds locked, is
// written, not waited on without end; before, both hung.
func TestWriteNamedFolderLockBounded(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := WriteNamed(File{Path: filepath.Join(link, "c.pem"), Data: []byte("c"), Mode: 0o644, Named: true}, File{Path: filepath.Join(real, "k.pem"), Data: []byte("k"), Mode: 0o600, Named: true})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writing a pair through two paths to one folder hung")
	}

	unlock, err := LockDir(real, nil) // another process's lock, as flock(1) takes
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	start := time.Now()
	if _, _, err := WriteNamed(File{Path: filepath.Join(real, "c2.pem"), Data: []byte("c"), Mode: 0o644, Named: true}, File{Path: filepath.Join(real, "k2.pem"), Data: []byte("k"), Mode: 0o600, Named: true}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < folderWait || waited > folderWait+5*time.Second {
		t.Errorf("with the folder held locked, the pair was written after %v, want about %v", waited, folderWait)
	}
}
