package truststore

import (
	"context"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/platform"
)

// macRunner plays macOS's security tool: the System keychain holds the
// root when inKeychain, and the admin domain has no trust settings.
type macRunner struct {
	inKeychain bool
	ran        []string
}

func (m *macRunner) Run(_ context.Context, c platform.Cmd) ([]byte, error) {
	m.ran = append(m.ran, c.String())
	return nil, nil
}

func (m *macRunner) with(root *x509.Certificate) platform.Runner {
	return runFunc(func(c platform.Cmd) ([]byte, error) {
		m.Run(context.Background(), c)
		switch c.Argv[1] {
		case "find-certificate":
			if m.inKeychain {
				return fmt.Appendf(nil, "SHA-1 hash: %X\nkeychain: %q\n", sha1.Sum(root.Raw), platform.SystemKeychain), nil
			}
			return nil, nil
		case "trust-settings-export":
			out := "SecTrustSettingsCreateExternalRepresentation: No Trust Settings were found."
			return []byte(out), &platform.ExecError{Argv: c.Argv, Output: out, Err: errors.New("exit status 1")}
		}
		return nil, nil
	})
}

type runFunc func(platform.Cmd) ([]byte, error)

func (f runFunc) Run(_ context.Context, c platform.Cmd) ([]byte, error) { return f(c) }

// The adapter hands the macOS store the root's file and probe, and reports
// its verdict.
func TestSystemMac(t *testing.T) {
	r := testRoot(t)
	leaf := &x509.Certificate{}
	r.Probe = func() (platform.ProbeLeaf, error) { return platform.ProbeLeaf{Leaf: leaf, DNSName: "localhost"}, nil }
	m := &macRunner{inKeychain: true}
	var verified []*x509.Certificate
	var added []string
	mac := &platform.MacSystem{
		Runner:  m.with(r.Cert),
		IsRoot:  true,
		TempDir: t.TempDir(),
		Verify: func(p platform.ProbeLeaf) error {
			verified = append(verified, p.Leaf)
			return errors.New("x509: certificate signed by unknown authority")
		},
		Add:    func(f string) error { added = append(added, f); return nil },
		Remove: func(string) error { return errors.New("not expected") },
	}
	s := &System{Sys: mac}
	st := s.Status(r)
	if st.State != NotTrusted || st.Where != "macOS" || !strings.Contains(st.Reason, "in the System keychain but not trusted for SSL") || !strings.Contains(st.Reason, "verifier rejects") {
		t.Errorf("Status = %+v, want not trusted: in the keychain but not for SSL, and the verifier's no", st)
	}
	if len(verified) != 1 || verified[0] != leaf {
		t.Errorf("verifier saw %v, want the probe's leaf once", verified)
	}
	changed, err := s.Install(context.Background(), r)
	if err != nil || !changed || !slices.Equal(added, []string{r.File}) {
		t.Errorf("Install = %v, %v, added %q; want the root's file added", changed, err, added)
	}
	m.ran = nil
	changed, err = s.Uninstall(context.Background(), r, false)
	del := fmt.Sprintf("security delete-certificate -Z %X /Library/Keychains/System.keychain", sha1.Sum(r.Cert.Raw))
	if err != nil || !changed || len(m.ran) != 3 || m.ran[2] != del {
		t.Errorf("Uninstall = %v, %v, ran %q; want the certificate deleted (no trust settings to remove)", changed, err, m.ran)
	}
}
