package truststore

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/platform"
)

// dbBytes reads every tracked file of the databases (an absent one as
// nil), to compare byte for byte.
func dbBytes(t *testing.T, specs []string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, s := range specs {
		db := dbOf(s)
		for _, name := range nssTracked(db) {
			p := filepath.Join(db.Dir, name)
			data, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			m[p] = data
		}
	}
	return m
}

// differing lists the files whose bytes differ from want.
func differing(t *testing.T, specs []string, want map[string][]byte) []string {
	t.Helper()
	var out []string
	got := dbBytes(t, specs)
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if (got[p] == nil) != (want[p] == nil) || !bytes.Equal(got[p], want[p]) {
			out = append(out, p)
		}
	}
	return out
}

func backups(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func dbOf(spec string) platform.NSSDB {
	format, dir, _ := strings.Cut(spec, ":")
	return platform.NSSDB{Dir: dir, Legacy: format == "dbm"}
}

// deletes are the databases certutil -D ran on.
func deletes(ran []string) []string {
	var out []string
	for _, c := range ran {
		f := strings.Fields(c)
		if len(f) > 3 && f[1] == "-D" {
			out = append(out, f[3])
		}
	}
	return out
}

func backupNSS(t *testing.T) (n *NSS, rec *recorder, specs []string) {
	t.Helper()
	requireCertutil(t)
	home, specs := nssHome(t)
	n, rec = newTestNSS(home)
	state := t.TempDir()
	n.BackupDir = filepath.Join(state, "nss")
	n.CacheFile = filepath.Join(state, "nss-listings.json")
	return n, rec, specs
}

// installedNSS is backupNSS after Install of a new root, which must work;
// before holds the databases' files from just before it.
func installedNSS(t *testing.T) (n *NSS, rec *recorder, specs []string, r Root, before map[string][]byte) {
	t.Helper()
	n, rec, specs = backupNSS(t)
	r = fileRoot(t)
	before = dbBytes(t, specs)
	if _, err := n.Install(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return n, rec, specs, r, before
}

// Untouched since install, every database (sql and legacy) gets its files
// back byte for byte, without certutil -D, and status reads the files put
// back as they are.
func TestNSSRestore(t *testing.T) {
	t.Parallel()
	n, rec, specs := backupNSS(t)
	r := fileRoot(t)
	ctx := context.Background()
	before := dbBytes(t, specs)

	if changed, err := n.Install(ctx, r); err != nil || !changed {
		t.Fatalf("Install = %v, %v", changed, err)
	}
	kept := backups(t, n.BackupDir)
	if len(kept) != len(specs) {
		t.Fatalf("after Install, %s holds %q, want one backup per database (%d)", n.BackupDir, kept, len(specs))
	}
	for _, s := range specs {
		folder := n.backupPath(dbOf(s), r.Cert)
		info, err := os.Stat(folder)
		if err != nil || info.Mode().Perm() != 0o700 {
			t.Errorf("backup of %s: %v, %v; want a folder with mode 0700", s, info, err)
			continue
		}
		m, err := readManifest(folder)
		if err != nil || m.Spec != s || len(m.Before) != 3 || len(m.After) != 3 {
			t.Errorf("manifest of %s = %+v, %v; want before and after of its three files", s, m, err)
		}
	}
	if st := n.Status(r); st.State != Trusted {
		t.Fatalf("Status after install = %+v", st)
	}
	if d := differing(t, specs, before); len(d) == 0 {
		t.Fatalf("no database file changed with install; the test shows nothing")
	}

	rec.take()
	if changed, err := n.Uninstall(ctx, r, false); err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v; want a change", changed, err)
	}
	ran := rec.take()
	if d := deletes(ran); len(d) != 0 {
		t.Errorf("Uninstall ran certutil -D on %q, want the files put back instead", d)
	}
	// The listings come from the cache, and files put back need no
	// certutil to say what is left in them.
	if len(ran) != 0 {
		t.Errorf("Uninstall ran %q, want no certutil at all", ran)
	}
	if d := differing(t, specs, before); len(d) != 0 {
		t.Errorf("after install and uninstall these files differ from before install: %q", d)
	}
	if kept := backups(t, n.BackupDir); len(kept) != 0 {
		t.Errorf("after Uninstall, %s still holds %q", n.BackupDir, kept)
	}
	// The cache keys on cert9.db's bytes: the files put back are read as
	// they are, by this NSS and by the next vouch run.
	if st := n.Status(r); st.State != NotTrusted || !strings.Contains(st.Reason, "0 of 3") {
		t.Errorf("Status after uninstall = %+v, want 0 of 3", st)
	}
	fresh, _ := newTestNSS(filepath.Dir(filepath.Dir(strings.TrimPrefix(specs[0], "sql:"))))
	fresh.CacheFile = n.CacheFile
	if st := fresh.Status(r); st.State != NotTrusted || !strings.Contains(st.Reason, "0 of 3") {
		t.Errorf("Status of the next run after uninstall = %+v, want 0 of 3", st)
	}
}

// A database changed after the install (here another certificate added)
// keeps that change: vouch's entry goes with certutil -D.
func TestNSSRestoreChangedSince(t *testing.T) {
	t.Parallel()
	n, rec, specs, r, before := installedNSS(t)
	ctx := context.Background()
	other := withFile(t, namedRoot(t, "added after install"))
	certutil(t, "-A", "-d", specs[1], "-n", "added after install", "-t", "C,,", "-i", other.File)
	rec.take()
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); !slices.Equal(d, []string{specs[1]}) {
		t.Errorf("Uninstall ran certutil -D on %q, want only on the changed %s", d, specs[1])
	}
	l := parseListing([]byte(certutil(t, "-L", "-d", specs[1])))
	if _, ok := l[NSSNickname(r.Cert)]; ok || l["added after install"] != "C,," {
		t.Errorf("%s after uninstall = %q, want the later entry kept and vouch's gone", specs[1], l)
	}
	d := differing(t, specs, before)
	if len(d) == 0 || slices.ContainsFunc(d, func(p string) bool { return !strings.HasPrefix(p, strings.TrimPrefix(specs[1], "sql:")) }) {
		t.Errorf("files differing from before install: %q; want only (some of) the changed database's", d)
	}
	if kept := backups(t, n.BackupDir); len(kept) != 0 {
		t.Errorf("after Uninstall, %s still holds %q", n.BackupDir, kept)
	}
}

