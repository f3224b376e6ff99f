//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// vouchCA is a CA folder made by the vouch binary, read back the way an
// attacker who copied it would read it.
type vouchCA struct {
	dir       string
	home      string
	rootFile  string
	interFile string
	root      *x509.Certificate
	inter     *x509.Certificate
	interKey  crypto.Signer // the leaked issuing key
}

// leaf is a server certificate and what the clients need to check it.
type leaf struct {
	name      string
	chainFile string // leaf then intermediate, as vouch writes it
	leafFile  string // the leaf alone, for openssl verify
	keyFile   string
	cert      *x509.Certificate
	pair      tls.Certificate
}

// issue runs `vouch --caroot DIR cert` for hosts. The first call creates the
// CA in DIR.
func (ca *vouchCA) issue(t *testing.T, name string, hosts ...string) *leaf {
	t.Helper()
	l := newLeafFiles(t, name)
	args := append([]string{"--caroot", ca.dir, "cert", "--cert-file", l.chainFile, "--key-file", l.keyFile}, hosts...)
	res, err := runCmd(context.Background(), sandboxEnv(ca.home), "", time.Minute, vouchBin, args...)
	if err != nil {
		t.Fatal(err)
	}
	if res.exitCode != 0 {
		t.Fatalf("vouch %q = exit %d, want 0\n%v", args, res.exitCode, res)
	}
	l.load(t)
	if n := len(readCerts(t, l.chainFile)); n != 2 {
		t.Fatalf("vouch %q wrote %d certificates to --cert-file, want 2 (leaf then intermediate)", hosts, n)
	}
	got := sans(l.cert)
	for _, h := range hosts {
		if !slices.Contains(got, h) {
			t.Fatalf("vouch %q issued a leaf with SANs %q, want %q among them", hosts, got, h)
		}
	}
	return l
}

// newLeafFiles names the files of a leaf in a fresh temp folder.
func newLeafFiles(t *testing.T, name string) *leaf {
	dir := t.TempDir()
	return &leaf{
		name:      name,
		chainFile: filepath.Join(dir, "cert.pem"),
		keyFile:   filepath.Join(dir, "key.pem"),
		leafFile:  filepath.Join(dir, "leaf.pem"),
	}
}

// issueWith issues a leaf for hosts from the default CA folder through run,
// a host's way of running the vouch binary.
func issueWith(t *testing.T, run func(*testing.T, ...string) result, hosts ...string) *leaf {
	t.Helper()
	l := newLeafFiles(t, "vouch")
	res := run(t, append([]string{"cert", "--cert-file", l.chainFile, "--key-file", l.keyFile}, hosts...)...)
	if res.exitCode != 0 {
		t.Fatalf("vouch cert %q = exit %d, want 0", hosts, res.exitCode)
	}
	l.load(t)
	return l
}

// sans lists a certificate's subject alternative names as text.
func sans(c *x509.Certificate) []string {
	names := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	names = append(names, c.EmailAddresses...)
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	return names
}

// load reads the chain and key files back and writes the leaf-only file.
func (l *leaf) load(t *testing.T) {
	t.Helper()
	certs := readCerts(t, l.chainFile)
	if len(certs) == 0 {
		t.Fatalf("%s holds no certificate", l.chainFile)
	}
	l.cert = certs[0]
	writePEM(t, l.leafFile, "CERTIFICATE", l.cert.Raw, 0o644)
	pair, err := tls.LoadX509KeyPair(l.chainFile, l.keyFile)
	if err != nil {
		t.Fatalf("tls.LoadX509KeyPair(%q, %q) = %v, want nil", l.chainFile, l.keyFile, err)
	}
	l.pair = pair
}

