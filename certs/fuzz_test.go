package certs

import (
	"testing"
)

// Every parser of input vouch does not control has a fuzz target; the seed
// corpora live in testdata/fuzz. scripts/fuzz.sh runs each for a while.

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"localhost", "*.x.test", "bücher.test", "::1", "fe80::1%eth0", "me@x.test", "https://x.test:8443/p?q", "a..b", "localhost:80", "//x/y", "xn--zz.test"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		// The canonical form must parse again to the same name.
		again, err := ParseName(n.String())
		if err != nil {
			t.Fatalf("ParseName(%q) = %q, which does not parse again: %v", s, n.String(), err)
		}
		if again.Kind != n.Kind || again.String() != n.String() {
			t.Fatalf("ParseName(%q) = %v %q, re-parsed as %v %q", s, n.Kind, n.String(), again.Kind, again.String())
		}
		// Checking a valid name against the constraints never panics.
		_ = DefaultConstraints().Check([]Name{n})
	})
}

func FuzzPermit(f *testing.F) {
	for _, s := range []string{"photos.example.org", ".corp.test", "*.x.org", "10.1.0.0/16", "192.168.1.20", "::/0", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := DefaultConstraints()
		before := c.String()
		if err := c.Permit(s); err != nil && c.String() != before {
			t.Fatalf("Permit(%q) failed but changed the constraints", s)
		}
	})
}

func FuzzParseCertificates(f *testing.F) {
	ca := newCA(f)
	f.Add(CertPEM(ca.Root.Raw, ca.Issuer.Raw))
	f.Add(ca.Root.Raw)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err == nil && len(certs) == 0 {
			t.Fatalf("ParseCertificates returned no certificates and no error")
		}
	})
}

func FuzzParseCSR(f *testing.F) {
	f.Add(makeCSR(f, "a.test", "127.0.0.1", "me@a.test", "https://a.test/"))
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		csr, err := ParseCSR(data)
		if err != nil {
			return
		}
		if err := csr.CheckSignature(); err != nil {
			t.Fatalf("ParseCSR accepted a request with a bad signature: %v", err)
		}
		_, _ = CSRNames(csr)
	})
}

func FuzzParseKey(f *testing.F) {
	ca := newCA(f)
	k, _ := MarshalKey(ca.key)
	f.Add(k)
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseKey(data)
	})
}

func FuzzParseFingerprint(f *testing.F) {
	var zero FP
	for _, s := range []string{zero.Hex(), zero.Voice(), zero.Words(), "SHA256:AB:CD", "sha256 Fingerprint=00", "acid acid", "x y z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := ParseFingerprint(s)
		if err != nil {
			return
		}
		// Whatever was accepted prints back in every form to the same hash.
		for _, form := range []string{fp.Hex(), fp.Voice(), fp.Words()} {
			again, err := ParseFingerprint(form)
			if err != nil || again != fp {
				t.Fatalf("ParseFingerprint(%q) = %s, but its form %q reads back as %s, %v", s, fp.Hex(), form, again.Hex(), err)
			}
		}
	})
}

// FuzzReadRoot: a root as given to vouch trust, from a file or a URL's body.
func FuzzReadRoot(f *testing.F) {
	ca := newCA(f)
	f.Add(CertPEM(ca.Root.Raw))
	f.Add(ca.Root.Raw)
	f.Add(CertPEM(ca.Root.Raw, ca.Issuer.Raw))
	f.Add([]byte("<html>not a certificate</html>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ReadRoot(data)
		if err != nil {
			return
		}
		// Whatever parses can be checked and described without a panic.
		_ = CheckRoot(c, c.NotBefore)
		_ = LimitsOf(c).Describe()
	})
}

// FuzzPickRoot: the chain a server presents in a TLS handshake, up to three
// certificates (empty ones dropped).
func FuzzPickRoot(f *testing.F) {
	ca := newCA(f)
	leaf, err := ca.Issue(LeafRequest{Names: mustParse(f, "localhost")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(leaf.Cert.Raw, ca.Issuer.Raw, ca.Root.Raw)
	f.Add(leaf.Cert.Raw, ca.Issuer.Raw, []byte{})
	f.Add(ca.Root.Raw, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		var chain [][]byte
		for _, der := range [][]byte{a, b, c} {
			if len(der) > 0 {
				chain = append(chain, der)
			}
		}
		root, err := PickRoot(chain)
		if err != nil {
			return
		}
		if !SelfSigned(root) || !root.IsCA {
			t.Fatalf("PickRoot returned %s, which is not a self-signed CA", Subject(root))
		}
		_ = LimitsOf(root).Describe()
	})
}
