package certs

import (
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A CA that permits only a domain must vouch for no IP address at all:
// without a permitted IP subtree, clients would accept any address.
func TestDomainOnlyCAExcludesEveryIP(t *testing.T) {
	c := &Constraints{}
	if err := c.Permit("photos.alice.example"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ca, err := Create(dir, CreateOptions{Constraints: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := ConstraintsOf(ca.Issuer); got == nil || got.String() != "photos.alice.example" {
		t.Fatalf("constraints read back = %v, want photos.alice.example", got)
	}
	if d := c.Describe(); !strings.Contains(d, "no IP addresses") {
		t.Errorf("Describe() = %q, want it to say no IP addresses", d)
	}
	for _, n := range []string{"8.8.8.8", "192.168.1.20", "::1"} {
		if err := c.Check(mustParse(t, n)); err == nil {
			t.Errorf("Check(%s) passed, want outside", n)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root)
	inter := x509.NewCertPool()
	inter.AddCert(ca.Issuer)
	// Leaves forged with the issuing key, past vouch's own checks.
	good := forge(t, ca, func(c *x509.Certificate) { c.DNSNames = []string{"www.photos.alice.example"} })
	if _, err := good.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "www.photos.alice.example"}); err != nil {
		t.Fatalf("a leaf for a permitted name: %v", err)
	}
	for _, ip := range []string{"8.8.8.8", "2001:db8::1", "127.0.0.1"} {
		bad := forge(t, ca, func(c *x509.Certificate) {
			c.DNSNames = []string{"photos.alice.example"}
			c.IPAddresses = []net.IP{net.ParseIP(ip)}
		})
		if _, err := bad.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err == nil {
			t.Errorf("Go accepted a forged leaf for %s from a domain-only CA", ip)
		}
		if path, err := exec.LookPath("openssl"); err == nil {
			leaf := filepath.Join(t.TempDir(), "leaf.pem")
			os.WriteFile(leaf, CertPEM(bad.Raw), 0o644)
			os.WriteFile(filepath.Join(dir, "chain.pem"), CertPEM(ca.Issuer.Raw), 0o644)
			out, err := exec.Command(path, "verify", "-CAfile", filepath.Join(dir, RootCertFile), "-untrusted", filepath.Join(dir, "chain.pem"), leaf).CombinedOutput()
			if err == nil {
				t.Errorf("openssl verify accepted a forged leaf for %s: %s", ip, out)
			} else if !strings.Contains(string(out), "excluded") {
				t.Errorf("openssl verify for %s: %s, want a name constraints exclusion", ip, out)
			}
		}
	}
}
