package certs

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// snapshot reads every file under dir (paths relative to it) with its mode.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() || rel == lockFileName {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		out[rel] = st.Mode().Perm().String() + " " + string(data)
		return nil
	})
	return out
}

func constrainedCA(t *testing.T, kt KeyType) *CA {
	t.Helper()
	c := DefaultConstraints()
	if err := c.Permit("photos.alice.org"); err != nil {
		t.Fatal(err)
	}
	ca, err := Create(t.TempDir(), CreateOptions{Constraints: c, KeyType: kt, Owner: "alice@host"})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestRotateTwice(t *testing.T) {
	first := constrainedCA(t, "")
	dir := first.Dir
	before := snapshot(t, dir)
	day1 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	old, second, retired, err := Rotate(dir, CreateOptions{Owner: "alice@host", Now: func() time.Time { return day1 }})
	if err != nil {
		t.Fatal(err)
	}
	if old.Fingerprint() != first.Fingerprint() || second.Fingerprint() == first.Fingerprint() {
		t.Fatalf("Rotate: old %s new %s, want old %s and a new one", old.Fingerprint(), second.Fingerprint(), first.Fingerprint())
	}
	if want := filepath.Join(dir, RetiredDir, "2030-01-02-"+first.Fingerprint()[:16]); retired != want {
		t.Errorf("retired to %s, want %s", retired, want)
	}
	// The retired folder holds the old CA's files, byte for byte, modes too.
	for name, v := range snapshot(t, retired) {
		if before[name] != v {
			t.Errorf("retired %s differs from the old CA's", name)
		}
	}
	if len(snapshot(t, retired)) != 3 {
		t.Errorf("retired folder holds %v, want the 3 CA files", snapshot(t, retired))
	}
	back, err := Load(retired)
	if err != nil || back.Fingerprint() != first.Fingerprint() {
		t.Errorf("Load(retired) = %v, %v; want the old CA", back, err)
	}

	// The folder now loads as the new CA, with the same constraints, and
	// it can issue.
	now, err := Load(dir)
	if err != nil || now.Fingerprint() != second.Fingerprint() || second.Dir != dir {
		t.Fatalf("Load(dir) = %v, %v; want the new CA", now, err)
	}
	if !now.Constraints.Covers(first.Constraints) || !first.Constraints.Covers(now.Constraints) {
		t.Errorf("constraints changed: %s, was %s", now.Constraints, first.Constraints)
	}
	if len(now.Root.PermittedEmailAddresses) == 0 || len(now.Root.PermittedURIDomains) == 0 {
		t.Errorf("the new root lost its email or URI constraints")
	}
	names, _ := ParseNames([]string{"photos.alice.org"})
	if _, err := now.Issue(LeafRequest{Names: names}); err != nil {
		t.Errorf("the new CA can't issue: %v", err)
	}
	if !strings.Contains(now.Root.NotBefore.String(), "2030-01-02") {
		t.Errorf("the new CA was not made at the given time: %v", now.Root.NotBefore)
	}

	_, third, retired2, err := Rotate(dir, CreateOptions{Now: func() time.Time { return day1 }})
	if err != nil {
		t.Fatal(err)
	}
	if retired2 == retired || third.Fingerprint() == second.Fingerprint() {
		t.Errorf("second rotation: retired to %s (first to %s), new %s", retired2, retired, third.Fingerprint())
	}
	entries, _ := os.ReadDir(filepath.Join(dir, RetiredDir))
	if len(entries) != 2 {
		t.Errorf("retired/ holds %d entries, want 2 (both old CAs, no temp folders)", len(entries))
	}
	top, _ := os.ReadDir(dir)
	for _, e := range top {
		if strings.HasPrefix(e.Name(), ".rotate-") {
			t.Errorf("staging folder %s left behind", e.Name())
		}
	}
	if got, err := Load(retired); err != nil || got.Fingerprint() != first.Fingerprint() {
		t.Errorf("the first retired CA changed: %v, %v", got, err)
	}
}

func TestRotateKeepsKeyType(t *testing.T) {
	ca := constrainedCA(t, RSA2048)
	_, fresh, _, err := Rotate(ca.Dir, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := fresh.Root.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("new root key is %T, want RSA 2048", fresh.Root.PublicKey)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy today") }

// TestRotateFailures: whatever step fails, the folder is left holding the
// old CA, byte for byte, and nothing retired.
func TestRotateFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   CreateOptions
		rename func(from, to string) error
		want   string
	}{
		{"creating the new CA", CreateOptions{Rand: failingReader{}}, nil, "failed to make the new CA"},
		{"moving the retired copy", CreateOptions{}, func(from, to string) error {
			if filepath.Base(filepath.Dir(to)) == RetiredDir {
				return errors.New("disk on fire")
			}
			return os.Rename(from, to)
		}, "failed to keep a copy of the old CA"},
		{"moving the new root in", CreateOptions{}, func(from, to string) error {
			if filepath.Base(to) == RootCertFile && filepath.Base(filepath.Dir(from)) != RetiredDir {
				return errors.New("disk on fire")
			}
			return os.Rename(from, to)
		}, "the old CA was put back"},
		{"moving the new issuing key in", CreateOptions{}, func(from, to string) error {
			if filepath.Base(to) == IssuerKeyFile && strings.HasPrefix(filepath.Base(filepath.Dir(from)), ".rotate-") {
				return errors.New("disk on fire")
			}
			return os.Rename(from, to)
		}, "the old CA was put back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rename != nil {
				rename = tc.rename
				t.Cleanup(func() { rename = os.Rename })
			}
			ca := constrainedCA(t, "")
			before := snapshot(t, ca.Dir)
			_, fresh, _, err := Rotate(ca.Dir, tc.opts)
			if err == nil || fresh != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Rotate = %v, %v; want an error saying %q", fresh, err, tc.want)
			}
			sameSnapshot(t, "after a failed rotation", before, snapshot(t, ca.Dir))
			if got, err := Load(ca.Dir); err != nil || !bytes.Equal(got.Root.Raw, ca.Root.Raw) {
				t.Errorf("Load after a failed rotation = %v, %v", got, err)
			}
		})
	}
}

