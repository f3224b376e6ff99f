package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// newCA makes a default-constrained CA in a fresh temp folder.
func newCA(t testing.TB) *CA {
	t.Helper()
	ca, err := Create(t.TempDir(), CreateOptions{Constraints: DefaultConstraints(), Owner: "tester@host"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return ca
}

func TestCreateFiles(t *testing.T) {
	ca := newCA(t)
	tests := []struct {
		name string
		mode os.FileMode
	}{
		{RootCertFile, 0o644},
		{IssuerCertFile, 0o644},
		{IssuerKeyFile, 0o400},
	}
	for _, tt := range tests {
		st, err := os.Stat(filepath.Join(ca.Dir, tt.name))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if st.Mode().Perm() != tt.mode {
			t.Errorf("mode of %s = %v, want %v", tt.name, st.Mode().Perm(), tt.mode)
		}
	}
	if _, err := os.Stat(filepath.Join(ca.Dir, RootKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("root key file exists (err %v); the root key must never be written", err)
	}
	// No file in the folder may hold the root's private key: the only key
	// in it must be the intermediate's.
	entries, _ := os.ReadDir(ca.Dir)
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(ca.Dir, e.Name()))
		if k, err := ParseKey(data); err == nil && keyMatches(ca.Root, k) {
			t.Errorf("%s holds the root's private key", e.Name())
		}
	}
	if !ca.Root.IsCA || !ca.Issuer.IsCA || !ca.Issuer.MaxPathLenZero {
		t.Errorf("root IsCA=%v, issuer IsCA=%v MaxPathLenZero=%v; want CAs with pathlen 0 on the issuer", ca.Root.IsCA, ca.Issuer.IsCA, ca.Issuer.MaxPathLenZero)
	}
	for _, c := range []*x509.Certificate{ca.Root, ca.Issuer} {
		if !c.PermittedDNSDomainsCritical || len(c.PermittedDNSDomains) == 0 || len(c.PermittedIPRanges) == 0 ||
			len(c.PermittedEmailAddresses) == 0 || len(c.PermittedURIDomains) == 0 {
			t.Errorf("%s: constraints missing: critical=%v dns=%v ip=%v email=%v uri=%v", c.Subject.CommonName,
				c.PermittedDNSDomainsCritical, c.PermittedDNSDomains, c.PermittedIPRanges, c.PermittedEmailAddresses, c.PermittedURIDomains)
		}
	}
	if _, ok := ca.Issuer.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("issuer key is %T, want ECDSA", ca.Issuer.PublicKey)
	}
}

func TestLoadRoundTrip(t *testing.T) {
	ca := newCA(t)
	got, err := Load(ca.Dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Fingerprint() != ca.Fingerprint() || got.Adopted {
		t.Errorf("Load = %s adopted=%v, want %s adopted=false", got.Fingerprint(), got.Adopted, ca.Fingerprint())
	}
	if got.Constraints.String() != DefaultConstraints().String() {
		t.Errorf("Load constraints = %s, want %s", got.Constraints, DefaultConstraints())
	}
}

func TestLoadNoCA(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		if _, err := Load(dir); !errors.Is(err, ErrNoCA) {
			t.Errorf("Load(%q) error = %v, want ErrNoCA", dir, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(to)
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadBroken(t *testing.T) {
	other := newCA(t)
	tests := []struct {
		name   string
		breakf func(t *testing.T, dir string)
		want   string
	}{
		{"garbage root", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, RootCertFile), []byte("hello"), 0o644)
		}, "rootCA.pem is corrupt"},
		{"truncated root", func(t *testing.T, dir string) {
			p := filepath.Join(dir, RootCertFile)
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}, "rootCA.pem is corrupt"},
		{"key as root", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, IssuerKeyFile), filepath.Join(dir, RootCertFile))
		}, "not CERTIFICATE"},
		{"issuer from another CA", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(other.Dir, IssuerCertFile), filepath.Join(dir, IssuerCertFile))
		}, "mixes files of two CAs"},
		{"key from another CA", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(other.Dir, IssuerKeyFile), filepath.Join(dir, IssuerKeyFile))
		}, "mixes files of two CAs"},
		{"corrupt key", func(t *testing.T, dir string) {
			p := filepath.Join(dir, IssuerKeyFile)
			os.Chmod(p, 0o600)
			os.WriteFile(p, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o400)
		}, "intermediateCA-key.pem is corrupt"},
		{"missing key", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, IssuerKeyFile))
		}, "is missing"},
		{"root only", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, IssuerKeyFile))
			os.Remove(filepath.Join(dir, IssuerCertFile))
		}, "no issuing key"},
		{"leaf as root", func(t *testing.T, dir string) {
			ca, _ := Load(dir)
			leaf, err := ca.Issue(LeafRequest{Names: mustParse(t, "x.test")})
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, RootCertFile), CertPEM(leaf.Cert.Raw), 0o644)
		}, "not a self-signed CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := newCA(t)
			tt.breakf(t, ca.Dir)
			_, err := Load(ca.Dir)
			if err == nil || errors.Is(err, ErrNoCA) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load after %s: error = %v, want one containing %q", tt.name, err, tt.want)
			}
		})
	}
}