// A journal beside the database: SQLite would play it into files put
// back, so vouch deletes its entry with certutil.
func TestNSSRestoreJournal(t *testing.T) {
	t.Parallel()
	n, rec, specs, r, _ := installedNSS(t)
	ctx := context.Background()
	dir := strings.TrimPrefix(specs[0], "sql:")
	journal := filepath.Join(dir, "cert9.db-journal")
	writeFile(t, journal, "")
	cert9, _ := os.ReadFile(filepath.Join(dir, "cert9.db"))
	rec.take()
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); !slices.Equal(d, []string{specs[0]}) {
		t.Errorf("Uninstall with %s ran certutil -D on %q, want on %s alone", journal, d, specs[0])
	}
	if now, _ := os.ReadFile(filepath.Join(dir, "cert9.db")); bytes.Equal(now, cert9) {
		t.Errorf("%s unchanged by uninstall", filepath.Join(dir, "cert9.db"))
	}
	if l := parseListing([]byte(certutil(t, "-L", "-d", specs[0]))); l[NSSNickname(r.Cert)] != "" {
		t.Errorf("%s after uninstall = %q, want vouch's entry gone", specs[0], l)
	}
}

// A database some program has open (a running browser would go on with
// the files taken away) is not put back.
func TestNSSRestoreInUse(t *testing.T) {
	t.Parallel()
	n, rec, specs, r, _ := installedNSS(t)
	ctx := context.Background()
	f, err := os.Open(filepath.Join(strings.TrimPrefix(specs[1], "sql:"), "key4.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec.take()
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); !slices.Equal(d, []string{specs[1]}) {
		t.Errorf("Uninstall with %s open ran certutil -D on %q, want on it alone", f.Name(), d)
	}
}

// An install that fails leaves no backup; nor does a backup that can't be
// written leave a database changed.
func TestNSSBackupFailedInstall(t *testing.T) {
	t.Parallel()
	requireCertutil(t)
	home, specs, locked := passwordHome(t, "[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\n\n[Profile1]\nName=old\nIsRelative=1\nPath=old.default\n\n[Profile2]\nName=locked\nIsRelative=1\nPath=locked\n")
	n, _ := newTestNSS(home)
	n.BackupDir = filepath.Join(t.TempDir(), "nss")
	r := fileRoot(t)
	if _, err := n.Install(context.Background(), r); err == nil || !strings.Contains(err.Error(), "primary password") {
		t.Fatalf("Install with a password-protected database = %v, want its error", err)
	}
	if _, err := os.Stat(n.backupPath(dbOf(locked), r.Cert)); !os.IsNotExist(err) {
		t.Errorf("the failed database's backup: %v, want none", err)
	}
	for _, s := range specs {
		if _, err := readManifest(n.backupPath(dbOf(s), r.Cert)); err != nil {
			t.Errorf("backup of %s, where install worked: %v", s, err)
		}
	}

	// The backup folder's place is taken by a file: nothing is changed.
	home2, specs2 := nssHome(t)
	n2, rec2 := newTestNSS(home2)
	n2.BackupDir = filepath.Join(t.TempDir(), "nss")
	writeFile(t, n2.BackupDir, "not a folder")
	before := dbBytes(t, specs2)
	rec2.take()
	changed, err := n2.Install(context.Background(), r)
	if err == nil || changed || !strings.Contains(err.Error(), "not changing it") || !strings.Contains(err.Error(), "keep a copy") {
		t.Errorf("Install with no room for backups = %v, %v; want no change and an error saying why", changed, err)
	}
	if ran := rec2.take(); !only(ran, "-L") {
		t.Errorf("Install with no room for backups ran %q, want only certutil -L", ran)
	}
	if d := differing(t, specs2, before); len(d) != 0 {
		t.Errorf("Install with no room for backups changed %q", d)
	}
}

// A backup an earlier install left (its entry since removed by hand) is
// replaced: uninstall returns to the state just before the latest install.
func TestNSSBackupReplaced(t *testing.T) {
	t.Parallel()
	n, rec, specs, r, first := installedNSS(t)
	ctx := context.Background()
	for _, s := range specs {
		certutil(t, "-D", "-d", s, "-n", NSSNickname(r.Cert))
	}
	second := dbBytes(t, specs)
	if d := differing(t, specs, first); len(d) == 0 {
		t.Fatalf("removing the entry by hand left every file as before install; the test shows nothing")
	}
	if changed, err := n.Install(ctx, r); err != nil || !changed {
		t.Fatalf("second Install = %v, %v", changed, err)
	}
	for _, s := range specs {
		m, err := readManifest(n.backupPath(dbOf(s), r.Cert))
		if err != nil {
			t.Fatal(err)
		}
		db := dbOf(s)
		main := filepath.Join(db.Dir, nssTracked(db)[0])
		if got, want := m.Before[nssTracked(db)[0]], sha256Hex(second[main]); got != want {
			t.Errorf("manifest of %s after the second install: %s was %.12s… before, want %.12s… (as just before that install)", s, main, got, want)
		}
	}
	rec.take()
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); len(d) != 0 {
		t.Errorf("Uninstall ran certutil -D on %q, want the files put back", d)
	}
	if d := differing(t, specs, second); len(d) != 0 {
		t.Errorf("after the second install and uninstall these differ from just before that install: %q", d)
	}
}

