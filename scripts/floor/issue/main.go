// Command issue is the second floor of bench.sh's timings: the least a Go
// program must do to issue one leaf from an existing CA, with nothing else
// linked in. It reads the issuing certificate and key from the CA folder
// ($VOUCH_CAROOT, as vouch made it), makes a P-256 key, signs a leaf for the
// names given and writes the two PEM files without fsync, as mkcert writes
// them. It checks nothing: no lock, no name constraints, no CA checks, no
// flags. vouch does all of that on top, so it can't be faster than this.
//
//	issue localhost 127.0.0.1 ::1
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if err := run(os.Getenv("VOUCH_CAROOT"), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "issue:", err)
		os.Exit(1)
	}
}

func run(dir string, names []string) error {
	if dir == "" || len(names) == 0 {
		return fmt.Errorf("usage: VOUCH_CAROOT=DIR issue NAME...")
	}
	ca, err := readPEM(filepath.Join(dir, "intermediateCA.pem"), "CERTIFICATE")
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(ca)
	if err != nil {
		return err
	}
	k, err := readPEM(filepath.Join(dir, "intermediateCA-key.pem"), "PRIVATE KEY")
	if err != nil {
		return err
	}
	caKey, err := x509.ParsePKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"floor"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(820 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca})...)
	if err := os.WriteFile("floor.pem", chain, 0o644); err != nil {
		return err
	}
	return os.WriteFile("floor-key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func readPEM(path, typ string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("%s: no %s block", path, typ)
	}
	return b.Bytes, nil
}
