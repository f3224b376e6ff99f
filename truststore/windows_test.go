package truststore

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/platform"
)

// fakeWinStores are the two Root stores, each a list of DER certificates
// (duplicates allowed, as Windows allows), and what Windows refuses.
type fakeWinStores struct {
	certs map[platform.WinStore][][]byte
	// elevated: the shell may change LocalMachine\Root.
	elevated bool
	// decline: the user answers No to the dialog for CurrentUser\Root.
	decline bool
	log     []string
}

func (f *fakeWinStores) open(s platform.WinStore, write bool) (platform.CertStore, error) {
	f.log = append(f.log, fmt.Sprintf("open %s write=%v", s, write))
	if write && s == platform.LocalMachineRoot && !f.elevated {
		return nil, fmt.Errorf("open %s: %w", s, platform.ErrAccessDenied)
	}
	return &fakeWinStore{f: f, s: s}, nil
}

// holds counts the certificates in s whose SHA-1 is that of der.
func (f *fakeWinStores) holds(s platform.WinStore, der []byte) int {
	n := 0
	for _, c := range f.certs[s] {
		if bytes.Equal(c, der) {
			n++
		}
	}
	return n
}

type fakeWinStore struct {
	f *fakeWinStores
	s platform.WinStore
}

func (s *fakeWinStore) Count(sum []byte) (int, error) {
	n := 0
	for _, c := range s.f.certs[s.s] {
		if h := sha1.Sum(c); bytes.Equal(h[:], sum) {
			n++
		}
	}
	return n, nil
}

func (s *fakeWinStore) Add(der []byte) error {
	s.f.log = append(s.f.log, "add to "+s.s.String())
	if s.s == platform.CurrentUserRoot && s.f.decline {
		return fmt.Errorf("add: %w", platform.ErrCancelled)
	}
	s.f.certs[s.s] = append(s.f.certs[s.s], der)
	return nil
}

func (s *fakeWinStore) Delete(sum []byte) (int, error) {
	s.f.log = append(s.f.log, "delete from "+s.s.String())
	var kept [][]byte
	n := 0
	for _, c := range s.f.certs[s.s] {
		if h := sha1.Sum(c); bytes.Equal(h[:], sum) {
			n++
			continue
		}
		kept = append(kept, c)
	}
	s.f.certs[s.s] = kept
	return n, nil
}

func (s *fakeWinStore) Close() error { return nil }

// newWindows is the Windows store over f, whose verifier (standing in
// for the CryptoAPI chain engine) accepts the root when either store
// holds it.
func newWindows(f *fakeWinStores, machine bool) *Windows {
	return &Windows{
		Open:    f.open,
		Machine: machine,
		Verify: func(r Root) error {
			if f.holds(platform.CurrentUserRoot, r.Cert.Raw)+f.holds(platform.LocalMachineRoot, r.Cert.Raw) > 0 {
				return nil
			}
			return errors.New("certificate signed by unknown authority")
		},
		Notify: func(msg string) { f.log = append(f.log, "NOTIFY "+msg) },
	}
}