// With all, the files are put back and entries of other vouch roots in
// them still go, with their backups: each older root's install left the
// files as the next one's copy holds them, so its copy goes back in turn,
// and every database ends byte for byte as before both installs, with no
// certutil -D at all.
func TestNSSRestoreAll(t *testing.T) {
	t.Parallel()
	n, rec, specs := backupNSS(t)
	old, r := fileRoot(t), fileRoot(t)
	ctx := context.Background()
	before := dbBytes(t, specs)
	if _, err := n.Install(ctx, old); err != nil {
		t.Fatal(err)
	}
	// The legacy database refuses a second root of one subject; the
	// others take it.
	if _, err := n.Install(ctx, r); err == nil || !strings.Contains(err.Error(), "cert8.db") {
		t.Fatalf("Install of a second root = %v, want the legacy database's refusal", err)
	}
	rec.take()
	if _, err := n.Uninstall(ctx, r, true); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); len(d) != 0 {
		t.Errorf("Uninstall with all ran certutil -D on %q, want the files put back instead", d)
	}
	for _, s := range specs {
		if l := parseListing([]byte(certutil(t, "-L", "-d", s))); l[NSSNickname(r.Cert)] != "" || l[NSSNickname(old.Cert)] != "" {
			t.Errorf("%s after uninstall with all = %q, want no vouch entry", s, l)
		}
	}
	if d := differing(t, specs, before); len(d) != 0 {
		t.Errorf("after two installs and uninstall with all, these files differ from before: %q", d)
	}
	if kept := backups(t, n.BackupDir); len(kept) != 0 {
		t.Errorf("after Uninstall with all, %s still holds %q", n.BackupDir, kept)
	}

	// An older root whose database changed since its install still goes,
	// with certutil -D.
	n, rec, specs = backupNSS(t)
	old, r = fileRoot(t), fileRoot(t)
	if _, err := n.Install(ctx, old); err != nil {
		t.Fatal(err)
	}
	other := withFile(t, namedRoot(t, "added between the installs"))
	certutil(t, "-A", "-d", specs[0], "-n", "added between the installs", "-t", "C,,", "-i", other.File)
	n.Install(ctx, r)
	rec.take()
	if _, err := n.Uninstall(ctx, r, true); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); !slices.Equal(d, []string{specs[0]}) {
		t.Errorf("Uninstall with all ran certutil -D on %q, want only on %s, changed between the installs", d, specs[0])
	}
	for _, s := range specs {
		l := parseListing([]byte(certutil(t, "-L", "-d", s)))
		if l[NSSNickname(r.Cert)] != "" || l[NSSNickname(old.Cert)] != "" {
			t.Errorf("%s after uninstall with all = %q, want no vouch entry", s, l)
		}
		if s == specs[0] && l["added between the installs"] != "C,," {
			t.Errorf("%s after uninstall with all = %q, want the entry added between the installs kept", s, l)
		}
	}
	if kept := backups(t, n.BackupDir); len(kept) != 0 {
		t.Errorf("after Uninstall with all, %s still holds %q", n.BackupDir, kept)
	}
}

