package main

import (
	"crypto/x509"
	"testing"

	"github.com/vouchdev/vouch/certs"
)

// The probe leaf the macOS store hands to the OS verifier must chain to
// the root, so a "rejected" from macOS means the trust is missing, not
// that the leaf was bad.
func TestProbeLeafChainsToRoot(t *testing.T) {
	for _, unconstrained := range []bool{false, true} {
		opts := certs.CreateOptions{Owner: "dev@test"}
		if !unconstrained {
			opts.Constraints = certs.DefaultConstraints()
		}
		ca, err := certs.Create(t.TempDir(), opts)
		if err != nil {
			t.Fatal(err)
		}
		p, err := rootOf(ca).Probe()
		if err != nil {
			t.Fatalf("Probe() = %v", err)
		}
		roots, inter := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(ca.Root)
		for _, c := range p.Intermediates {
			inter.AddCert(c)
		}
		if _, err := p.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: p.DNSName, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("probe leaf (unconstrained %v) does not verify under the root: %v", unconstrained, err)
		}
		if _, err := p.Leaf.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: inter, DNSName: p.DNSName}); err == nil {
			t.Errorf("probe leaf verifies with an empty root pool")
		}
	}
}