// newVouchCA makes a CA with the vouch binary (by issuing a first leaf,
// which is returned) and loads the CA folder.
func newVouchCA(t *testing.T, hosts ...string) (*vouchCA, *leaf) {
	t.Helper()
	base := t.TempDir()
	ca := &vouchCA{dir: filepath.Join(base, "caroot"), home: filepath.Join(base, "home")}
	if err := os.Mkdir(ca.home, 0o700); err != nil {
		t.Fatal(err)
	}
	first := ca.issue(t, "vouch", hosts...)
	ca.load(t)
	if !bytes.Equal(first.cert.RawIssuer, ca.inter.RawSubject) {
		t.Fatalf("the leaf vouch issued is not signed by %s", ca.interFile)
	}
	return ca, first
}

// load reads the CA folder ca.dir back: both certificates and the issuing
// key, as someone who copied the folder would.
func (ca *vouchCA) load(t *testing.T) {
	t.Helper()
	ca.rootFile = filepath.Join(ca.dir, "rootCA.pem")
	ca.interFile = filepath.Join(ca.dir, "intermediateCA.pem")
	ca.root = readOneCert(t, ca.rootFile)
	ca.inter = readOneCert(t, ca.interFile)

	keyPEM, err := os.ReadFile(filepath.Join(ca.dir, "intermediateCA-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("intermediateCA-key.pem: no PEM PRIVATE KEY block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("x509.ParsePKCS8PrivateKey(intermediateCA-key.pem) = %v, want nil", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		t.Fatalf("intermediateCA-key.pem holds a %T, want a crypto.Signer", key)
	}
	ca.interKey = signer
}

// forge signs a leaf directly with the leaked issuing key, bypassing vouch
// and its name checks, the way an attacker holding the key would.
func (ca *vouchCA) forge(t *testing.T, name string, dnsNames, emails, uris []string) *leaf {
	t.Helper()
	return makeLeaf(t, name, leafTemplate(t, dnsNames, emails, uris), ca.inter, ca.interKey)
}

// selfSignedTwin is a leaf with the same names as l that signs itself. No
// client trusts it, but every browser lets a user click through it, so it
// shows a browser can reach and read l's host when the certificate is not
// the problem.
func selfSignedTwin(t *testing.T, l *leaf) *leaf {
	t.Helper()
	var uris []string
	for _, u := range l.cert.URIs {
		uris = append(uris, u.String())
	}
	tmpl := leafTemplate(t, l.cert.DNSNames, l.cert.EmailAddresses, uris)
	return makeLeaf(t, l.name+"-twin", tmpl, nil, nil)
}

func leafTemplate(t *testing.T, dnsNames, emails, uris []string) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{Organization: []string{"vouch e2e, not made by vouch"}},
		NotBefore:      time.Now().Add(-time.Hour),
		NotAfter:       time.Now().Add(24 * time.Hour),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:       dnsNames,
		EmailAddresses: emails,
	}
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	return tmpl
}

// makeLeaf signs tmpl with parent and parentKey, or with its own key when
// parent is nil, and writes the chain (with parent, if any) and key files.
func makeLeaf(t *testing.T, name string, tmpl, parent *x509.Certificate, parentKey crypto.Signer) *leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, issuer := parentKey, parent
	if parent == nil {
		signer, issuer = key, tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		t.Fatalf("x509.CreateCertificate(%s) = %v, want nil", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	l := &leaf{
		name:      name,
		chainFile: filepath.Join(dir, "cert.pem"),
		keyFile:   filepath.Join(dir, "key.pem"),
		leafFile:  filepath.Join(dir, "leaf.pem"),
	}
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if parent != nil {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: parent.Raw})...)
	}
	if err := os.WriteFile(l.chainFile, chain, 0o644); err != nil {
		t.Fatal(err)
	}
	writePEM(t, l.keyFile, "PRIVATE KEY", keyDER, 0o600)
	l.load(t)
	return l
}

func writePEM(t *testing.T, path, typ string, der []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
}

func readCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			t.Fatalf("%s: PEM block %q, want CERTIFICATE", path, block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("x509.ParseCertificate(%s) = %v, want nil", path, err)
		}
		certs = append(certs, c)
	}
	return certs
}

func readOneCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	certs := readCerts(t, path)
	if len(certs) != 1 {
		t.Fatalf("%s holds %d certificates, want 1", path, len(certs))
	}
	return certs[0]
}
