package truststore

// A keystore is read from disk, where a crash, a full disk or another
// tool may have left any bytes, by libraries that trust the file's own
// numbers: keystore-go allocates whatever a length says, go-pkcs12 runs
// whatever iteration count a file asks for. These checks read those
// numbers first, so that a damaged keystore is an error, not a crash or
// hours of work.

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
)

// checkJKS walks a JKS keystore's layout before the library reads it: the
// library allocates whatever a length or count field says (a certificate
// count of 2^32-1 asks for 160 GB, and Go stops with "out of memory"), so
// every length must fit in what is left of the file first.
func checkJKS(data []byte) error {
	rest := data[4:] // the magic number, which parseKeystore read
	take := func(n uint64, what string) ([]byte, error) {
		if n > uint64(len(rest)) {
			return nil, fmt.Errorf("%s needs %d bytes at offset %d, but the file ends %d bytes later", what, n, len(data)-len(rest), len(rest))
		}
		b := rest[:n]
		rest = rest[n:]
		return b, nil
	}
	u32 := func(what string) (uint64, error) {
		b, err := take(4, what)
		if err != nil {
			return 0, err
		}
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	// skip passes over a field that starts with its length in size bytes.
	skip := func(size int, what string) error {
		b, err := take(uint64(size), what+"'s length")
		if err != nil {
			return err
		}
		n := uint64(binary.BigEndian.Uint16(b[size-2:]))
		if size == 4 {
			n = uint64(binary.BigEndian.Uint32(b))
		}
		_, err = take(n, what)
		return err
	}
	version, err := u32("the version")
	if err != nil {
		return err
	}
	if version != 1 && version != 2 {
		return fmt.Errorf("version %d, where JKS has 1 or 2", version)
	}
	cert := func() error {
		if version == 2 {
			if err := skip(2, "a certificate's type"); err != nil {
				return err
			}
		}
		return skip(4, "a certificate")
	}
	count, err := u32("the entry count")
	if err != nil {
		return err
	}
	for i := uint64(1); i <= count; i++ {
		tag, err := u32("an entry's tag")
		if err == nil {
			err = skip(2, "an alias")
		}
		if err == nil {
			_, err = take(8, "a creation date")
		}
		if err != nil {
			return err
		}
		switch tag {
		case 1: // a private key and its chain
			err = skip(4, "a private key")
			var n uint64
			if err == nil {
				n, err = u32("a chain's length")
			}
			for j := uint64(0); err == nil && j < n; j++ {
				err = cert()
			}
		case 2: // a trusted certificate
			err = cert()
		default:
			err = fmt.Errorf("entry %d has tag %d, where JKS has 1 (private key) or 2 (trusted certificate)", i, tag)
		}
		if err != nil {
			return err
		}
	}
	_, err = take(20, "the integrity check (a SHA-1 digest)")
	return err
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
