package truststore

import (
	"encoding/asn1"
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzParseKeystore: a Java keystore is read from disk, where a crash, a
// full disk or another tool may have left any bytes. Whatever they are,
// vouch says why it can't read them, or reads entries it can ask about.
func FuzzParseKeystore(f *testing.F) {
	r := javaRoot(f, "fuzz root")
	other := javaRoot(f, "other root")
	f.Add(jksBytes(f, jksEntry{alias: JavaAlias(r.Cert), cert: r.Cert}, jksEntry{alias: "vouch-0123456789abcdef", cert: other.Cert}))
	f.Add(p12Bytes(f, jksEntry{alias: "one", cert: r.Cert}))
	f.Add([]byte{0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{0x30, 0x82, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := parseKeystore(data)
		if err != nil {
			if ks != nil || err.Error() == "" {
				t.Fatalf("parseKeystore failed with %v and returned %v", err, ks)
			}
			return
		}
		if ks.Format != "JKS" && ks.Format != "PKCS12" {
			t.Fatalf("parseKeystore read format %q", ks.Format)
		}
		for _, e := range ks.Entries {
			if e.Trusted && len(e.Certs) != 1 {
				t.Fatalf("trusted entry %q holds %d certificates, want 1", e.Alias, len(e.Certs))
			}
		}
		ks.holders(r.Cert)
		ks.stale(r)
	})
}

// FuzzParseListing: certutil -L's table, from whatever certutil (or a
// wrapper in its place) prints. Every entry read has a nickname with no
// padding around it and flags that are NSS trust flags.
func FuzzParseListing(f *testing.F) {
	f.Add([]byte("\nCertificate Nickname                                         Trust Attributes\n                                                             SSL,S/MIME,JAR/XPI\n\nvouch 0123456789abcdef                                       C,,\nmkcert development CA 1234                                   C,,  \n"))
	f.Add([]byte("a\tb\r\n c,c,c\n,,\n x ,,"))
	f.Fuzz(func(t *testing.T, out []byte) {
		for nick, flags := range parseListing(out) {
			if nick == "" || nick != strings.TrimSpace(nick) || strings.Contains(nick, "\n") {
				t.Fatalf("nickname %q", nick)
			}
			if !trustFlags().MatchString(flags) {
				t.Fatalf("flags %q for %q", flags, nick)
			}
		}
	})
}

// FuzzParseKeytoolList: keytool -list -rfc's output. Entries read have
// one-line aliases without the line's end (a carriage return inside one is
// the alias's own), and an unfinished certificate is an error.
func FuzzParseKeytoolList(f *testing.F) {
	r := javaRoot(f, "fuzz root")
	f.Add([]byte("Keystore type: PKCS12\nKeystore provider: SUN\n\nYour keystore contains 1 entry\n\nAlias name: vouch-0123456789abcdef\nCreation date: Nov 24, 2026\nEntry type: trustedCertEntry\n\n" + string(r.PEM) + "\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("Alias name: x\r\n-----BEGIN X\r\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		entries, err := parseKeytoolList(out)
		if err != nil {
			if entries != nil {
				t.Fatalf("parseKeytoolList failed with %v and returned %d entries", err, len(entries))
			}
			return
		}
		for _, e := range entries {
			if strings.Contains(e.Alias, "\n") || strings.HasSuffix(e.Alias, "\r") {
				t.Fatalf("alias %q", e.Alias)
			}
		}
	})
}

// TestDamagedJKS: a JKS keystore whose length or count fields say more
// than the file holds is an error, never an allocation of what they say
// (the library would ask for 160 GB for a chain of 2^32-1 certificates,
// and Go stops the program with "out of memory").
func TestDamagedJKS(t *testing.T) {
	head := func(entries uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, 0xFEEDFEED)
		b = binary.BigEndian.AppendUint32(b, 2)
		return binary.BigEndian.AppendUint32(b, entries)
	}
	entry := func(b []byte, tag uint32) []byte {
		b = binary.BigEndian.AppendUint32(b, tag)
		b = append(b, 0, 1, 'a')
		return binary.BigEndian.AppendUint64(b, 0)
	}
	chain := entry(head(1), 1)
	chain = binary.BigEndian.AppendUint32(chain, 0)          // no private key bytes
	chain = binary.BigEndian.AppendUint32(chain, 0xFFFFFFFF) // certificates in the chain
	cert := entry(head(1), 2)
	cert = append(cert, 0, 4, 'X', '5', '0', '9')
	cert = binary.BigEndian.AppendUint32(cert, 0xFFFFFFF0)
	r := javaRoot(t, "damaged")
	good := jksBytes(t, jksEntry{alias: "a", cert: r.Cert})
	for name, data := range map[string][]byte{
		"a chain of 2^32-1 certificates": chain,
		"a 4 GB certificate":             cert,
		"2^32-1 entries":                 head(0xFFFFFFFF),
		"an unknown tag":                 entry(head(1), 3),
		"version 3":                      append(binary.BigEndian.AppendUint32(nil, 0xFEEDFEED), 0, 0, 0, 3, 0, 0, 0, 0),
		"cut short":                      good[:len(good)-1],
	} {
		ks, err := parseKeystore(data)
		if err == nil || ks != nil || !strings.Contains(err.Error(), "a damaged JKS keystore") {
			t.Errorf("%s: parseKeystore = %v, %v; want a damaged-keystore error", name, ks, err)
		}
	}
	if ks, err := parseKeystore(good); err != nil || len(ks.Entries) != 1 {
		t.Errorf("a sound JKS keystore: %v, %v", ks, err)
	}
}

// TestDamagedKeystoreHint: a keystore the system store's refresh makes
// (Debian's, Fedora's) that can't be read comes with the commands that make
// it anew; a JDK's own, which only its package brings back, with none.
func TestDamagedKeystoreHint(t *testing.T) {
	for path, want := range map[string]string{
		"/etc/ssl/certs/java/cacerts":              "; Debian's Java hook makes this file from the roots the system store trusts, and fails on a damaged one: if it is, sudo rm /etc/ssl/certs/java/cacerts && sudo dpkg --configure -a && sudo update-ca-certificates --fresh makes it anew (entries added by hand are lost)",
		"/etc/pki/ca-trust/extracted/java/cacerts": "; update-ca-trust makes this file from the roots the system store trusts: if it is damaged, sudo update-ca-trust extract makes it anew (entries added by hand are lost)",
		"/usr/lib/jvm/jdk-21/lib/security/cacerts": "",
	} {
		if got := remakeHint(path); got != want {
			t.Errorf("remakeHint(%s) = %q, want %q", path, got, want)
		}
	}
	f := newFakeJava(t)
	cacerts := f.write(t, "/usr/lib/jvm/jdk-21/lib/security/cacerts", []byte("junk, not a keystore"))
	_, _, err := readKeystore(cacerts)
	if err == nil || err.Error() != "failed to read "+cacerts+": neither a JKS nor a PKCS#12 keystore" {
		t.Errorf("readKeystore(junk) = %v", err)
	}
}

// TestPKCS12Iterations: the iteration counts vouch reads are the ones a
// PKCS#12 keystore holds, and a keystore whose MAC asks for 2^31-1 (which
// go-pkcs12 would run, for hours) is an error at once.
func TestPKCS12Iterations(t *testing.T) {
	r := javaRoot(t, "iterations")
	sound := p12Bytes(t, jksEntry{alias: "a", cert: r.Cert})
	got := p12Iterations(sound)
	if len(got) != 2 || got[0].what != "its MAC" || got[1].what != "an encrypted part" || got[0].n < 1 || got[0].n > maxIterations || got[1].n < 1 {
		t.Fatalf("p12Iterations(go-pkcs12's Modern trust store) = %+v, want the MAC's and one encrypted part's", got)
	}
	if _, err := parseKeystore(sound); err != nil {
		t.Fatalf("a sound PKCS#12 keystore: %v", err)
	}

	// The same file with its MAC's count set to 2^31-1.
	var top asn1.RawValue
	if _, err := asn1.Unmarshal(sound, &top); err != nil {
		t.Fatal(err)
	}
	var pfx p12PFX
	if _, err := asn1.Unmarshal(sound, &pfx); err != nil {
		t.Fatal(err)
	}
	pfx.MacData.Iterations = 1<<31 - 1
	mac, err := asn1.Marshal(pfx.MacData)
	if err != nil {
		t.Fatal(err)
	}
	var version, authSafe asn1.RawValue
	rest, _ := asn1.Unmarshal(top.Bytes, &version)
	asn1.Unmarshal(rest, &authSafe)
	body := append(append(append([]byte(nil), version.FullBytes...), authSafe.FullBytes...), mac...)
	damaged, err := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		t.Fatal(err)
	}
	if got := p12Iterations(damaged); len(got) == 0 || got[0].n != 1<<31-1 {
		t.Fatalf("p12Iterations(damaged) = %+v, want the MAC's 2147483647 first", got)
	}
	ks, err := parseKeystore(damaged)
	if want := "a damaged PKCS#12 keystore: its MAC asks for 2147483647 iterations of its key derivation, more than the 1000000 vouch runs"; err == nil || err.Error() != want || ks != nil {
		t.Errorf("parseKeystore(damaged) = %v, %v; want %s", ks, err, want)
	}
}
