package certs

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// LeafRequest is what to put in one leaf certificate.
type LeafRequest struct {
	Names []Name
	// CSR, when set, supplies the public key and the names; Names must be
	// empty then.
	CSR      *x509.CertificateRequest
	Client   bool
	KeyType  KeyType
	Validity time.Duration // 0 means DefaultLeafValidity
	Owner    string        // "user@host", in the subject
	Now      time.Time
	Rand     io.Reader
}

// Leaf is an issued certificate, its key (nil for a CSR, whose key the
// requester holds) and the CA certificates a server must send with it.
type Leaf struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate
	// Capped is true when the requested validity ran past the issuer's
	// expiry and was cut to it.
	Capped bool
}

// ChainPEM is the leaf then the intermediate, ready for a server to load.
func (l *Leaf) ChainPEM() []byte {
	ders := [][]byte{l.Cert.Raw}
	for _, c := range l.Chain {
		ders = append(ders, c.Raw)
	}
	return CertPEM(ders...)
}

// KeyPEM is the leaf's private key as PKCS#8 PEM.
func (l *Leaf) KeyPEM() ([]byte, error) {
	if l.Key == nil {
		return nil, errors.New("no private key: the certificate was issued for a CSR")
	}
	return MarshalKey(l.Key)
}

// PKCS12Password is the password of every .p12 vouch writes, mkcert's, which
// Java tools also default to.
const PKCS12Password = "changeit"

// PKCS12 bundles key, leaf and chain with modern encryption (AES-256 and
// PBKDF2), so Java and .NET servers send the intermediate too.
func (l *Leaf) PKCS12() ([]byte, error) {
	if l.Key == nil {
		return nil, errors.New("no private key: a CSR's certificate can't be put in a PKCS#12 file")
	}
	data, err := pkcs12.Modern.Encode(l.Key, l.Cert, l.Chain, PKCS12Password)
	if err != nil {
		return nil, fmt.Errorf("failed to encode PKCS#12: %w", err)
	}
	return data, nil
}

// ParseCSR reads a PEM certificate request and checks its signature.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("not a PEM certificate request")
	}
	if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE REQUEST", block.Type)
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("unexpected data after the certificate request")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("malformed certificate request: %w", err)
	}
	switch k := csr.PublicKey.(type) {
	case nil:
		// Go parsed no key it can sign for: RSA-PSS, Ed448, a curve it
		// lacks. The signature is not wrong; vouch can't use the key.
		return nil, errors.New("the request's key is of a kind vouch can't issue for (RSA-PSS, Ed448, or a curve other than P-256, P-384 and P-521); make it with an ECDSA P-256 key, or RSA of 2048 bits or more")
	case *rsa.PublicKey:
		// Debian's OpenSSL (security level 2) refuses to load a leaf with
		// a smaller key, and vouch never makes one.
		if bits := k.N.BitLen(); bits < 2048 {
			return nil, fmt.Errorf("the request's RSA key has %d bits, and clients refuse a certificate with fewer than 2048 (OpenSSL: \"ee key too small\"); make it with 2048 bits or more (openssl req -newkey rsa:2048 …), or an ECDSA P-256 key", bits)
		}
	}
	if csr.SignatureAlgorithm == x509.UnknownSignatureAlgorithm {
		return nil, errors.New("the request is signed with an algorithm vouch can't check (RSA-PSS, Ed448 or another); sign it with SHA-256 and an ECDSA or RSA key")
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("certificate request has a bad signature: %w", err)
	}
	return csr, nil
}

