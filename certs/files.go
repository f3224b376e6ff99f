package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File is one output file: where it goes, what it holds, its permissions.
type File struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// WriteFiles writes every file to a temp file beside its target, syncs it,
// and only when all were written renames them into place. A failure before
// the renames leaves every existing file as it was.
func WriteFiles(files ...File) error {
	temps := make([]string, 0, len(files))
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, f := range files {
		t, err := writeTemp(f)
		if err != nil {
			cleanup()
			return err
		}
		temps = append(temps, t)
	}
	dirs := map[string]bool{}
	for i, f := range files {
		if err := os.Rename(temps[i], f.Path); err != nil {
			cleanup()
			return fmt.Errorf("failed to write %s: %w", f.Path, err)
		}
		temps[i] = ""
		dirs[filepath.Dir(f.Path)] = true
	}
	for d := range dirs {
		syncDir(d)
	}
	return nil
}

// CanWrite checks that a file can be made in each path's folder, by making
// and removing one, for a caller that must know before it changes
// anything else (a CA made for a certificate that then can't be written).
func CanWrite(paths ...string) error {
	seen := map[string]bool{}
	for _, p := range paths {
		dir := filepath.Dir(p)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		tmp, err := os.CreateTemp(dir, ".vouch-check-*")
		if err != nil {
			return fmt.Errorf("can't write %s: %w", p, unwrapPath(err))
		}
		tmp.Close()
		os.Remove(tmp.Name())
	}
	return nil
}

func writeTemp(f File) (string, error) {
	dir := filepath.Dir(f.Path)
	if st, err := os.Stat(f.Path); err == nil && st.IsDir() {
		return "", fmt.Errorf("failed to write %s: it is a directory", f.Path)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("failed to write %s: %w", f.Path, unwrapPath(err))
	}
	name := tmp.Name()
	fail := func(err error) (string, error) {
		tmp.Close()
		os.Remove(name)
		return "", fmt.Errorf("failed to write %s: %w", f.Path, unwrapPath(err))
	}
	if err := tmp.Chmod(f.Mode); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(f.Data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("failed to write %s: %w", f.Path, err)
	}
	return name, nil
}

// unwrapPath drops the temp file's name from an error, so messages name the
// file the user asked for.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func syncDir(dir string) {
	// Best effort: a directory fsync makes the rename durable on Linux, and
	// is not supported everywhere (Windows), where there is nothing to do.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ParseCertificates reads certificates from PEM (one or more CERTIFICATE
// blocks) or from a single DER certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" {
		return nil, errors.New("empty file, no certificate in it")
	}
	if !strings.HasPrefix(trimmed, "-----BEGIN") {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, errors.New("not a PEM or DER certificate")
		}
		return []*x509.Certificate{c}, nil
	}
	var certs []*x509.Certificate
	rest := []byte(trimmed)
	for len(strings.TrimSpace(string(rest))) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("malformed or truncated PEM data")
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("malformed certificate: %w", err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// CertPEM encodes DER certificates as consecutive PEM blocks.
func CertPEM(ders ...[]byte) []byte {
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return out
}
