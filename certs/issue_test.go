package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

func mustParse(t testing.TB, names ...string) []Name {
	t.Helper()
	ns, err := ParseNames(names)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func verify(ca *CA, leaf *x509.Certificate, dnsName string) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root)
	inter := x509.NewCertPool()
	if !ca.Adopted {
		inter.AddCert(ca.Issuer)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       dnsName,
		Roots:         roots,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

func TestIssueVerifies(t *testing.T) {
	ca := newCA(t)
	tests := [][]string{
		{"localhost", "127.0.0.1", "::1"},
		{"api.test", "*.api.test", "10.0.0.7", "me@example.test"},
		{"https://svc.internal/x", "printer.local", "nas.home.arpa", "fe80::1", "fd00::5", "192.168.1.2", "172.31.0.1", "100.64.0.1"},
		{"x.localhost", "a.example", "a.invalid"},
	}
	for _, names := range tests {
		t.Run(strings.Join(names, ","), func(t *testing.T) {
			leaf, err := ca.Issue(LeafRequest{Names: mustParse(t, names...)})
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			if err := verify(ca, leaf.Cert, ""); err != nil {
				t.Errorf("Verify: %v", err)
			}
			got, want := LeafNames(leaf.Cert), slices.Clone(names)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("LeafNames = %q, want %q", got, names)
			}
			if len(leaf.Chain) != 1 || !leaf.Chain[0].Equal(ca.Issuer) {
				t.Errorf("chain = %d certs, want the intermediate", len(leaf.Chain))
			}
			if leaf.Cert.Subject.CommonName != "" {
				t.Errorf("leaf CommonName = %q, want none", leaf.Cert.Subject.CommonName)
			}
		})
	}
}

func TestIssueOutside(t *testing.T) {
	ca := newCA(t)
	for _, name := range []string{"example.com", "localhost.evil.com", "evil.test.com", "8.8.8.8", "2001:db8::1", "me@evil.com", "https://evil.com/", "https://127.0.0.1/", "*.evil.com"} {
		_, err := ca.Issue(LeafRequest{Names: mustParse(t, "localhost", name)})
		var out *OutsideError
		if !errors.As(err, &out) || out.Name != mustParse(t, name)[0].String() {
			t.Errorf("Issue(localhost, %s) error = %v, want OutsideError for %s", name, err, name)
		}
	}
}

// forge signs a leaf with the CA's issuing key directly, as someone who
// stole it would, skipping every check vouch makes.
func forge(t *testing.T, ca *CA, mod func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{Organization: []string{"forged"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
	}
	mod(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Issuer, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestLeakedKeyIsConstrained(t *testing.T) {
	ca := newCA(t)
	evil, _ := url.Parse("https://evil.com/")
	tests := []struct {
		name string
		mod  func(*x509.Certificate)
	}{
		{"dns", func(c *x509.Certificate) { c.DNSNames = []string{"evil.com"} }},
		{"dns suffix trick", func(c *x509.Certificate) { c.DNSNames = []string{"eviltest"} }},
		{"ip", func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.ParseIP("8.8.8.8")} }},
		{"email", func(c *x509.Certificate) { c.EmailAddresses = []string{"x@evil.com"} }},
		{"uri", func(c *x509.Certificate) { c.URIs = []*url.URL{evil} }},
	}
	control := forge(t, ca, func(*x509.Certificate) {})
	if err := verify(ca, control, "localhost"); err != nil {
		t.Fatalf("control leaf forged for localhost does not verify: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := forge(t, ca, tt.mod)
			err := verify(ca, leaf, "")
			var ce x509.CertificateInvalidError
			if !errors.As(err, &ce) || ce.Reason != x509.CANotAuthorizedForThisName {
				t.Errorf("Verify(forged %s) = %v, want CANotAuthorizedForThisName", tt.name, err)
			}
		})
	}
}

func TestIssueKeyTypesAndUsage(t *testing.T) {
	ca := newCA(t)
	tests := []struct {
		kt     KeyType
		bits   int
		client bool
		names  []string
		eku    []x509.ExtKeyUsage
	}{
		{ECDSA, 256, false, []string{"a.test"}, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{RSA2048, 2048, true, []string{"a.test"}, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
		{RSA3072, 3072, false, []string{"me@a.test"}, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}},
	}
	for _, tt := range tests {
		leaf, err := ca.Issue(LeafRequest{Names: mustParse(t, tt.names...), KeyType: tt.kt, Client: tt.client})
		if err != nil {
			t.Fatal(err)
		}
		var bits int
		switch k := leaf.Key.(type) {
		case *ecdsa.PrivateKey:
			bits = k.Curve.Params().BitSize
		case *rsa.PrivateKey:
			bits = k.N.BitLen()
			if leaf.Cert.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
				t.Errorf("%s leaf lacks KeyEncipherment", tt.kt)
			}
		}
		if bits != tt.bits {
			t.Errorf("%s: key of %d bits, want %d", tt.kt, bits, tt.bits)
		}
		if len(leaf.Cert.ExtKeyUsage) != len(tt.eku) {
			t.Errorf("%s: ExtKeyUsage = %v, want %v", tt.kt, leaf.Cert.ExtKeyUsage, tt.eku)
			continue
		}
		for i := range tt.eku {
			if leaf.Cert.ExtKeyUsage[i] != tt.eku[i] {
				t.Errorf("%s: ExtKeyUsage = %v, want %v", tt.kt, leaf.Cert.ExtKeyUsage, tt.eku)
			}
		}
	}
}

