package platform

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	mrand "math/rand/v2"
	"testing"
	"time"
)

// containsBody answers as bytes.Contains, for bodies whose rarest byte is
// anywhere (first, last, absent from the needle's reach) and data that
// holds the needle without the body around it.
func TestContainsBodyAsContains(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	text := func(n int, alphabet string) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = alphabet[rng.IntN(len(alphabet))]
			if i%65 == 64 {
				out[i] = '\n'
			}
		}
		return out
	}
	for i := range 3000 {
		body := text(32+rng.IntN(300), b64[:2+rng.IntN(len(b64)-2)])
		if rng.IntN(3) == 0 {
			body = append(body, "==\n"[rng.IntN(2):]...)
		}
		data := text(rng.IntN(2000), b64)
		switch rng.IntN(5) {
		case 0: // the body in the data
			at := rng.IntN(len(data) + 1)
			data = append(data[:at:at], append(bytes.Clone(body), data[at:]...)...)
		case 1: // the body cut, or changed in one byte
			cut := bytes.Clone(body)
			cut[rng.IntN(len(cut))] ^= 1
			data = append(data, cut...)
		case 2: // the body's rarest part alone, at the start
			at := rarestByte(body)
			data = append(bytes.Clone(body[at:]), data...)
		case 3: // the body twice, overlapping its own start
			data = append(append(data, body[:len(body)/2]...), body...)
		}
		if got, want := containsBody(data, body), bytes.Contains(data, body); got != want {
			t.Fatalf("case %d: containsBody = %v, bytes.Contains = %v\nbody %q\ndata %q", i, got, want, body, data)
		}
	}
}

// nameRoot is a self-signed CA whose subject is the DER given.
func nameRoot(t *testing.T, rawSubject []byte) []byte {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), RawSubject: rawSubject, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// orgName is a subject of one organization, value under ASN.1 tag.
func orgName(t *testing.T, tag int, value []byte) []byte {
	t.Helper()
	attr, err := asn1.Marshal(struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}{asn1.ObjectIdentifier{2, 5, 4, 10}, asn1.RawValue{Tag: tag, Bytes: value}})
	if err != nil {
		t.Fatal(err)
	}
	set, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: attr})
	seq, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: set})
	return seq
}

// vouchRoot knows vouch's roots by their organization in every string
// type Go's x509 reads it from, and no other CA's.
func TestVouchRootStringTypes(t *testing.T) {
	for _, c := range []struct {
		name  string
		tag   int
		value []byte
		want  bool
	}{
		{"UTF8String", asn1.TagUTF8String, []byte("vouch local CA"), true},
		{"PrintableString", asn1.TagPrintableString, []byte("vouch local CA"), true},
		{"IA5String", asn1.TagIA5String, []byte("vouch local CA"), true},
		{"T61String", asn1.TagT61String, []byte("vouch local CA"), true},
		{"BMPString", asn1.TagBMPString, utf16BE("vouch local CA"), true},
		{"BMPString with its terminator", asn1.TagBMPString, append(utf16BE("vouch local CA"), 0, 0), true},
		{"another organization", asn1.TagUTF8String, []byte("vouch local CB"), false},
		{"BMPString, another organization", asn1.TagBMPString, utf16BE("Vouch local CA"), false},
	} {
		data := nameRoot(t, orgName(t, c.tag, c.value))
		b, _ := pem.Decode(data)
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if parsed := len(cert.Subject.Organization) == 1 && cert.Subject.Organization[0] == "vouch local CA"; parsed != c.want {
			t.Fatalf("%s: the case itself is wrong: x509 reads organization %q", c.name, cert.Subject.Organization)
		}
		if got := vouchRoot(data); got != c.want {
			t.Errorf("%s: vouchRoot = %v, want %v", c.name, got, c.want)
		}
	}
}

// The anchors of other CAs (most of an anchor folder) are told apart
// without parsing them: status reads every anchor, and parsing an RSA root
// took more than the rest of its look at the file.
func TestForeignAnchorNotParsed(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{Organization: []string{"Some Corp"}, CommonName: "Some Corp Root"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pemOnly := testing.AllocsPerRun(20, func() { pem.Decode(data) })
	allocs := testing.AllocsPerRun(20, func() {
		if vouchRoot(data) || vouchWrote("some-corp.crt", data) {
			t.Fatal("taken for vouch's")
		}
	})
	// Each reads the PEM once; x509.ParseCertificate alone allocates
	// dozens of times.
	if allocs > 2*pemOnly+4 {
		t.Errorf("vouchRoot and vouchWrote of another CA's anchor allocated %v times, want at most %v (no certificate parsed)", allocs, 2*pemOnly+4)
	}
}
