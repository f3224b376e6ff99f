package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// KeyType is the kind of private key vouch generates.
type KeyType string

const (
	ECDSA   KeyType = "ecdsa"
	RSA2048 KeyType = "rsa2048"
	RSA3072 KeyType = "rsa3072"
	RSA4096 KeyType = "rsa4096"
)

// KeyTypes lists the values --key-type accepts.
var KeyTypes = []KeyType{ECDSA, RSA2048, RSA3072, RSA4096}

// ParseKeyType accepts the --key-type values, plus "p256" and "rsa"
// (2048 bits, mkcert's leaf size).
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(s) {
	case "", "ecdsa", "p256", "p-256":
		return ECDSA, nil
	case "rsa", "rsa2048":
		return RSA2048, nil
	case "rsa3072":
		return RSA3072, nil
	case "rsa4096":
		return RSA4096, nil
	}
	return "", fmt.Errorf("unknown key type %q (want ecdsa, rsa2048, rsa3072 or rsa4096)", s)
}

func generateKey(kt KeyType, rand io.Reader) (crypto.Signer, error) {
	switch kt {
	case ECDSA, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand)
	case RSA2048:
		return rsa.GenerateKey(rand, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand, 4096)
	}
	return nil, fmt.Errorf("unknown key type %q", kt)
}

// MarshalKey encodes a private key as PKCS#8 PEM, as mkcert does.
func MarshalKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("failed to encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKey reads one PEM private key (PKCS#8, SEC 1 or PKCS#1).
func ParseKey(data []byte) (crypto.Signer, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM private key found")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, errors.New("unexpected data after the private key")
	}
	var (
		k   any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block is %q, not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("malformed private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	switch s.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
	default:
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	return s, nil
}

// keyMatches reports whether the certificate's public key is k's.
func keyMatches(cert *x509.Certificate, k crypto.Signer) bool {
	pub, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(cert.PublicKey)
}