func TestIssueValidity(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	tests := []struct {
		validity time.Duration
		want     time.Duration
		capped   bool
	}{
		{0, DefaultLeafValidity, false},
		{36 * time.Hour, 36 * time.Hour, false},
		{20 * 365 * 24 * time.Hour, ca.Issuer.NotAfter.Sub(now), true},
	}
	for _, tt := range tests {
		leaf, err := ca.Issue(LeafRequest{Names: mustParse(t, "a.test"), Validity: tt.validity, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		got := leaf.Cert.NotAfter.Sub(now)
		if got < tt.want-2*time.Second || got > tt.want+2*time.Second || leaf.Capped != tt.capped {
			t.Errorf("Issue(validity %v) lasts %v capped=%v, want %v capped=%v", tt.validity, got, leaf.Capped, tt.want, tt.capped)
		}
	}
	if DefaultLeafValidity > AppleMaxLeafValidity {
		t.Errorf("default validity %v exceeds Apple's 825 days", DefaultLeafValidity)
	}
	if _, err := ca.Issue(LeafRequest{Names: mustParse(t, "a.test"), Validity: 30 * time.Minute}); err == nil {
		t.Errorf("Issue(30m) did not fail")
	}
	if _, err := ca.Issue(LeafRequest{Names: mustParse(t, "a.test"), Now: ca.Issuer.NotAfter.Add(time.Hour)}); err == nil {
		t.Errorf("Issue after the CA expired did not fail")
	}
}

func makeCSR(t testing.TB, names ...string) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: names[0]}}
	for _, n := range mustParse(t, names...) {
		switch n.Kind {
		case DNS:
			tmpl.DNSNames = append(tmpl.DNSNames, n.DNS)
		case IP:
			tmpl.IPAddresses = append(tmpl.IPAddresses, n.IP)
		case Email:
			tmpl.EmailAddresses = append(tmpl.EmailAddresses, n.Email)
		case URI:
			tmpl.URIs = append(tmpl.URIs, n.URI)
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func TestIssueCSR(t *testing.T) {
	ca := newCA(t)
	csr, err := ParseCSR(makeCSR(t, "svc.test", "10.1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(LeafRequest{CSR: csr})
	if err != nil {
		t.Fatalf("Issue(CSR): %v", err)
	}
	if leaf.Key != nil || !csr.PublicKey.(*ecdsa.PublicKey).Equal(leaf.Cert.PublicKey) {
		t.Errorf("CSR leaf does not carry the CSR's key")
	}
	if got := strings.Join(LeafNames(leaf.Cert), ","); got != "svc.test,10.1.2.3" {
		t.Errorf("CSR leaf names = %s, want svc.test,10.1.2.3", got)
	}
	if err := verify(ca, leaf.Cert, "svc.test"); err != nil {
		t.Errorf("Verify(CSR leaf): %v", err)
	}

	evil, _ := ParseCSR(makeCSR(t, "evil.com"))
	var out *OutsideError
	if _, err := ca.Issue(LeafRequest{CSR: evil}); !errors.As(err, &out) {
		t.Errorf("Issue(CSR for evil.com) error = %v, want OutsideError", err)
	}
}

func TestParseCSRErrors(t *testing.T) {
	good := makeCSR(t, "a.test")
	block, _ := pem.Decode(good)
	bad := bytes.Clone(block.Bytes)
	bad[len(bad)-3] ^= 0xff // inside the signature
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not PEM", []byte("hello"), "not a PEM"},
		{"cert", CertPEM(newCA(t).Root.Raw), "not CERTIFICATE REQUEST"},
		{"bad signature", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: bad}), "signature"},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1, 2, 3}}), "malformed"},
		{"trailing", append(bytes.Clone(good), "junk"...), "unexpected data"},
		// Before, the first was signed (a leaf OpenSSL then refuses to
		// load), the second called "a bad signature".
		{"RSA 1024", weakCSR(t), "the request's RSA key has 1024 bits, and clients refuse a certificate with fewer than 2048"},
		{"Ed448 (openssl req -newkey ed448)", mustReadFile(t, "testdata/ed448.csr"), "the request's key is of a kind vouch can't issue for"},
	}
	for _, tt := range tests {
		if _, err := ParseCSR(tt.data); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCSR(%s) error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestPKCS12(t *testing.T) {
	ca := newCA(t)
	leaf, err := ca.Issue(LeafRequest{Names: mustParse(t, "alice.test"), Client: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := leaf.PKCS12()
	if err != nil {
		t.Fatal(err)
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, PKCS12Password)
	if err != nil {
		t.Fatalf("DecodeChain: %v", err)
	}
	if !cert.Equal(leaf.Cert) || len(chain) != 1 || !chain[0].Equal(ca.Issuer) {
		t.Errorf("PKCS#12 holds cert %v and %d chain certs, want the leaf and the intermediate", cert.Subject, len(chain))
	}
	if !key.(*ecdsa.PrivateKey).Equal(leaf.Key) {
		t.Errorf("PKCS#12 key differs from the leaf's")
	}
	if _, _, _, err := pkcs12.DecodeChain(data, "wrong"); err == nil {
		t.Errorf("DecodeChain with a wrong password succeeded")
	}
}

func TestWriteFilesAtomic(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.pem")
	os.WriteFile(a, []byte("old"), 0o644)
	// The second file's folder does not exist: nothing may change.
	err := WriteFiles(File{Path: a, Data: []byte("new"), Mode: 0o644}, File{Path: filepath.Join(dir, "missing", "b.pem"), Data: []byte("x"), Mode: 0o600})
	if err == nil {
		t.Fatal("WriteFiles into a missing folder succeeded")
	}
	if got, _ := os.ReadFile(a); string(got) != "old" {
		t.Errorf("a.pem = %q after a failed write, want %q", got, "old")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder has %d entries after a failed write, want 1 (temp files left behind?)", len(entries))
	}
	if err := WriteFiles(File{Path: a, Data: []byte("new"), Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(a); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestParseCertificates(t *testing.T) {
	ca := newCA(t)
	two := CertPEM(ca.Root.Raw, ca.Issuer.Raw)
	if cs, err := ParseCertificates(two); err != nil || len(cs) != 2 {
		t.Errorf("ParseCertificates(2 PEM) = %d, %v", len(cs), err)
	}
	if cs, err := ParseCertificates(ca.Root.Raw); err != nil || len(cs) != 1 {
		t.Errorf("ParseCertificates(DER) = %d, %v", len(cs), err)
	}
	// Text around the blocks is skipped, as openssl skips it: a comment,
	// openssl x509 -text's output, a byte-order mark, an invitation page.
	root := CertPEM(ca.Root.Raw)
	for _, ok := range [][]byte{
		append(bytes.Clone(two), "# alice's CA\n"...),
		append([]byte("Certificate:\n    Data:\n        Version: 3 (0x2)\nsubject=O=vouch local CA\n"), two...),
		append([]byte("\ufeff"), two...),
		append(append([]byte("Alice invites you.\n\n"), two...), "\nRead the fingerprint back to her.\n"...),
	} {
		if cs, err := ParseCertificates(ok); err != nil || len(cs) != 2 {
			t.Errorf("ParseCertificates(%q) = %d, %v; want the two certificates", ok, len(cs), err)
		}
	}
	// Prose that names a BEGIN line mid-sentence is text too.
	if cs, err := ParseCertificates(append([]byte("Paste it from -----BEGIN CERTIFICATE----- on.\n"), root...)); err != nil || len(cs) != 1 {
		t.Errorf("ParseCertificates(prose naming BEGIN, then the root) = %d, %v", len(cs), err)
	}
	// A web page's copy (BEGIN not at a line's start) says so.
	if _, err := ParseCertificates(append([]byte(`<pre id="pem">`), root...)); err == nil || !strings.Contains(err.Error(), "no PEM block starts a line") {
		t.Errorf("ParseCertificates(a page's <pre>) = %v, want it named", err)
	}
	// A chain whose first block lost its BEGIN line is cut, not the root.
	lost := bytes.Replace(bytes.Clone(two), []byte("-----BEGIN CERTIFICATE-----\n"), nil, 1)
	if cs, err := ParseCertificates(lost); err == nil {
		t.Errorf("ParseCertificates(a block without its BEGIN line) = %d certificates, want an error", len(cs))
	}
	// DER whose bytes hold "-----BEGIN" (in its subject) is DER.
	odd, err := Create(t.TempDir(), CreateOptions{Constraints: DefaultConstraints(), Owner: "-----BEGIN x@y"})
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := ParseCertificates(odd.Root.Raw); err != nil || len(cs) != 1 {
		t.Errorf("ParseCertificates(DER holding -----BEGIN) = %d, %v", len(cs), err)
	}
	for _, bad := range [][]byte{nil, []byte("  \n"), []byte("junk"), two[:len(two)-40],
		append(bytes.Clone(root), two[:len(two)-40]...), // the second block cut short
		append([]byte("text\n"), root[:len(root)-30]...),
		[]byte("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"),
	} {
		if _, err := ParseCertificates(bad); err == nil {
			t.Errorf("ParseCertificates(%q) succeeded", bad)
		}
	}
}

func TestFingerprint(t *testing.T) {
	ca := newCA(t)
	fp := ca.Fingerprint()
	g := GroupedFingerprint(ca.Root)
	if len(fp) != 64 || strings.ReplaceAll(strings.ToLower(g), ":", "") != fp {
		t.Errorf("Fingerprint = %q, grouped %q: not the same hash", fp, g)
	}
}

// weakCSR is a request for a.test with an RSA key of 1024 bits.
func weakCSR(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"a.test"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
