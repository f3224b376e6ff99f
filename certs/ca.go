package certs

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vouchdev/vouch/internal/fsinfo"
)

// File names inside the CA folder. rootCA.pem and rootCA-key.pem are
// mkcert's, so an mkcert folder is read as it is.
const (
	RootCertFile   = "rootCA.pem"
	RootKeyFile    = "rootCA-key.pem"
	IssuerCertFile = "intermediateCA.pem"
	IssuerKeyFile  = "intermediateCA-key.pem"
	lockFileName   = ".vouch.lock"
)

const (
	caValidity = 10 * 365 * 24 * time.Hour
	// AppleMaxLeafValidity is the longest a TLS server certificate may be
	// valid for Apple's platforms to accept it, whoever issued it.
	AppleMaxLeafValidity = 825 * 24 * time.Hour
	// DefaultLeafValidity stays under AppleMaxLeafValidity.
	DefaultLeafValidity = 820 * 24 * time.Hour
	MinLeafValidity     = time.Hour
)

// ErrNoCA means the CA folder holds no CA yet.
var ErrNoCA = errors.New("no CA in this folder yet")

// CA is a loaded certificate authority, able to sign leaves.
type CA struct {
	Dir  string
	Root *x509.Certificate
	// Issuer signs leaves: the intermediate, or for an adopted mkcert CA
	// the root itself.
	Issuer *x509.Certificate
	key    crypto.Signer
	// Adopted is true for an mkcert CA: its root key is on disk and it
	// signs leaves directly.
	Adopted bool
	// Constraints is nil for a CA without name constraints.
	Constraints *Constraints
}

// Fingerprint is the root's SHA-256 fingerprint.
func (ca *CA) Fingerprint() string { return Fingerprint(ca.Root) }

// Unconstrained reports whether a leaked issuing key could sign for any name.
func (ca *CA) Unconstrained() bool { return ca.Constraints == nil }

// End is when the CA can vouch for nothing any more: the earlier end of its
// root and its issuer (one and the same in an mkcert CA).
func (ca *CA) End() time.Time {
	if ca.Issuer.NotAfter.Before(ca.Root.NotAfter) {
		return ca.Issuer.NotAfter
	}
	return ca.Root.NotAfter
}

// CreateOptions shape a new CA. Zero values mean the defaults, except
// Constraints: nil makes an unconstrained CA, so callers pass
// DefaultConstraints() unless the user opted out.
type CreateOptions struct {
	Constraints *Constraints
	KeyType     KeyType
	// Owner names the person and machine, "user@host", in the subjects.
	Owner string
	// OwnerFunc gives Owner, when that is "", only once a CA is to be
	// made: looking the user up reads the user database, which a
	// LoadOrCreate that finds a CA (a no-op install) has no use for.
	OwnerFunc func() string
	Now       func() time.Time
	Rand      io.Reader
	// Waiting, when not nil, is called when another vouch holds the CA
	// folder's lock (see Lock).
	Waiting func()
}

func (o CreateOptions) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o CreateOptions) rand() io.Reader {
	if o.Rand != nil {
		return o.Rand
	}
	return rand.Reader
}

func randomSerial(r io.Reader) (*big.Int, error) {
	serial, err := rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("failed to generate serial number: %w", err)
	}
	return serial, nil
}

// Load reads the CA in dir. It returns an error wrapping ErrNoCA when there
// is none, and a plain error for anything broken.
func Load(dir string) (*CA, error) {
	ca, err := load(dir)
	if errors.Is(err, ErrNoCA) && rotateInterrupted(dir) {
		// A vouch rotate stopped halfway (killed, power cut) and left the
		// folder without its root: put the old CA back, under the lock,
		// before saying there is none.
		unlock, lerr := Lock(dir, nil)
		if lerr != nil {
			return nil, lerr
		}
		defer unlock()
		if ferr := finishRotate(dir); ferr != nil {
			return nil, ferr
		}
		return load(dir)
	}
	return ca, err
}