func TestRotateRefuses(t *testing.T) {
	if _, _, _, err := Rotate(t.TempDir(), CreateOptions{}); !errors.Is(err, ErrNoCA) {
		t.Errorf("Rotate(empty folder) = %v, want ErrNoCA", err)
	}
	dir := t.TempDir()
	mkcertCA(t, dir)
	before := snapshot(t, dir)
	if _, _, _, err := Rotate(dir, CreateOptions{}); !errors.Is(err, ErrAdopted) {
		t.Errorf("Rotate(mkcert folder) = %v, want ErrAdopted", err)
	}
	after := snapshot(t, dir)
	if len(after) != len(before) {
		t.Errorf("refusing changed the mkcert folder: %v", after)
	}
}

// stopRotate makes the n-th rename of a rotate's switch (0: the first
// file into the CA folder) stop the rotate the way a kill would: no more
// of Rotate's own code runs after it (the panic skips the put-back; only
// the deferred unlock and staging clean-up run).
type stopRotate struct{}

func TestRotateInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stopN int // the switch's rename that never happens
		load  func(dir string) (*CA, error)
	}{
		{"before any new file moved in, then Load", 0, Load},
		{"after the issuing key moved in, then Load", 1, Load},
		{"after both issuing files moved in, then Load", 2, Load},
		{"after both issuing files moved in, then LoadOrCreate", 2, func(dir string) (*CA, error) {
			ca, created, err := LoadOrCreate(dir, false, CreateOptions{})
			if created {
				t.Errorf("LoadOrCreate made a new CA instead of putting the old one back")
			}
			return ca, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca := constrainedCA(t, "")
			before := snapshot(t, ca.Dir)
			n := 0
			rename = func(from, to string) error {
				if filepath.Dir(to) == ca.Dir {
					if n == tc.stopN {
						panic(stopRotate{})
					}
					n++
				}
				return os.Rename(from, to)
			}
			t.Cleanup(func() { rename = os.Rename })
			func() {
				defer func() {
					if r := recover(); r != (stopRotate{}) {
						t.Fatalf("Rotate did not stop where the test stopped it (recovered %v)", r)
					}
				}()
				Rotate(ca.Dir, CreateOptions{})
			}()
			rename = os.Rename
			if _, err := os.Stat(filepath.Join(ca.Dir, RootCertFile)); err == nil {
				t.Fatalf("the stopped rotate left %s in place; the test stopped it too late", RootCertFile)
			}
			if !rotateInterrupted(ca.Dir) {
				t.Fatalf("the stopped rotate left no %s marker", rotatingFile)
			}

			got, err := tc.load(ca.Dir)
			if err != nil || !bytes.Equal(got.Root.Raw, ca.Root.Raw) || !bytes.Equal(got.Issuer.Raw, ca.Issuer.Raw) {
				t.Fatalf("load after the stopped rotate = %v, %v; want the old CA back", got, err)
			}
			sameSnapshot(t, "after recovery", before, snapshot(t, ca.Dir))
			// And the next rotate works.
			if _, fresh, _, err := Rotate(ca.Dir, CreateOptions{}); err != nil || fresh.Fingerprint() == ca.Fingerprint() {
				t.Errorf("Rotate after recovery = %v, %v", fresh, err)
			}
		})
	}
}

