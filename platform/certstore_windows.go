//go:build windows

package platform

import (
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

const certEncoding = windows.X509_ASN_ENCODING | windows.PKCS_7_ASN_ENCODING

// winCertStore is a Root store opened through crypt32.
type winCertStore struct {
	h     windows.Handle
	where WinStore
}

// OpenWinStore opens a Root store through the CryptoAPI. To read, it opens
// the store's own registry store, so that CurrentUser\Root does not also
// show LocalMachine's roots; to write, the system store, which is the way
// through which Windows asks the user to confirm a change to their roots.
func OpenWinStore(s WinStore, write bool) (CertStore, error) {
	var flags uint32 = windows.CERT_SYSTEM_STORE_CURRENT_USER
	if s == LocalMachineRoot {
		flags = windows.CERT_SYSTEM_STORE_LOCAL_MACHINE
	}
	provider := uintptr(windows.CERT_STORE_PROV_SYSTEM_REGISTRY)
	if write {
		provider = windows.CERT_STORE_PROV_SYSTEM
	} else {
		flags |= windows.CERT_STORE_READONLY_FLAG | windows.CERT_STORE_OPEN_EXISTING_FLAG
	}
	name, err := windows.UTF16PtrFromString("Root")
	if err != nil {
		return nil, err
	}
	// CertOpenStore takes the store's name as its untyped parameter.
	h, err := windows.CertOpenStore(provider, 0, 0, flags, uintptr(unsafe.Pointer(name)))
	runtime.KeepAlive(name)
	if err != nil {
		return nil, winErr("open "+s.String(), err)
	}
	return &winCertStore{h: h, where: s}, nil
}

func winErr(op string, err error) error {
	var errno windows.Errno
	if errors.As(err, &errno) {
		return classifyWinError(op, uint32(errno), err)
	}
	return classifyWinError(op, 0, err)
}

func notFound(err error) bool {
	return errors.Is(err, windows.Errno(windows.CRYPT_E_NOT_FOUND))
}

// each calls f for every certificate with this thumbprint, each time with
// a context of its own that f must free (CertDeleteCertificateFromStore
// frees the context it is given, so the search goes on with the original).
func (s *winCertStore) each(sha1 []byte, f func(c *windows.CertContext) error) error {
	if len(sha1) == 0 {
		return errors.New("empty thumbprint")
	}
	blob := windows.CryptHashBlob{Size: uint32(len(sha1)), Data: &sha1[0]}
	var prev *windows.CertContext
	var errs []error
	for {
		c, err := windows.CertFindCertificateInStore(s.h, certEncoding, 0, windows.CERT_FIND_SHA1_HASH, unsafe.Pointer(&blob), prev)
		if err != nil {
			if notFound(err) {
				return errors.Join(errs...)
			}
			return errors.Join(append(errs, winErr("search "+s.where.String(), err))...)
		}
		if err := f(windows.CertDuplicateCertificateContext(c)); err != nil {
			errs = append(errs, err)
		}
		prev = c // the next search frees it
	}
}

func (s *winCertStore) Count(sha1 []byte) (int, error) {
	n := 0
	err := s.each(sha1, func(c *windows.CertContext) error {
		n++
		return windows.CertFreeCertificateContext(c)
	})
	return n, err
}

func (s *winCertStore) Add(der []byte) error {
	if len(der) == 0 {
		return errors.New("empty certificate")
	}
	c, err := windows.CertCreateCertificateContext(certEncoding, &der[0], uint32(len(der)))
	if err != nil {
		return winErr("read the certificate", err)
	}
	defer windows.CertFreeCertificateContext(c)
	if err := windows.CertAddCertificateContextToStore(s.h, c, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil); err != nil {
		return winErr("add to "+s.where.String(), err)
	}
	return nil
}

func (s *winCertStore) Delete(sha1 []byte) (int, error) {
	n := 0
	err := s.each(sha1, func(c *windows.CertContext) error {
		if err := windows.CertDeleteCertificateFromStore(c); err != nil {
			return winErr("delete from "+s.where.String(), err)
		}
		n++
		return nil
	})
	return n, err
}

func (s *winCertStore) Close() error {
	return windows.CertCloseStore(s.h, 0)
}