func load(dir string) (*CA, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("CA folder %s is not a folder", dir)
	}
	rootPEM, err := os.ReadFile(filepath.Join(dir, RootCertFile))
	if errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("CA folder %s is not a folder: something on its path is a file", dir)
	}
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(dir); serr != nil {
			return nil, fmt.Errorf("CA folder %s: %w", dir, ErrNoCA)
		}
		// An mkcert CA that lost its certificate: a CA made beside its
		// key would leave rootCA.pem and rootCA-key.pem of two CAs.
		if _, kerr := os.Lstat(filepath.Join(dir, RootKeyFile)); kerr == nil {
			return nil, fmt.Errorf("CA folder %s holds %s but no %s: an mkcert CA that has lost its certificate, and vouch won't make a CA beside its key; put %s back, or move %s aside to make a new CA there", dir, RootKeyFile, RootCertFile, RootCertFile, RootKeyFile)
		}
		return nil, fmt.Errorf("%s: %w", dir, ErrNoCA)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the CA: %w", err)
	}
	root, err := parseOneCert(rootPEM, filepath.Join(dir, RootCertFile))
	if err != nil {
		return nil, err
	}
	if !root.IsCA || root.CheckSignatureFrom(root) != nil {
		return nil, fmt.Errorf("%s is not a self-signed CA certificate", filepath.Join(dir, RootCertFile))
	}
	ca := &CA{Dir: dir, Root: root}

	issuerPath := filepath.Join(dir, IssuerCertFile)
	issuerPEM, err := os.ReadFile(issuerPath)
	switch {
	case err == nil:
		issuer, err := parseOneCert(issuerPEM, issuerPath)
		if err != nil {
			return nil, err
		}
		if !issuer.IsCA {
			return nil, fmt.Errorf("%s is not a CA certificate", issuerPath)
		}
		if err := issuer.CheckSignatureFrom(root); err != nil {
			return nil, fmt.Errorf("%s was not signed by %s: the folder mixes files of two CAs", issuerPath, filepath.Join(dir, RootCertFile))
		}
		key, err := readKey(filepath.Join(dir, IssuerKeyFile))
		if err != nil {
			return nil, err
		}
		if !keyMatches(issuer, key) {
			return nil, fmt.Errorf("%s does not match %s: the folder mixes files of two CAs", filepath.Join(dir, IssuerKeyFile), issuerPath)
		}
		ca.Issuer, ca.key = issuer, key
		ca.Constraints = ConstraintsOf(issuer)
	case errors.Is(err, fs.ErrNotExist):
		keyPath := filepath.Join(dir, RootKeyFile)
		if _, err := os.Stat(keyPath); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s holds %s but no issuing key (%s or %s), so it can't sign certificates", dir, RootCertFile, IssuerKeyFile, RootKeyFile)
		}
		key, err := readKey(keyPath)
		if err != nil {
			return nil, err
		}
		if !keyMatches(root, key) {
			return nil, fmt.Errorf("%s does not match %s: the folder mixes files of two CAs", keyPath, filepath.Join(dir, RootCertFile))
		}
		ca.Issuer, ca.key, ca.Adopted = root, key, true
		ca.Constraints = ConstraintsOf(root)
	default:
		return nil, fmt.Errorf("failed to read the CA: %w", err)
	}
	return ca, nil
}

func parseOneCert(data []byte, path string) (*x509.Certificate, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s is corrupt: %w", path, err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s is corrupt: it holds %d certificates, want 1", path, len(certs))
	}
	return certs[0], nil
}

func readKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the CA's issuing key %s is missing", path)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the CA's issuing key: %w", err)
	}
	k, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s is corrupt: %w", path, err)
	}
	return k, nil
}