// Roots A then B installed, then taken out in the same order (vouch
// rotate, then the retired CA's uninstall first): A's entry goes with
// certutil -D, as B's is in the files, and A's copy passes to B's backup,
// so B's uninstall puts back the files from before both, byte for byte.
// A database changed in between (an entry added after B's install) hands
// nothing over and keeps that change.
func TestNSSRestoreTwoRootsInInstallOrder(t *testing.T) {
	t.Parallel()
	n, rec, specs := backupNSS(t)
	a, b := withFile(t, namedRoot(t, "vouch root old")), withFile(t, namedRoot(t, "vouch root new"))
	ctx := context.Background()
	before := dbBytes(t, specs)
	if _, err := n.Install(ctx, a); err != nil {
		t.Fatal(err)
	}
	// The legacy database takes one vouch root only: it keeps just A, and
	// A's uninstall puts its files back as usual.
	if _, err := n.Install(ctx, b); err == nil || !strings.Contains(err.Error(), "cert8.db") {
		t.Fatalf("Install of B = %v, want the legacy database's refusal", err)
	}
	changedSpec := specs[1]
	other := withFile(t, namedRoot(t, "added after both installs"))
	certutil(t, "-A", "-d", changedSpec, "-n", "added after both installs", "-t", "C,,", "-i", other.File)

	rec.take()
	if changed, err := n.Uninstall(ctx, a, false); err != nil || !changed {
		t.Fatalf("Uninstall of A = %v, %v", changed, err)
	}
	if d := deletes(rec.take()); !slices.Equal(slices.Sorted(slices.Values(d)), slices.Sorted(slices.Values(specs[:2]))) {
		t.Errorf("Uninstall of A ran certutil -D on %q, want on %q, where B's entry is too", d, specs[:2])
	}
	if st := n.Status(b); !strings.HasPrefix(st.Reason, "2 of 3 NSS databases trust it") {
		t.Errorf("B after A's uninstall: %+v, want trusted where it was installed", st)
	}
	if changed, err := n.Uninstall(ctx, b, false); err != nil || !changed {
		t.Fatalf("Uninstall of B = %v, %v", changed, err)
	}
	if d := deletes(rec.take()); !slices.Equal(d, []string{changedSpec}) {
		t.Errorf("Uninstall of B ran certutil -D on %q, want only on %s (changed since); the others get their files back", d, changedSpec)
	}
	var want []string
	for p := range before {
		if strings.HasPrefix(p, strings.TrimPrefix(changedSpec, "sql:")) {
			want = append(want, p)
		}
	}
	d := differing(t, specs, before)
	if slices.ContainsFunc(d, func(p string) bool { return !strings.HasPrefix(p, strings.TrimPrefix(changedSpec, "sql:")) }) {
		t.Errorf("after installs of A, B and uninstalls of A, B these files differ from before: %q; want only (some of) %s's, changed in between", d, changedSpec)
	}
	if len(d) == 0 {
		t.Errorf("%s, changed in between, is byte for byte as before; the test shows nothing", changedSpec)
	}
	for _, s := range specs {
		l := parseListing([]byte(certutil(t, "-L", "-d", s)))
		if _, has := l[NSSNickname(a.Cert)]; has {
			t.Errorf("%s still holds A", s)
		}
		if _, has := l[NSSNickname(b.Cert)]; has {
			t.Errorf("%s still holds B", s)
		}
	}
	if kept := backups(t, n.BackupDir); len(kept) != 0 {
		t.Errorf("after both uninstalls, %s still holds %q", n.BackupDir, kept)
	}
}