// CSRNames validates the subjectAltNames of a CSR as if typed by the user.
// A CSR with none names its host in its Common Name, as a plain openssl
// req makes it; that name is used, as mkcert uses it.
func CSRNames(csr *x509.CertificateRequest) ([]Name, error) {
	var raw []string
	raw = append(raw, csr.DNSNames...)
	for _, ip := range csr.IPAddresses {
		raw = append(raw, ip.String())
	}
	raw = append(raw, csr.EmailAddresses...)
	for _, u := range csr.URIs {
		raw = append(raw, u.String())
	}
	if len(raw) == 0 {
		cn := csr.Subject.CommonName
		if cn == "" {
			return nil, errors.New("the certificate request names no hosts (it has no subjectAltName extension, nor a Common Name)")
		}
		n, err := ParseName(cn)
		if err != nil || (n.Kind != DNS && n.Kind != IP) {
			return nil, fmt.Errorf("the certificate request names no hosts: it has no subjectAltName extension, and its Common Name %q is not a host name", cn)
		}
		return []Name{n}, nil
	}
	names := make([]Name, 0, len(raw))
	for _, s := range raw {
		n, err := ParseName(s)
		if err != nil {
			return nil, fmt.Errorf("certificate request: %w", err)
		}
		names = append(names, n)
	}
	return names, nil
}

// Issue signs a leaf. Names outside the CA's constraints fail with an
// *OutsideError before any key is made.
func (ca *CA) Issue(req LeafRequest) (*Leaf, error) {
	names := req.Names
	var pub crypto.PublicKey
	if req.CSR != nil {
		if len(names) > 0 {
			return nil, errors.New("give either names or a certificate request, not both")
		}
		var err error
		if names, err = CSRNames(req.CSR); err != nil {
			return nil, err
		}
		pub = req.CSR.PublicKey
	}
	if len(names) == 0 {
		return nil, errors.New("no names given")
	}
	if err := ca.Constraints.Check(names); err != nil {
		return nil, err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	validity := req.Validity
	if validity == 0 {
		validity = DefaultLeafValidity
	}
	if validity < MinLeafValidity {
		return nil, fmt.Errorf("validity %v is shorter than an hour", validity)
	}
	if !now.Before(ca.End()) {
		return nil, fmt.Errorf("the CA expired on %s", ca.End().Format(time.DateOnly))
	}
	notAfter := now.Add(validity)
	capped := false
	if notAfter.After(ca.Issuer.NotAfter) {
		notAfter, capped = ca.Issuer.NotAfter, true
	}

	r := req.Rand
	if r == nil {
		r = randReader
	}
	var key crypto.Signer
	if pub == nil {
		var err error
		if key, err = generateKey(req.KeyType, r); err != nil {
			return nil, fmt.Errorf("failed to generate the key: %w", err)
		}
		pub = key.Public()
	}
	serial, err := randomSerial(r)
	if err != nil {
		return nil, err
	}
	owner := req.Owner
	if owner == "" {
		owner = "vouch"
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// No CommonName: with subjectAltNames present clients ignore it,
		// and OpenSSL would check a host-like one against the constraints.
		Subject: pkix.Name{
			Organization:       []string{"vouch development certificate"},
			OrganizationalUnit: []string{owner},
		},
		NotBefore: now.Add(-time.Minute).UTC(),
		NotAfter:  notAfter.UTC(),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	if _, ok := pub.(*rsa.PublicKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	server, email := false, false
	for _, n := range names {
		switch n.Kind {
		case DNS:
			tmpl.DNSNames = append(tmpl.DNSNames, n.DNS)
			server = true
		case IP:
			tmpl.IPAddresses = append(tmpl.IPAddresses, n.IP)
			server = true
		case Email:
			tmpl.EmailAddresses = append(tmpl.EmailAddresses, n.Email)
			email = true
		case URI:
			tmpl.URIs = append(tmpl.URIs, n.URI)
			server = true
		}
	}
	if server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if req.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	if email {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageEmailProtection)
	}
	der, err := x509.CreateCertificate(r, tmpl, ca.Issuer, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("failed to sign the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	leaf := &Leaf{Cert: cert, Key: key, Capped: capped}
	if !ca.Adopted {
		leaf.Chain = []*x509.Certificate{ca.Issuer}
	}
	return leaf, nil
}

// LeafNames returns a leaf's subjectAltNames in the order they are stored.
func LeafNames(c *x509.Certificate) []string {
	var out []string
	out = append(out, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}