// LoadOrCreate loads the CA in dir, creating it first when there is none.
// Creation holds a lock file in the folder, so processes started together
// on an empty folder end up sharing one CA. mkdirParents says whether
// missing parent folders may be made (only for the default location).
func LoadOrCreate(dir string, mkdirParents bool, opts CreateOptions) (ca *CA, created bool, err error) {
	ca, err = Load(dir)
	if err == nil || !errors.Is(err, ErrNoCA) {
		return ca, false, err
	}
	if err := makeCAFolder(dir, mkdirParents); err != nil {
		return nil, false, err
	}
	unlock, err := Lock(dir, opts.Waiting)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if err := finishRotate(dir); err != nil {
		return nil, false, err
	}
	ca, err = load(dir)
	if err == nil || !errors.Is(err, ErrNoCA) {
		return ca, false, err
	}
	tightenEmptyFolder(dir)
	ca, err = Create(dir, opts)
	return ca, err == nil, err
}

// tightenEmptyFolder makes a folder the CA is about to move into 0700, as
// vouch would have made it, when nothing else lives there; a folder with
// other files in it is the user's, and keeps its mode.
func tightenEmptyFolder(dir string) {
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() != lockFileName && !strings.HasPrefix(e.Name(), ".") {
			return
		}
	}
	os.Chmod(dir, 0o700)
}

func makeCAFolder(dir string, parents bool) error {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("CA folder %s is not a folder", dir)
		}
		return nil
	}
	var err error
	if parents {
		err = os.MkdirAll(dir, 0o700)
	} else {
		err = os.Mkdir(dir, 0o700)
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("can't create the CA folder %s: %s does not exist", dir, filepath.Dir(dir))
			if strings.HasPrefix(dir, "~") {
				// VOUCH_CAROOT="~/ca", or a Dockerfile's ENV.
				err = fmt.Errorf("%w (a ~ stands for your home folder only where a shell expands it, unquoted at the start of a word: give the whole path)", err)
			}
			return err
		}
	}
	if errors.Is(err, fs.ErrExist) {
		// Another process made it between our Stat and Mkdir.
		if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("can't create the CA folder: %w", err)
	}
	return nil
}

// LockIn takes the lock file in dir, which errors call what (say, "the
// state folder"), as Lock does for the CA folder. A lock file, not the
// folder itself as LockDir: Windows can't lock a folder, nor Linux's NFS
// client a file opened read-only.
func LockIn(dir, what string, waiting func()) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("can't write in %s %s: %w", what, dir, fsinfo.Bare(err))
	}
	if err := lockWaiting(f, waiting, waitNotice); err != nil {
		f.Close()
		return nil, fmt.Errorf("can't lock %s %s: %w", what, dir, err)
	}
	return func() { f.Close() }, nil
}

// waitNotice is how long a wait for the CA folder's lock goes unannounced:
// first uses started together (make -j, a test suite) each wait a few
// milliseconds for the one making the CA, and need no word; a wait behind
// an install at sudo's password prompt does.
var waitNotice = time.Second

// lockWaiting takes f's lock. When another process holds it and waiting
// is not nil, waiting is called once the wait has lasted after, and
// before lockWaiting returns, so the user knows why nothing happens.
func lockWaiting(f *os.File, waiting func(), after time.Duration) error {
	if waiting == nil {
		return lockFile(f)
	}
	locked, err := tryLockFile(f)
	if err != nil || locked {
		return err
	}
	if after <= 0 {
		waiting()
		return lockFile(f)
	}
	told := make(chan struct{})
	t := time.AfterFunc(after, func() { waiting(); close(told) })
	err = lockFile(f)
	if !t.Stop() {
		<-told
	}
	return err
}

