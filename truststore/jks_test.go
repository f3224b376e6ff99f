package truststore

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
)

// jksRaw is one entry for rawJKS: a trusted certificate (one cert) or a
// private key with its chain.
type jksRaw struct {
	alias string
	key   []byte // nil for a trusted certificate
	certs [][]byte
}

// rawJKS writes a JKS keystore byte by byte, as keytool lays it out, with
// the integrity check for password: it can write what keystore-go can't
// (version 1, an alias twice).
func rawJKS(version uint32, password string, entries ...jksRaw) []byte {
	var b bytes.Buffer
	u16 := func(n int) { binary.Write(&b, binary.BigEndian, uint16(n)) }
	u32 := func(n int) { binary.Write(&b, binary.BigEndian, uint32(n)) }
	cert := func(c []byte) {
		if version == 2 {
			u16(4)
			b.WriteString("X509")
		}
		u32(len(c))
		b.Write(c)
	}
	u32(0xFEEDFEED)
	u32(int(version))
	u32(len(entries))
	for _, e := range entries {
		if e.key == nil {
			u32(2)
		} else {
			u32(1)
		}
		u16(len(e.alias))
		b.WriteString(e.alias)
		binary.Write(&b, binary.BigEndian, uint64(time.Now().UnixMilli()))
		if e.key == nil {
			cert(e.certs[0])
			continue
		}
		u32(len(e.key))
		b.Write(e.key)
		u32(len(e.certs))
		for _, c := range e.certs {
			cert(c)
		}
	}
	h := sha1.New()
	for i := 0; i < len(password); i++ {
		h.Write([]byte{0, password[i]})
	}
	h.Write([]byte("Mighty Aphrodite"))
	h.Write(b.Bytes())
	b.Write(h.Sum(nil))
	return b.Bytes()
}

// keystoreGoJKS reads a JKS keystore with keystore-go, as parseJKS did
// before it walked the file itself: its entries are what parseJKS must give.
func keystoreGoJKS(data []byte) (*keystoreFile, error) {
	jks := keystore.New(keystore.WithCaseExactAliases(), keystore.WithOrderedAliases())
	if err := jks.Load(bytes.NewReader(data), []byte(javaStorePass)); err != nil {
		return nil, err
	}
	ks := &keystoreFile{Format: "JKS", Aliases: true}
	for _, alias := range jks.Aliases() {
		e := ksEntry{Alias: alias}
		if tc, err := jks.GetTrustedCertificateEntry(alias); err == nil {
			e.Trusted = true
			e.Certs = [][]byte{tc.Certificate.Content}
		} else if chain, err := jks.GetPrivateKeyEntryCertificateChain(alias); err == nil {
			for _, c := range chain {
				e.Certs = append(e.Certs, c.Content)
			}
		}
		ks.Entries = append(ks.Entries, e)
	}
	return ks, nil
}

func TestParseJKSReadsAsKeystoreGo(t *testing.T) {
	a, b, c := javaRoot(t, "a").Cert.Raw, javaRoot(t, "b").Cert.Raw, javaRoot(t, "c").Cert.Raw
	key := []byte("an encrypted private key, as keytool keeps it")
	cases := []struct {
		name string
		data []byte
	}{
		{"keystore-go's own", jksBytes(t, jksEntry{"vouch-0123456789abcdef", javaRoot(t, "x").Cert}, jksEntry{"Debian:Mixed_Case.pem", javaRoot(t, "y").Cert})},
		{"none", rawJKS(2, "changeit")},
		{"version 1", rawJKS(1, "changeit", jksRaw{alias: "one", certs: [][]byte{a}}, jksRaw{alias: "two", certs: [][]byte{b}})},
		{"unsorted", rawJKS(2, "changeit", jksRaw{alias: "zeta", certs: [][]byte{a}}, jksRaw{alias: "Alpha", certs: [][]byte{b}}, jksRaw{alias: "alpha", certs: [][]byte{c}})},
		{"an alias twice", rawJKS(2, "changeit", jksRaw{alias: "same", certs: [][]byte{a}}, jksRaw{alias: "other", certs: [][]byte{b}}, jksRaw{alias: "same", certs: [][]byte{c}})},
		{"a key and its chain", rawJKS(2, "changeit", jksRaw{alias: "server", key: key, certs: [][]byte{b, a}}, jksRaw{alias: "root", certs: [][]byte{a}})},
		{"a key without a chain", rawJKS(2, "changeit", jksRaw{alias: "bare", key: key})},
		{"a key, version 1", rawJKS(1, "changeit", jksRaw{alias: "server", key: key, certs: [][]byte{c}})},
		{"bytes after the digest", append(rawJKS(2, "changeit", jksRaw{alias: "one", certs: [][]byte{a}}), "trailing"...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, err := keystoreGoJKS(tc.data)
			if err != nil {
				t.Fatalf("keystore-go can't read it: %v", err)
			}
			got, err := parseJKS(tc.data)
			if err != nil {
				t.Fatalf("parseJKS = %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parseJKS = %s, want %s", describeKS(got), describeKS(want))
			}
		})
	}
}