// sameSnapshot fails unless after holds exactly before's files, each as it
// was.
func sameSnapshot(t *testing.T, when string, before, after map[string]string) {
	t.Helper()
	if !maps.Equal(before, after) {
		t.Errorf("CA folder %s: files %q, before %q (or a file's mode or bytes changed)", when, slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before)))
	}
}

// A marker with the old root still in place: the switch never began, so
// the retired copy is a duplicate of the live CA and goes; with the new
// root in place the switch was done and the copy stays.
func TestFinishRotateMarkerOnly(t *testing.T) {
	t.Run("switch never began", func(t *testing.T) {
		ca := constrainedCA(t, "")
		day := time.Date(2031, 5, 6, 0, 0, 0, 0, time.UTC)
		retired, err := retire(ca.Dir, ca, day)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ca.Dir, rotatingFile), []byte(filepath.Base(retired)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		// Rotate finishes the old one first; on the same day it would
		// otherwise find its retired folder's name taken.
		old, fresh, _, err := Rotate(ca.Dir, CreateOptions{Now: func() time.Time { return day }})
		if err != nil || old.Fingerprint() != ca.Fingerprint() || fresh == nil {
			t.Fatalf("Rotate after a rotate that never switched = %v, %v, %v", old, fresh, err)
		}
		if rotateInterrupted(ca.Dir) {
			t.Errorf("marker still there")
		}
	})
	t.Run("switch done", func(t *testing.T) {
		ca := constrainedCA(t, "")
		_, fresh, retired, err := Rotate(ca.Dir, CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ca.Dir, rotatingFile), []byte(filepath.Base(retired)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := finishRotate(ca.Dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(retired, RootCertFile)); err != nil {
			t.Errorf("the retired copy of a finished rotate went: %v", err)
		}
		if got, err := Load(ca.Dir); err != nil || got.Fingerprint() != fresh.Fingerprint() || rotateInterrupted(ca.Dir) {
			t.Errorf("Load = %v, %v, marker %v; want the new CA and no marker", got, err, rotateInterrupted(ca.Dir))
		}
	})
	t.Run("damaged marker", func(t *testing.T) {
		ca := constrainedCA(t, "")
		os.Remove(filepath.Join(ca.Dir, RootCertFile))
		if err := os.WriteFile(filepath.Join(ca.Dir, rotatingFile), []byte("../../etc\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(ca.Dir); err == nil || !strings.Contains(err.Error(), "does not name a folder") {
			t.Errorf("Load with a damaged marker = %v; want an error naming the marker", err)
		}
	})
}

// TestRetired lists what two rotations retired, oldest first, and leaves
// out what is not a retired CA: a half-made copy, a folder named
// otherwise, one without a readable root.
func TestRetired(t *testing.T) {
	first := constrainedCA(t, "")
	dir := first.Dir
	if got := Retired(dir); got != nil {
		t.Errorf("Retired before any rotation = %v, want none", got)
	}
	day1 := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 3, 0)
	_, second, _, err := Rotate(dir, CreateOptions{Owner: "alice@host", Now: func() time.Time { return day1 }})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Rotate(dir, CreateOptions{Owner: "alice@host", Now: func() time.Time { return day2 }}); err != nil {
		t.Fatal(err)
	}
	parent := filepath.Join(dir, RetiredDir)
	for _, junk := range []string{".2030-05-01-0123456789abcdef.tmp-1", "notes", "2030-13-01-0123456789abcdef", "2030-06-01-0123456789abcdef"} {
		if err := os.Mkdir(filepath.Join(parent, junk), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A root file that holds no certificate.
	if err := os.WriteFile(filepath.Join(parent, "2030-06-01-0123456789abcdef", RootCertFile), []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Retired(dir)
	if len(got) != 2 {
		t.Fatalf("Retired = %d CAs, want the 2 rotations retired: %+v", len(got), got)
	}
	for i, want := range []struct {
		ca  *CA
		day string
	}{{first, "2030-01-02"}, {second, "2030-04-02"}} {
		if got[i].On != want.day || !bytes.Equal(got[i].Root.Raw, want.ca.Root.Raw) || filepath.Dir(got[i].Dir) != parent {
			t.Errorf("Retired[%d] = %s retired on %s in %s; want %s's root, on %s", i, Fingerprint(got[i].Root), got[i].On, got[i].Dir, want.ca.Fingerprint(), want.day)
		}
	}
}