// mkcertCA writes a CA the way mkcert does: an unconstrained RSA root with
// its key beside it, no intermediate.
func mkcertCA(t testing.TB, dir string) *x509.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{Organization: []string{"mkcert development CA"}, CommonName: "mkcert test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := MarshalKey(key)
	if err := WriteFiles(File{Path: filepath.Join(dir, RootCertFile), Data: CertPEM(der), Mode: 0o644}, File{Path: filepath.Join(dir, RootKeyFile), Data: keyPEM, Mode: 0o400}); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestAdoptMkcert(t *testing.T) {
	dir := t.TempDir()
	root := mkcertCA(t, dir)
	ca, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(mkcert CA): %v", err)
	}
	if !ca.Adopted || !ca.Unconstrained() {
		t.Errorf("Load(mkcert CA) adopted=%v unconstrained=%v, want true, true", ca.Adopted, ca.Unconstrained())
	}
	leaf, err := ca.Issue(LeafRequest{Names: mustParse(t, "example.com")})
	if err != nil {
		t.Fatalf("Issue(example.com) with an mkcert CA: %v", err)
	}
	if len(leaf.Chain) != 0 {
		t.Errorf("mkcert CA leaf chain has %d certs, want 0 (signed by the root)", len(leaf.Chain))
	}
	if err := leaf.Cert.CheckSignatureFrom(root); err != nil {
		t.Errorf("leaf not signed by the mkcert root: %v", err)
	}
	// Adoption changes nothing in the folder.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("mkcert folder has %d entries after use, want 2", len(entries))
	}
}

// TestCreateFailsWhole: when the root can't be written (here its name is
// taken by a folder; on a real machine, a full disk), the issuing key and
// certificate written just before it are taken back out.
func TestCreateFailsWhole(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, RootCertFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, CreateOptions{}); err == nil || !strings.Contains(err.Error(), RootCertFile) {
		t.Fatalf("Create() error = %v, want one naming %s", err, RootCertFile)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{RootCertFile}) {
		t.Errorf("the folder holds %q after the failed Create, want only the %s folder that was there", names, RootCertFile)
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	const n = 16
	fps := make([]string, n)
	errs := make([]error, n)
	var created int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ca, c, err := LoadOrCreate(dir, false, CreateOptions{Constraints: DefaultConstraints()})
			errs[i] = err
			if err == nil {
				fps[i] = ca.Fingerprint()
			}
			if c {
				mu.Lock()
				created++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate #%d: %v", i, errs[i])
		}
		if fps[i] != fps[0] {
			t.Errorf("LoadOrCreate #%d got CA %s, #0 got %s", i, fps[i], fps[0])
		}
	}
	if created != 1 {
		t.Errorf("%d calls created a CA, want 1", created)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("CA folder mode = %v (%v), want 0700", st.Mode().Perm(), err)
	}
}

func TestLoadOrCreateParents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "ca")
	if _, _, err := LoadOrCreate(dir, false, CreateOptions{Constraints: DefaultConstraints()}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("LoadOrCreate(missing parent, no mkdir) error = %v, want one saying the parent does not exist", err)
	}
	if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("parent folder was created: %v", err)
	}
	if _, created, err := LoadOrCreate(dir, true, CreateOptions{Constraints: DefaultConstraints()}); err != nil || !created {
		t.Errorf("LoadOrCreate(missing parent, mkdir) = %v, %v; want created", created, err)
	}
}