func TestWindowsUserStore(t *testing.T) {
	r := fixtureRoot(t)
	other := testRoot(t).Cert.Raw
	f := &fakeWinStores{certs: map[platform.WinStore][][]byte{platform.CurrentUserRoot: {other}}}
	w := newWindows(f, false)

	st := w.Status(r)
	if st.State != NotTrusted || st.Where != `CurrentUser\Root` || st.Reason != `not in CurrentUser\Root` {
		t.Errorf("Status before = %+v", st)
	}
	if len(st.Checked) != 3 || !strings.Contains(st.Checked[2], "rejects a leaf the CA issues: certificate signed by unknown authority") {
		t.Errorf("Checked = %q", st.Checked)
	}
	f.log = nil
	changed, err := w.Install(context.Background(), r)
	if err != nil || !changed {
		t.Fatalf("Install = %v, %v", changed, err)
	}
	want := []string{
		`open CurrentUser\Root write=false`,
		`NOTIFY Windows will now ask you to confirm adding "vouch root root@vm" to your Root store: check that its thumbprint (sha1) is 0F6ABBBDE64985AD491BC9436CD00E2D08024095 and answer Yes`,
		`open CurrentUser\Root write=true`,
		`add to CurrentUser\Root`,
	}
	if !slices.Equal(f.log, want) {
		t.Errorf("install did\n%s\nwant\n%s", strings.Join(f.log, "\n"), strings.Join(want, "\n"))
	}
	if n := f.holds(platform.CurrentUserRoot, r.Cert.Raw); n != 1 || f.holds(platform.LocalMachineRoot, r.Cert.Raw) != 0 {
		t.Errorf("after install CurrentUser holds %d copies, LocalMachine %d", n, f.holds(platform.LocalMachineRoot, r.Cert.Raw))
	}
	if st := w.Status(r); st.State != Trusted || !strings.Contains(st.Reason, `in CurrentUser\Root (SHA-1 0F6ABBBDE64985AD491BC9436CD00E2D08024095)`) {
		t.Errorf("Status after install = %+v", st)
	}
	f.log = nil
	if changed, err := w.Install(context.Background(), r); changed || err != nil || len(f.log) != 1 {
		t.Errorf("second Install = %v, %v, did %q; want only a read", changed, err, f.log)
	}

	// A second copy (added by hand, or by another tool) goes too; the
	// other root stays.
	f.certs[platform.CurrentUserRoot] = append(f.certs[platform.CurrentUserRoot], r.Cert.Raw)
	changed, err = w.Uninstall(context.Background(), r, false)
	if err != nil || !changed {
		t.Fatalf("Uninstall = %v, %v", changed, err)
	}
	if got := f.certs[platform.CurrentUserRoot]; len(got) != 1 || !bytes.Equal(got[0], other) {
		t.Errorf("after uninstall CurrentUser holds %d certificates, want only the other root", len(got))
	}
	if st := w.Status(r); st.State != NotTrusted {
		t.Errorf("Status after uninstall = %+v", st)
	}
	f.log = nil
	if changed, err := w.Uninstall(context.Background(), r, false); changed || err != nil || len(f.log) != 1 {
		t.Errorf("Uninstall when absent = %v, %v, did %q", changed, err, f.log)
	}
}

func TestWindowsDialogDeclined(t *testing.T) {
	r := fixtureRoot(t)
	f := &fakeWinStores{certs: map[platform.WinStore][][]byte{}, decline: true}
	_, err := newWindows(f, false).Install(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), `you answered No in Windows' dialog, so CurrentUser\Root was left as it was`) {
		t.Errorf("Install declined = %v", err)
	}
}

func TestWindowsMachineStore(t *testing.T) {
	r := fixtureRoot(t)
	f := &fakeWinStores{certs: map[platform.WinStore][][]byte{}}
	w := newWindows(f, true)
	for _, verb := range []string{"install", "uninstall"} {
		if verb == "uninstall" {
			f.certs[platform.LocalMachineRoot] = [][]byte{r.Cert.Raw}
		}
		var err error
		if verb == "install" {
			_, err = w.Install(context.Background(), r)
		} else {
			_, err = w.Uninstall(context.Background(), r, false)
		}
		var ee *ElevationError
		if !errors.As(err, &ee) || ee.Error() != `LocalMachine\Root needs an elevated shell` || ee.Command != "vouch "+verb+" --machine" || !errors.Is(err, platform.ErrAccessDenied) {
			t.Errorf("%s --machine, not elevated: %v (%#v)", verb, err, ee)
		}
	}
	if f.holds(platform.LocalMachineRoot, r.Cert.Raw) != 1 {
		t.Errorf("a refused uninstall changed LocalMachine\\Root")
	}

	f.elevated = true
	f.certs[platform.LocalMachineRoot] = nil
	if changed, err := w.Install(context.Background(), r); !changed || err != nil {
		t.Fatalf("elevated Install = %v, %v", changed, err)
	}
	if f.holds(platform.LocalMachineRoot, r.Cert.Raw) != 1 || f.holds(platform.CurrentUserRoot, r.Cert.Raw) != 0 {
		t.Errorf("--machine install went to the wrong store: %v", f.certs)
	}
	for _, l := range f.log {
		if strings.HasPrefix(l, "NOTIFY") {
			t.Errorf("--machine announced a dialog: %s", l)
		}
	}
	if st := w.Status(r); st.State != Trusted || st.Where != `LocalMachine\Root` {
		t.Errorf("Status --machine = %+v", st)
	}
	// Seen without --machine, the root is trusted through the machine's
	// store, and status says which command takes it out.
	st := newWindows(f, false).Status(r)
	if st.State != Trusted || !strings.Contains(st.Reason, `in LocalMachine\Root, not CurrentUser\Root, so only vouch uninstall --machine takes it out`) {
		t.Errorf("Status without --machine = %+v", st)
	}
	if changed, err := w.Uninstall(context.Background(), r, false); !changed || err != nil || f.holds(platform.LocalMachineRoot, r.Cert.Raw) != 0 {
		t.Errorf("elevated Uninstall = %v, %v", changed, err)
	}
}