// A database whose files are symlinks (a dotfile manager's) is not put
// back by renaming files over the links: certutil takes the entry out of
// the database they point to, and the links stay links.
func TestNSSRestoreSymlinks(t *testing.T) {
	t.Parallel()
	n, rec, specs := backupNSS(t)
	ctx := context.Background()
	dir := strings.TrimPrefix(specs[0], "sql:")
	real := t.TempDir()
	var linked []string
	for _, name := range []string{"cert9.db", "key4.db", "pkcs11.txt"} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := os.Rename(p, filepath.Join(real, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(real, name), p); err != nil {
			t.Fatal(err)
		}
		linked = append(linked, p)
	}
	r := fileRoot(t)
	if _, err := n.Install(ctx, r); err != nil {
		t.Fatal(err)
	}
	rec.take()
	if _, err := n.Uninstall(ctx, r, false); err != nil {
		t.Fatal(err)
	}
	if d := deletes(rec.take()); !slices.Contains(d, specs[0]) {
		t.Errorf("Uninstall ran certutil -D on %q, want it on %s, whose files are links", d, specs[0])
	}
	for _, p := range linked {
		if info, err := os.Lstat(p); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s after uninstall: %v, %v; want the symlink it was", p, info, err)
		}
	}
	if l := parseListing([]byte(certutil(t, "-L", "-d", "sql:"+real))); l[NSSNickname(r.Cert)] != "" {
		t.Errorf("the linked-to database after uninstall = %q, want vouch's entry gone", l)
	}
}