// Create makes a new two-level CA in dir: a self-signed root and an issuing
// intermediate signed by it. The root's key lives only in this function's
// memory; only the intermediate's key is written. The root certificate is
// written last, so a folder with rootCA.pem is always complete.
func Create(dir string, opts CreateOptions) (*CA, error) {
	now := opts.now()
	r := opts.rand()
	rootKey, err := generateKey(opts.KeyType, r)
	if err != nil {
		return nil, fmt.Errorf("failed to generate the root key: %w", err)
	}
	issuerKey, err := generateKey(opts.KeyType, r)
	if err != nil {
		return nil, fmt.Errorf("failed to generate the issuing key: %w", err)
	}
	owner := opts.Owner
	if owner == "" && opts.OwnerFunc != nil {
		owner = opts.OwnerFunc()
	}
	if owner == "" {
		owner = "vouch"
	}
	notBefore := now.Add(-time.Hour).UTC()
	notAfter := now.Add(caValidity).UTC()

	rootSerial, err := randomSerial(r)
	if err != nil {
		return nil, err
	}
	rootTmpl := &x509.Certificate{
		SerialNumber: rootSerial,
		Subject: pkix.Name{
			Organization:       []string{"vouch local CA"},
			OrganizationalUnit: []string{owner},
			CommonName:         "vouch root " + owner,
		},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}
	opts.Constraints.apply(rootTmpl)
	rootDER, err := x509.CreateCertificate(r, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("failed to create the root certificate: %w", err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}

	issuerSerial, err := randomSerial(r)
	if err != nil {
		return nil, err
	}
	issuerTmpl := &x509.Certificate{
		SerialNumber: issuerSerial,
		Subject: pkix.Name{
			Organization:       []string{"vouch local CA"},
			OrganizationalUnit: []string{owner},
			CommonName:         "vouch issuing CA " + owner,
		},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	opts.Constraints.apply(issuerTmpl)
	issuerDER, err := x509.CreateCertificate(r, issuerTmpl, root, issuerKey.Public(), rootKey)
	if err != nil {
		return nil, fmt.Errorf("failed to create the issuing certificate: %w", err)
	}
	// From here on nothing refers to the root key; it is never written.
	rootKey = nil
	issuer, err := x509.ParseCertificate(issuerDER)
	if err != nil {
		return nil, err
	}

	keyPEM, err := MarshalKey(issuerKey)
	if err != nil {
		return nil, err
	}
	if err := WriteFiles(
		File{Path: filepath.Join(dir, IssuerKeyFile), Data: keyPEM, Mode: 0o400},
		File{Path: filepath.Join(dir, IssuerCertFile), Data: CertPEM(issuerDER), Mode: 0o644},
	); err != nil {
		return nil, err
	}
	if err := WriteFiles(File{Path: filepath.Join(dir, RootCertFile), Data: CertPEM(rootDER), Mode: 0o644}); err != nil {
		// Without its root the issuing pair belongs to no CA (the folder
		// had none, or Create would not run): take it back out, so a full
		// disk leaves the folder as it found it.
		os.Remove(filepath.Join(dir, IssuerKeyFile))
		os.Remove(filepath.Join(dir, IssuerCertFile))
		return nil, err
	}
	return &CA{Dir: dir, Root: root, Issuer: issuer, key: issuerKey, Constraints: ConstraintsOf(issuer)}, nil
}

var randReader = rand.Reader

// Lock takes the CA folder's lock until the returned function is called;
// commands that change trust stores hold it so that concurrent runs take
// turns. When another process has held it for a second, waiting (if not
// nil) is called, so the user knows why nothing happens: that process may
// be an install waiting at sudo's password prompt.
func Lock(dir string, waiting func()) (unlock func(), err error) {
	return LockIn(dir, "the CA folder", waiting)
}

// LockDir takes an exclusive lock on folder dir itself, shared by every
// user who can read it: nothing is created, so it needs no write access
// and leaves no file behind. When another process holds it, waiting is
// called before the wait, so the user knows why nothing happens.
func LockDir(dir string, waiting func()) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := lockWaiting(f, waiting, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("can't lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
