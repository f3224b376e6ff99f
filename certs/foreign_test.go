package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// foreignCert makes a certificate as another CA tool might: mod shapes the
// template; parent nil means self-signed.
func foreignCert(t testing.TB, mod func(*x509.Certificate), parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "Alice's home CA", Organization: []string{"Alice"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		PermittedDNSDomains:   []string{"photos.alice.example"},
		PermittedIPRanges:     []*net.IPNet{{IP: net.IP{192, 168, 1, 20}, Mask: net.CIDRMask(32, 32)}},
	}
	if mod != nil {
		mod(tmpl)
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func TestReadRoot(t *testing.T) {
	root, _ := foreignCert(t, nil, nil, nil)
	other, _ := foreignCert(t, nil, nil, nil)
	leaf, _ := foreignCert(t, func(c *x509.Certificate) {
		c.IsCA, c.KeyUsage, c.DNSNames = false, x509.KeyUsageDigitalSignature, []string{"photos.alice.example"}
	}, nil, nil)
	for _, tt := range []struct {
		name string
		data []byte
		err  string
	}{
		{"pem", CertPEM(root.Raw), ""},
		{"der", root.Raw, ""},
		{"two", CertPEM(root.Raw, other.Raw), "holds 2 certificates"},
		{"chain", CertPEM(leaf.Raw, other.Raw), "a certificate chain (2 certificates, starting with the leaf for photos.alice.example)"},
		{"empty", nil, "empty file"},
		{"garbage", []byte("hello"), "not a PEM or DER certificate"},
		{"key", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), `"PRIVATE KEY", not CERTIFICATE`},
		{"huge", append(CertPEM(root.Raw), make([]byte, MaxRootSize)...), "it is more than 64 KiB, too much for a root certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ReadRoot(tt.data)
			switch {
			case tt.err == "" && (err != nil || !c.Equal(root)):
				t.Errorf("ReadRoot = %v, %v; want the root", c, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ReadRoot error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestPickRoot(t *testing.T) {
	root, rootKey := foreignCert(t, nil, nil, nil)
	inter, interKey := foreignCert(t, func(c *x509.Certificate) { c.Subject.CommonName = "Alice's issuing CA" }, root, rootKey)
	leaf, _ := foreignCert(t, func(c *x509.Certificate) {
		c.Subject.CommonName, c.IsCA, c.KeyUsage, c.DNSNames = "", false, x509.KeyUsageDigitalSignature, []string{"photos.alice.example"}
	}, inter, interKey)
	selfLeaf, _ := foreignCert(t, func(c *x509.Certificate) {
		c.IsCA, c.KeyUsage, c.DNSNames = false, x509.KeyUsageDigitalSignature, []string{"self.example"}
	}, nil, nil)
	for _, tt := range []struct {
		name  string
		chain [][]byte
		err   string
	}{
		{"with root", [][]byte{leaf.Raw, inter.Raw, root.Raw}, ""},
		{"without root", [][]byte{leaf.Raw, inter.Raw}, "does not send its root"},
		{"leaf only", [][]byte{leaf.Raw}, "--chain-with-root"},
		{"self-signed leaf", [][]byte{selfLeaf.Raw}, "not a CA"},
		{"none", nil, "no certificate"},
		{"garbage", [][]byte{leaf.Raw, []byte("x")}, "certificate 2 of 2 does not parse"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := PickRoot(tt.chain)
			switch {
			case tt.err == "" && (err != nil || !c.Equal(root)):
				t.Errorf("PickRoot = %v, %v; want the root", c, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("PickRoot error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestCheckRoot(t *testing.T) {
	now := time.Now()
	root, rootKey := foreignCert(t, nil, nil, nil)
	inter, _ := foreignCert(t, func(c *x509.Certificate) { c.Subject.CommonName = "Alice's issuing CA" }, root, rootKey)
	leaf, _ := foreignCert(t, func(c *x509.Certificate) {
		c.IsCA, c.KeyUsage, c.DNSNames = false, x509.KeyUsageDigitalSignature, []string{"photos.alice.example"}
	}, root, rootKey)
	notCA, _ := foreignCert(t, func(c *x509.Certificate) { c.IsCA, c.KeyUsage = false, x509.KeyUsageDigitalSignature }, nil, nil)
	noSign, _ := foreignCert(t, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, nil, nil)
	expired, _ := foreignCert(t, func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0) }, nil, nil)
	future, _ := foreignCert(t, func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.AddDate(1, 0, 0), now.AddDate(2, 0, 0) }, nil, nil)
	for _, tt := range []struct {
		name string
		cert *x509.Certificate
		err  string
	}{
		{"root", root, ""},
		{"vouch root", newCA(t).Root, ""},
		{"intermediate", inter, `intermediate CA ("CN=Alice's issuing CA,O=Alice") issued by "CN=Alice's home CA,O=Alice"`},
		{"leaf", leaf, "leaf certificate (for photos.alice.example) issued by"},
		{"not a CA", notCA, "not a CA certificate"},
		{"no certSign", noSign, "lacks certSign"},
		{"expired", expired, "expired on"},
		{"not yet valid", future, "not valid until"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRoot(tt.cert, now)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("CheckRoot = %v, want nil", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("CheckRoot = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestLimitsOf(t *testing.T) {
	cidr := func(s string) *net.IPNet { _, n, _ := net.ParseCIDR(s); return n }
	for _, tt := range []struct {
		name  string
		mod   func(*x509.Certificate)
		wide  string // "" for a root that is not unconstrained
		local bool
	}{
		{"owner's names", nil, "", true},
		{"vouch defaults", func(c *x509.Certificate) {
			ca := DefaultConstraints()
			c.PermittedDNSDomains, c.PermittedIPRanges = ca.Domains, ca.Ranges
			for _, d := range ca.Domains {
				c.PermittedEmailAddresses = append(c.PermittedEmailAddresses, d, "."+d)
				c.PermittedURIDomains = append(c.PermittedURIDomains, d, "."+d)
			}
		}, "", true},
		{"no constraints", func(c *x509.Certificate) { c.PermittedDNSDomains, c.PermittedIPRanges = nil, nil }, "no limit on host names", false},
		{"IP only", func(c *x509.Certificate) { c.PermittedDNSDomains = nil }, "no limit on host names", true},
		{"IP only, DNS excluded", func(c *x509.Certificate) { c.PermittedDNSDomains, c.ExcludedDNSDomains = nil, []string{""} }, "", true},
		{"DNS only", func(c *x509.Certificate) { c.PermittedIPRanges = nil }, "no limit on IP addresses", false},
		{"com", func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"photos.alice.example", "com"} }, "com, a public suffix", true},
		{"co.uk", func(c *x509.Certificate) { c.PermittedDNSDomains = []string{".co.uk"} }, "co.uk, a public suffix", true},
		{"private suffix", func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"github.io"} }, "github.io, a public suffix", true},
		{"under a suffix", func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"alice.github.io", "alice.co.uk"} }, "", true},
		{"unlisted label", func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"lan"} }, "", true},
		{"all IPv4", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("0.0.0.0/0")} }, "every IP address (0.0.0.0/0)", false},
		{"all IPv6", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("::/0")} }, "every IP address (::/0)", false},
		{"halves of IPv4", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("0.0.0.0/1"), cidr("128.0.0.0/1")} }, "0.0.0.0/1, 128.0.0.0/1) span more public addresses than a /8", true},
		{"halves of IPv6", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("::/1"), cidr("8000::/1")} }, "span more public addresses than a /16", true},
		{"two public /8s", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("11.0.0.0/8"), cidr("12.0.0.0/8")} }, "(11.0.0.0/8, 12.0.0.0/8) span more public addresses than a /8", false},
		{"one public /8", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("11.0.0.0/8"), cidr("10.0.0.0/8")} }, "", true},
		// Counted once each: a range inside another, or listed twice;
		// and a range holding private space counts only its public part.
		{"a /8 and a /9 inside it", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("11.0.0.0/8"), cidr("11.0.0.0/9")} }, "", false},
		{"one /8 listed twice", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("11.0.0.0/8"), cidr("11.0.0.0/8")} }, "", false},
		{"a /7 holding 10/8", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("10.0.0.0/7")} }, "", true},
		{"a server's address", func(c *x509.Certificate) {
			c.PermittedIPRanges = []*net.IPNet{cidr("203.0.113.7/32"), cidr("2001:db8::/48")}
		}, "", false},
		{"private range", func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("192.168.0.0/16")} }, "", true},
		// Email and URI limits under a public suffix are Loose, not Wide:
		// no limit on them at all is not refused either.
		{"email suffix", func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{".com"} }, "", true},
		{"email domain and suffix", func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{"com", ".com"} }, "", true},
		{"URIs anywhere", func(c *x509.Certificate) { c.PermittedURIDomains = []string{""} }, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := foreignCert(t, tt.mod, nil, nil)
			l := LimitsOf(c)
			got := strings.Join(l.Wide, "; ")
			if tt.wide != "" && strings.Count(got, tt.wide) != 1 {
				t.Errorf("LimitsOf().Wide = %q, want %q once", got, tt.wide)
			}
			if tt.wide == "" && l.Unconstrained() || tt.wide != "" && !strings.Contains(got, tt.wide) {
				t.Errorf("LimitsOf().Wide = %q, want %q", got, tt.wide)
			}
			if (len(l.Local) > 0) != tt.local {
				t.Errorf("LimitsOf().Local = %q, want local %v", l.Local, tt.local)
			}
			if d := l.Describe(); d == "" || tt.wide != "" && !strings.Contains(d, tt.wide) {
				t.Errorf("Describe() = %q", d)
			}
		})
	}
}

// TestLimitsLoose: email and URI limits that reach a public suffix, or
// every host, are named in Loose, once each.
func TestLimitsLoose(t *testing.T) {
	for _, tt := range []struct {
		name  string
		mod   func(*x509.Certificate)
		loose string
	}{
		{"owner's names", nil, ""},
		{"email suffix", func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{"com", ".com"} }, "it permits email addresses under com, a public suffix"},
		{"URIs anywhere", func(c *x509.Certificate) { c.PermittedURIDomains = []string{""} }, "it permits URIs under every host name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := foreignCert(t, tt.mod, nil, nil)
			l := LimitsOf(c)
			if got := strings.Join(l.Loose, "; "); tt.loose == "" && got != "" || tt.loose != "" && strings.Count(got, tt.loose) != 1 {
				t.Errorf("LimitsOf().Loose = %q, want %q once", got, tt.loose)
			}
			if l.Unconstrained() {
				t.Errorf("LimitsOf().Wide = %q, want none", l.Wide)
			}
		})
	}
}