func TestWindowsVerdicts(t *testing.T) {
	r := fixtureRoot(t)
	f := &fakeWinStores{certs: map[platform.WinStore][][]byte{platform.CurrentUserRoot: {r.Cert.Raw}}}
	w := newWindows(f, false)
	w.Verify = func(Root) error { return errors.New("the root is disabled by policy") }
	if st := w.Status(r); st.State != NotTrusted || !strings.Contains(st.Reason, "Windows rejects a leaf the CA issues") || !strings.Contains(st.Reason, "disabled by policy") {
		t.Errorf("in the store but rejected: %+v", st)
	}
	f.certs[platform.CurrentUserRoot] = nil
	w.Verify = func(Root) error { return nil }
	if st := w.Status(r); st.State != Trusted || !strings.Contains(st.Reason, "vouch uninstall will not remove it") {
		t.Errorf("trusted through neither store: %+v", st)
	}
	w.Open = func(platform.WinStore, bool) (platform.CertStore, error) {
		return nil, errors.New("the store is locked")
	}
	if st := w.Status(r); st.State != Failed || !strings.Contains(st.Reason, "the store is locked") {
		t.Errorf("unreadable store: %+v", st)
	}
}

// VerifyLeaf hands the leaf and its intermediate to Go's verifier with
// this machine's roots, which do not hold a CA made here.
func TestVerifyLeaf(t *testing.T) {
	r := fixtureRoot(t)
	if err := VerifyLeaf(r); err == nil || !strings.Contains(err.Error(), "no CA key") {
		t.Errorf("VerifyLeaf without Leaf = %v", err)
	}
	r.Probe = func() (platform.ProbeLeaf, error) { return platform.ProbeLeaf{}, errors.New("CA expired") }
	if err := VerifyLeaf(r); err == nil || !strings.Contains(err.Error(), "CA expired") {
		t.Errorf("VerifyLeaf with a failing issuer = %v", err)
	}

	mk := func(tmpl, parent *x509.Certificate, pub any, key *ecdsa.PrivateKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := func(n int64, cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	root := mk(ca(1, "test root"), ca(1, "test root"), rootKey.Public(), rootKey)
	inter := mk(ca(2, "test issuer"), root, interKey.Public(), rootKey)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(3), DNSNames: []string{"localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, inter, leafKey.Public(), interKey)
	r = Root{Cert: root, Probe: func() (platform.ProbeLeaf, error) {
		return platform.ProbeLeaf{Leaf: leaf, Intermediates: []*x509.Certificate{inter}, DNSName: "localhost"}, nil
	}}
	err := VerifyLeaf(r)
	if err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Errorf("VerifyLeaf(a root this machine does not trust) = %v, want unknown authority", err)
	}
}