func TestCreateKeyTypes(t *testing.T) {
	ca, err := Create(t.TempDir(), CreateOptions{Constraints: DefaultConstraints(), KeyType: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := ca.Root.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("root key = %T, want RSA 2048", ca.Root.PublicKey)
	}
	_ = elliptic.P256
}

func TestCARoot(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name     string
		flag     string
		env      Env
		want     string
		explicit bool
	}{
		{"flag wins", "/f", Env{Getenv: env("VOUCH_CAROOT", "/v", "CAROOT", "/c"), GOOS: "linux", Home: "/h"}, "/f", true},
		{"VOUCH_CAROOT over CAROOT", "", Env{Getenv: env("VOUCH_CAROOT", "/v", "CAROOT", "/c"), GOOS: "linux", Home: "/h"}, "/v", true},
		{"CAROOT", "", Env{Getenv: env("CAROOT", "/c"), GOOS: "linux", Home: "/h"}, "/c", true},
		{"linux default", "", Env{Getenv: env(), GOOS: "linux", Home: "/h"}, "/h/.local/share/vouch", false},
		{"XDG_DATA_HOME", "", Env{Getenv: env("XDG_DATA_HOME", "/x"), GOOS: "linux", Home: "/h"}, "/x/vouch", false},
		{"a relative XDG_DATA_HOME is ignored", "", Env{Getenv: env("XDG_DATA_HOME", "x"), GOOS: "linux", Home: "/h"}, "/h/.local/share/vouch", false},
		{"darwin", "", Env{Getenv: env(), GOOS: "darwin", Home: "/h"}, "/h/Library/Application Support/vouch", false},
		{"windows", "", Env{Getenv: env("LocalAppData", `C:\Users\me\AppData\Local`), GOOS: "windows", Home: `C:\Users\me`}, filepath.Join(`C:\Users\me\AppData\Local`, "vouch"), false},
		{"windows, a relative LocalAppData", "", Env{Getenv: env("LocalAppData", `AppData\Local`), GOOS: "windows", Home: `C:\Users\me`}, filepath.Join(`C:\Users\me`, "AppData", "Local", "vouch"), false},
	}
	for _, tt := range tests {
		got, explicit, err := CARoot(tt.flag, tt.env)
		if err != nil || got != tt.want || explicit != tt.explicit {
			t.Errorf("%s: CARoot = %q, %v, %v; want %q, %v", tt.name, got, explicit, err, tt.want, tt.explicit)
		}
	}
	for _, e := range []Env{{Getenv: env(), GOOS: "linux"}, {Getenv: env("LocalAppData", `AppData\Local`), GOOS: "windows"}} {
		if _, _, err := CARoot("", e); err == nil {
			t.Errorf("CARoot with no home on %s: no error", e.GOOS)
		}
	}
}

func TestLoadOrCreateFolderRace(t *testing.T) {
	// Many callers naming a folder that does not exist yet: all must get
	// the one CA, none an "exists" error.
	for round := range 20 {
		dir := filepath.Join(t.TempDir(), "ca")
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = LoadOrCreate(dir, false, CreateOptions{Constraints: DefaultConstraints()})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, err)
			}
		}
	}
}

func TestLoadNotAFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, dir := range []string{file, filepath.Join(file, "ca")} {
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "is not a folder") {
			t.Errorf("Load(%s) error = %v, want one saying it is not a folder", dir, err)
		}
	}
}

func TestLoadOrCreateTightensEmptyFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	os.Mkdir(dir, 0o755)
	if _, _, err := LoadOrCreate(dir, false, CreateOptions{Constraints: DefaultConstraints()}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("empty existing folder mode = %v after CA creation, want 0700", st.Mode().Perm())
	}
	shared := filepath.Join(t.TempDir(), "shared")
	os.Mkdir(shared, 0o755)
	os.WriteFile(filepath.Join(shared, "notes.txt"), nil, 0o644)
	if _, _, err := LoadOrCreate(shared, false, CreateOptions{Constraints: DefaultConstraints()}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(shared); st.Mode().Perm() != 0o755 {
		t.Errorf("a folder with the user's files was changed to %v", st.Mode().Perm())
	}
}
