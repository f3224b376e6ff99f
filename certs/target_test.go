//go:build unix

package certs

import (
	"os"
	"path/filepath"
	"testing"
)

// sameFileByAbs is SameFile as it was written before Target: each path
// looked up, then filepath.Abs of each.
func sameFileByAbs(a, b string) bool {
	oa, erra := outputOf(a)
	ob, errb := outputOf(b)
	if erra != nil || errb != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	if oa.stream || ob.stream {
		return false
	}
	absA, erra := filepath.Abs(oa.path)
	absB, errb := filepath.Abs(ob.path)
	return erra == nil && errb == nil && absA == absB
}

// Paths looked up once (TargetOf) are the same file, or not, as SameFile
// found by looking each up and making it absolute: relative and absolute
// spellings, a symlink to the other, a link into a linked folder, a
// missing file, a missing folder, stdout and stderr.
func TestSameTargetAsSameFile(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	os.WriteFile("c.pem", []byte("x"), 0o644)
	os.Mkdir("real", 0o755)
	os.WriteFile("real/k.pem", []byte("x"), 0o600)
	os.Symlink("real", "linked")
	os.Symlink("c.pem", "to-c.pem")
	os.Symlink(filepath.Join(dir, "linked", "k.pem"), "to-k.pem")
	paths := []string{
		"c.pem", "./c.pem", filepath.Join(dir, "c.pem"), "to-c.pem", "real/../c.pem",
		"real/k.pem", "linked/k.pem", "to-k.pem", filepath.Join(dir, "linked", "k.pem"),
		"new.pem", "./new.pem", "missing/x.pem", "-", "/dev/stdout", "/dev/stderr",
	}
	for _, a := range paths {
		for _, b := range paths {
			want := sameFileByAbs(a, b)
			if got := SameTarget(TargetOf(a), TargetOf(b)); got != want {
				t.Errorf("SameTarget(%s, %s) = %v, want %v", a, b, got, want)
			}
			if got := SameFile(a, b); got != want {
				t.Errorf("SameFile(%s, %s) = %v, want %v", a, b, got, want)
			}
		}
	}
	ca := filepath.Join(dir, "ca")
	os.Mkdir(ca, 0o700)
	os.Symlink(filepath.Join(ca, IssuerKeyFile), "to-key")
	for _, p := range []string{filepath.Join(ca, RootCertFile), "ca/" + IssuerKeyFile, "to-key", "c.pem", "-"} {
		name, ok := CAFile(ca, p)
		if tname, tok := TargetOf(p).CAFile(ca); tname != name || tok != ok {
			t.Errorf("TargetOf(%s).CAFile = %q, %v; CAFile = %q, %v", p, tname, tok, name, ok)
		}
	}
	if name, ok := CAFile(ca, "to-key"); !ok || name != IssuerKeyFile {
		t.Errorf("CAFile(a link to the issuing key) = %q, %v", name, ok)
	}
}