func describeKS(ks *keystoreFile) string {
	s := fmt.Sprintf("%s aliases=%v:", ks.Format, ks.Aliases)
	for _, e := range ks.Entries {
		s += fmt.Sprintf(" [%q trusted=%v certs=%d]", e.Alias, e.Trusted, len(e.Certs))
	}
	return s
}

// A keystore whose password is not changeit, or whose bytes were changed
// after keytool wrote it, fails the integrity check, as keystore-go finds.
func TestParseJKSIntegrityCheck(t *testing.T) {
	a := javaRoot(t, "a").Cert.Raw
	other := rawJKS(2, "secret", jksRaw{alias: "one", certs: [][]byte{a}})
	flipped := rawJKS(2, "changeit", jksRaw{alias: "one", certs: [][]byte{a}})
	flipped[len(flipped)-30] ^= 1
	for name, data := range map[string][]byte{"another password": other, "a changed byte": flipped} {
		if _, err := keystoreGoJKS(data); err == nil || err.Error() != "got invalid digest" {
			t.Fatalf("%s: keystore-go read it, with %v", name, err)
		}
		ks, err := parseJKS(data)
		var wp *wrongPasswordError
		if !errors.As(err, &wp) || wp.format != "JKS" {
			t.Errorf("%s: parseJKS = %v, %v; want the wrong-password error", name, ks, err)
		}
	}
}

// Reading a keystore copies none of its certificates: a JDK's cacerts is
// some 150 of them, read by every status and install, and copying each
// (as keystore-go's reader does) took most of the time spent on it.
func TestParseJKSCopiesNoCertificate(t *testing.T) {
	var entries []jksRaw
	for i := range 100 {
		cert := bytes.Repeat([]byte{byte(i)}, 1500)
		entries = append(entries, jksRaw{alias: fmt.Sprint("entry-", i), certs: [][]byte{cert}})
	}
	data := rawJKS(2, "changeit", entries...)
	if _, err := parseJKS(data); err != nil {
		t.Fatal(err)
	}
	const runs = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		parseJKS(data)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > uint64(len(data))/4 {
		t.Errorf("parseJKS of a %d-byte keystore allocated %d bytes, want under %d (no copies of its certificates)", len(data), per, len(data)/4)
	}
}

// FuzzParseJKSAsKeystoreGo: whatever bytes keystore-go reads as a JKS
// keystore with changeit, parseJKS reads the same entries from; what it
// refuses, parseJKS refuses too.
func FuzzParseJKSAsKeystoreGo(f *testing.F) {
	a := javaRoot(f, "a").Cert.Raw
	f.Add(rawJKS(2, "changeit", jksRaw{alias: "one", certs: [][]byte{a}}, jksRaw{alias: "one", key: []byte("k"), certs: [][]byte{a, a}}))
	f.Add(rawJKS(1, "changeit", jksRaw{alias: "b", certs: [][]byte{a}}, jksRaw{alias: "a", certs: [][]byte{{1, 2}}}))
	f.Add(rawJKS(2, "other", jksRaw{alias: "one", certs: [][]byte{a}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 || binary.BigEndian.Uint32(data) != 0xFEEDFEED {
			return
		}
		if _, _, err := checkJKS(data); err != nil {
			return // keystore-go would allocate what the damaged lengths say
		}
		want, werr := keystoreGoJKS(data)
		got, err := parseJKS(data)
		if (werr == nil) != (err == nil) {
			t.Fatalf("parseJKS = %v, %v; keystore-go = %v, %v", got, err, want, werr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("parseJKS = %s, want %s", describeKS(got), describeKS(want))
		}
	})
}
