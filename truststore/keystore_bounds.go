package truststore

// A keystore is read from disk, where a crash, a full disk or another
// tool may have left any bytes. A JKS keystore is walked here, every
// length checked against what is left of the file; a PKCS#12 one is read
// by go-pkcs12, which runs whatever iteration count a file asks for, so
// those counts are read first. A damaged keystore is then an error, not a
// crash or hours of work.

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
)

// jksRecord is one entry of a JKS keystore as stored: its alias's bytes
// as a string, and its certificates (one for a trusted certificate, the
// chain for a private key), each a slice of the keystore's bytes.
type jksRecord struct {
	alias   string
	trusted bool
	certs   [][]byte
}

// checkJKS walks a JKS keystore's layout and returns its entries in file
// order and the offset of its integrity check (after the entries). Every
// length or count field must fit in what is left of the file: a
// certificate count of 2^32-1 would otherwise ask for 160 GB.
func checkJKS(data []byte) (records []jksRecord, digestAt int, err error) {
	rest := data[4:] // the magic number, which parseKeystore read
	// take's error names the field: what, then more (kept apart, so that
	// a sound keystore builds no message).
	take := func(n uint64, what, more string) ([]byte, error) {
		if n > uint64(len(rest)) {
			return nil, fmt.Errorf("%s%s needs %d bytes at offset %d, but the file ends %d bytes later", what, more, n, len(data)-len(rest), len(rest))
		}
		b := rest[:n]
		rest = rest[n:]
		return b, nil
	}
	u32 := func(what string) (uint64, error) {
		b, err := take(4, what, "")
		if err != nil {
			return 0, err
		}
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	// field reads a field that starts with its length in size bytes.
	field := func(size int, what string) ([]byte, error) {
		b, err := take(uint64(size), what, "'s length")
		if err != nil {
			return nil, err
		}
		n := uint64(binary.BigEndian.Uint16(b[size-2:]))
		if size == 4 {
			n = uint64(binary.BigEndian.Uint32(b))
		}
		return take(n, what, "")
	}
	version, err := u32("the version")
	if err != nil {
		return nil, 0, err
	}
	if version != 1 && version != 2 {
		return nil, 0, fmt.Errorf("version %d, where JKS has 1 or 2", version)
	}
	cert := func() ([]byte, error) {
		if version == 2 {
			if _, err := field(2, "a certificate's type"); err != nil {
				return nil, err
			}
		}
		return field(4, "a certificate")
	}
	count, err := u32("the entry count")
	if err != nil {
		return nil, 0, err
	}
	for i := uint64(1); i <= count; i++ {
		var alias []byte
		tag, err := u32("an entry's tag")
		if err == nil {
			alias, err = field(2, "an alias")
		}
		if err == nil {
			_, err = take(8, "a creation date", "")
		}
		if err != nil {
			return nil, 0, err
		}
		r := jksRecord{alias: string(alias)}
		switch tag {
		case 1: // a private key and its chain
			_, err = field(4, "a private key")
			var n uint64
			if err == nil {
				n, err = u32("a chain's length")
			}
			for j := uint64(0); err == nil && j < n; j++ {
				var c []byte
				if c, err = cert(); err == nil {
					r.certs = append(r.certs, c)
				}
			}
		case 2: // a trusted certificate
			var c []byte
			c, err = cert()
			r.trusted, r.certs = true, [][]byte{c}
		default:
			err = fmt.Errorf("entry %d has tag %d, where JKS has 1 (private key) or 2 (trusted certificate)", i, tag)
		}
		if err != nil {
			return nil, 0, err
		}
		records = append(records, r)
	}
	digestAt = len(data) - len(rest)
	if _, err = take(20, "the integrity check (a SHA-1 digest)", ""); err != nil {
		return nil, 0, err
	}
	return records, digestAt, nil
}

// jksDigestMatches checks a JKS keystore's integrity check, the SHA-1
// digest at digestAt, against password: keytool writes the digest of the
// password (as UTF-16), the words "Mighty Aphrodite" and every byte of the
// keystore before the digest. Bytes after it are not read, as keytool and
// keystore-go do not read them.
func jksDigestMatches(data []byte, digestAt int, password string) bool {
	h := sha1.New()
	for i := 0; i < len(password); i++ {
		h.Write([]byte{0, password[i]})
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(data[:digestAt])
	return bytes.Equal(h.Sum(nil), data[digestAt:digestAt+sha1.Size])
}

// maxIterations bounds the key derivations a PKCS#12 keystore may ask for.
// Java writes 10,000; go-pkcs12 runs whatever count the file holds, and a
// damaged one (2^31-1) would keep vouch busy for hours.
const maxIterations = 1_000_000

// The PKCS#12 structures go-pkcs12 reads, as far as their iteration counts.
type p12PFX struct {
	Version  int
	AuthSafe p12ContentInfo
	MacData  p12MacData `asn1:"optional"`
}

type p12ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type p12MacData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type p12EncryptedData struct {
	Version int
	Info    struct {
		ContentType asn1.ObjectIdentifier
		Algorithm   pkix.AlgorithmIdentifier
		Content     []byte `asn1:"tag:0,optional"`
	}
}

var (
	oidPBMAC1        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidPBES2         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidEncryptedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
)

// checkPKCS12 reads the iteration counts a PKCS#12 keystore gives its MAC
// and its encrypted parts before go-pkcs12 runs them: more than
// maxIterations is an error.
func checkPKCS12(data []byte) error {
	for _, it := range p12Iterations(data) {
		if it.n > maxIterations {
			return fmt.Errorf("%s asks for %d iterations of its key derivation, more than the %d vouch runs", it.what, it.n, maxIterations)
		}
	}
	return nil
}

type p12Count struct {
	what string
	n    int
}

// p12Iterations lists the iteration counts in a PKCS#12 file: its MAC's,
// then each encrypted part's. What it can't read, go-pkcs12 can't either,
// and says so itself.
func p12Iterations(data []byte) []p12Count {
	var pfx p12PFX
	if rest, err := asn1.Unmarshal(data, &pfx); err != nil || len(rest) > 0 {
		return nil
	}
	var out []p12Count
	if alg := pfx.MacData.Mac.Algorithm; len(alg.Algorithm) > 0 {
		n := pfx.MacData.Iterations
		if alg.Algorithm.Equal(oidPBMAC1) {
			n = pbkdf2Iterations(alg.Parameters.FullBytes)
		}
		out = append(out, p12Count{"its MAC", n})
	}
	var content []byte
	if _, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &content); err != nil {
		return out
	}
	var safe []p12ContentInfo
	if _, err := asn1.Unmarshal(content, &safe); err != nil {
		return out
	}
	for _, ci := range safe {
		var ed p12EncryptedData
		if !ci.ContentType.Equal(oidEncryptedData) {
			continue
		}
		if _, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err != nil {
			continue
		}
		alg := ed.Info.Algorithm
		var n int
		if alg.Algorithm.Equal(oidPBES2) {
			n = pbkdf2Iterations(alg.Parameters.FullBytes)
		} else {
			var pbe struct {
				Salt       []byte
				Iterations int
			}
			if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &pbe); err == nil {
				n = pbe.Iterations
			}
		}
		out = append(out, p12Count{"an encrypted part", n})
	}
	return out
}

// pbkdf2Iterations reads the PBKDF2 iteration count from PBES2 or PBMAC1
// parameters (both start with the key derivation); 0 if it can't.
func pbkdf2Iterations(params []byte) int {
	var p struct {
		KDF  pkix.AlgorithmIdentifier
		Rest asn1.RawValue
	}
	var kdf struct {
		Salt       asn1.RawValue
		Iterations int
		KeyLength  int                      `asn1:"optional"`
		PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(params, &p); err != nil {
		return 0
	}
	if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kdf); err != nil {
		return 0
	}
	return kdf.Iterations
}