// Without certutil, an uninstall that finds vouch's copies from its own
// install of the root fails (those databases trust it still) rather than
// passing the store over with a warning as a missing tool is otherwise.
func TestNSSUninstallWithoutCertutilAfterInstall(t *testing.T) {
	t.Parallel()
	n, _, specs, r, _ := installedNSS(t)
	n.LookPath = func(string) (string, error) { return "", exec.ErrNotFound }
	_, err := n.Uninstall(context.Background(), r, false)
	var mt *MissingToolError
	if err == nil || errors.As(err, &mt) || !strings.Contains(err.Error(), "certutil not found, and vouch added this root to "+specs[0]) || !strings.Contains(err.Error(), "then run the uninstall again") {
		t.Errorf("Uninstall without certutil after an install = %v; want an error (not a missing tool) naming the databases", err)
	}
	// A root vouch never added anywhere: the missing tool, as before.
	if _, err := n.Uninstall(context.Background(), fileRoot(t), false); !errors.As(err, &mt) {
		t.Errorf("Uninstall without certutil of a root never installed = %v, want a *MissingToolError", err)
	}
}

// A database vouch added the root to, that a later search does not find
// (the install ran with another $XDG_CONFIG_HOME, say), is still reached
// through vouch's copy from that install: status names it, and uninstall
// puts it back, where it had said "removed" and left it trusting the root.
func TestNSSUninstallReachesInstalledDBs(t *testing.T) {
	t.Parallel()
	n, _, specs, r, before := installedNSS(t)
	home := n.Home
	// The same home through a symlink: each database is counted once.
	link := filepath.Join(t.TempDir(), "home")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	n.Home = link
	if st := n.Status(r); len(st.Checked) != len(specs) {
		t.Errorf("Status through a symlinked home checked %q, want each of the %d databases once", st.Checked, len(specs))
	}
	n.Home = t.TempDir() // nothing to find here
	st := n.Status(r)
	if st.State != Trusted || len(st.Checked) != len(specs) || !strings.Contains(st.Checked[0], "recorded by vouch's install") {
		t.Errorf("Status with the databases no longer found = %+v; want them reached through vouch's copies", st)
	}
	// Its entry taken out by hand in one: status's hint, install, puts
	// it back there too (it reaches the same databases).
	certutil(t, "-D", "-d", specs[0], "-n", NSSNickname(r.Cert))
	if st := n.Status(r); st.State != NotTrusted {
		t.Errorf("Status after certutil -D = %+v, want not trusted", st)
	}
	if changed, err := n.Install(context.Background(), r); err != nil || !changed {
		t.Errorf("Install = %v, %v; want the entry put back", changed, err)
	}
	if st := n.Status(r); st.State != Trusted {
		t.Errorf("Status after the install = %+v, want trusted", st)
	}
	changed, err := n.Uninstall(context.Background(), r, false)
	if err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v; want the databases put back", changed, err)
	}
	// Put back byte for byte but the one changed by hand, whose entry
	// certutil took out.
	for _, f := range differing(t, specs, before) {
		if !strings.HasPrefix(f, strings.TrimPrefix(specs[0], "sql:")+string(filepath.Separator)) {
			t.Errorf("after uninstall, %s differs from before the install", f)
		}
	}
	for _, spec := range specs {
		if l := parseListing([]byte(certutil(t, "-L", "-d", spec))); l[NSSNickname(r.Cert)] != "" {
			t.Errorf("%s after uninstall = %q, want vouch's entry gone", spec, l)
		}
	}
	if st := n.Status(r); st.State != NotPresent {
		t.Errorf("Status after the uninstall = %+v, want no database (none is found, and no copy is left)", st)
	}
}
