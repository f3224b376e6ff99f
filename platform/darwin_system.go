package platform

// The macOS system store's decisions live here, without a build tag, so
// they are tested on any machine: which commands run and in which order,
// which keychain, how the admin trust settings are read, and what the
// verdict is. system_darwin.go only wires in smallstep/truststore.

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"howett.net/plist"
)

// SystemKeychain is where vouch puts its root on macOS: the keychain every
// account's TLS clients read. Its trust comes from the admin trust-settings
// domain (security's -d flag), not from the keychain itself.
const SystemKeychain = "/Library/Keychains/System.keychain"

// sudoCheck is run as root before smallstep/truststore is called. That
// library runs `sudo security …` itself; running this first through our
// runner means the password prompt is vouch's, a refusing `sudo -n` becomes
// a NeedRootError with the commands to paste, and the library's own sudo
// then finds the credentials sudo just cached.
var sudoCheck = Cmd{Argv: []string{"/usr/bin/true"}, Root: true}

// ProbeLeaf is a throwaway leaf signed by the root's issuing CA, made in
// memory so the operating system's own verifier can be asked whether it
// trusts what the root vouches for.
type ProbeLeaf struct {
	Leaf          *x509.Certificate
	Intermediates []*x509.Certificate
	DNSName       string
}

// Probe makes a ProbeLeaf; it is called only by stores that ask the OS.
type Probe func() (ProbeLeaf, error)

// Subject is the root as a system store that needs more than the
// certificate sees it: its file (macOS's tools read one) and a probe.
type Subject struct {
	Cert  *x509.Certificate
	File  string
	Probe Probe
}

// SubjectSystem is a System whose state is read from a Subject. The
// truststore adapter prefers SubjectState to State when a store has it.
type SubjectSystem interface {
	SubjectState(s Subject) (SystemState, error)
}

// VerifyWithOS asks Go's verifier with no roots of its own, which on macOS
// and Windows is the operating system's verifier (on macOS,
// SecTrustEvaluateWithError, which reads the keychains and trust settings
// anew on each call).
func VerifyWithOS(p ProbeLeaf) error {
	pool := x509.NewCertPool()
	for _, c := range p.Intermediates {
		pool.AddCert(c)
	}
	_, err := p.Leaf.Verify(x509.VerifyOptions{DNSName: p.DNSName, Intermediates: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// MacSystem is the macOS system store: the System keychain and the admin
// trust settings.
type MacSystem struct {
	Runner Runner
	// IsRoot: no sudo check before the changes.
	IsRoot bool
	// Verify asks the OS about a probe leaf (VerifyWithOS when nil).
	Verify func(ProbeLeaf) error
	// Add and Remove carry out the steps smallstep/truststore owns: add
	// the root as trusted for SSL, and remove its admin trust settings.
	// Both take the root's file.
	Add    func(rootFile string) error
	Remove func(rootFile string) error
	// TempDir holds the exported trust settings for a moment (os.TempDir
	// when empty).
	TempDir string
}

// KeychainState is what macOS says about one root.
type KeychainState struct {
	// InKeychain: the System keychain holds the certificate.
	InKeychain bool
	// Trust is what the admin trust settings say about it.
	Trust RootTrust
	// Probed: the OS verifier was asked about a leaf; VerifyErr is its
	// answer (nil: trusted). ProbeErr is why no leaf could be made.
	Probed    bool
	VerifyErr error
	ProbeErr  error
	// File is the root's file, which removing trust settings reads.
	File string
}

// RootTrust is what the admin trust settings say about one certificate.
type RootTrust struct {
	// Found: the settings hold an entry for the certificate.
	Found bool
	// SSL: that entry makes it a trusted root for TLS servers.
	SSL bool
	// Why explains SSL when it is false and Found is true.
	Why string
}

// The trust settings' policy identifiers, as they appear in an exported
// plist (the OID's DER body) and by name.
var (
	policySSL     = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x01, 0x03} // 1.2.840.113635.100.1.3
	policySSLName = "sslServer"
)

// Results a usage constraint can give (SecTrustSettingsResult).
const (
	resultInvalid     = 0
	resultTrustRoot   = 1
	resultTrustAsRoot = 2
	resultDeny        = 3
	resultUnspecified = 4
)

// trustSettingsFile is `security trust-settings-export`'s plist.
type trustSettingsFile struct {
	TrustList    map[string]trustEntry `plist:"trustList"`
	TrustVersion *uint64               `plist:"trustVersion"`
}

// trustEntry is one certificate's settings; its key in trustList is the
// certificate's SHA-1 in upper-case hex.
type trustEntry struct {
	IssuerName   []byte             `plist:"issuerName"`
	SerialNumber []byte             `plist:"serialNumber"`
	Settings     *[]usageConstraint `plist:"trustSettings"`
}

type usageConstraint struct {
	Policy       []byte  `plist:"kSecTrustSettingsPolicy"`
	PolicyName   string  `plist:"kSecTrustSettingsPolicyName"`
	PolicyString string  `plist:"kSecTrustSettingsPolicyString"`
	Application  []byte  `plist:"kSecTrustSettingsApplication"`
	Result       *uint64 `plist:"kSecTrustSettingsResult"`
}

// parseTrustSettings reads an exported trust-settings plist (XML or
// binary). It is fed what a system tool wrote, so it takes nothing for
// granted.
func parseTrustSettings(data []byte) (map[string]trustEntry, error) {
	var f trustSettingsFile
	if _, err := plist.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("can't read the trust settings: %w", err)
	}
	if f.TrustVersion == nil || *f.TrustVersion != 1 {
		v := "none"
		if f.TrustVersion != nil {
			v = fmt.Sprint(*f.TrustVersion)
		}
		return nil, fmt.Errorf("can't read the trust settings: trustVersion %s, want 1", v)
	}
	if f.TrustList == nil {
		return nil, errors.New("can't read the trust settings: no trustList")
	}
	return f.TrustList, nil
}

// keychainHash is how the trust settings and `security find-certificate
// -Z` name a certificate.
func keychainHash(c *x509.Certificate) string {
	return fmt.Sprintf("%X", sha1.Sum(c.Raw))
}

// TrustOf finds cert's entry in exported admin trust settings and says
// whether it makes cert a trusted root for SSL.
func TrustOf(data []byte, cert *x509.Certificate) (RootTrust, error) {
	list, err := parseTrustSettings(data)
	if err != nil {
		return RootTrust{}, err
	}
	e, ok := list[keychainHash(cert)]
	if !ok {
		return RootTrust{}, nil
	}
	// The key is a hash; the issuer and serial are there to check it.
	if e.IssuerName != nil && !bytes.Equal(e.IssuerName, cert.RawIssuer) {
		return RootTrust{}, fmt.Errorf("the trust settings entry %s names another issuer than the root's", keychainHash(cert))
	}
	if e.SerialNumber != nil && new(big.Int).SetBytes(e.SerialNumber).Cmp(cert.SerialNumber) != 0 {
		return RootTrust{}, fmt.Errorf("the trust settings entry %s has another serial number than the root's", keychainHash(cert))
	}
	t := RootTrust{Found: true}
	t.SSL, t.Why = sslTrust(e.Settings)
	return t, nil
}

// sslTrust applies macOS's rule for a self-signed root: the first usage
// constraint that applies to SSL and gives a definite result decides; an
// empty list means "always trust"; a constraint without a result means
// trustRoot. Constraints narrowed to one host or one application don't
// count: they trust it for that use only.
func sslTrust(settings *[]usageConstraint) (bool, string) {
	if settings == nil {
		return false, "its trust settings entry has no trustSettings list"
	}
	if len(*settings) == 0 {
		return true, ""
	}
	for _, u := range *settings {
		if !u.appliesToSSL() || u.PolicyString != "" || u.Application != nil {
			continue
		}
		r := uint64(resultTrustRoot)
		if u.Result != nil {
			r = *u.Result
		}
		switch r {
		case resultUnspecified:
			continue
		case resultTrustRoot:
			return true, ""
		case resultDeny:
			return false, "its admin trust settings deny it for SSL"
		default:
			return false, fmt.Sprintf("its admin trust settings give SSL the result %d, not trustRoot (1)", r)
		}
	}
	return false, "its admin trust settings say nothing for SSL"
}

func (u usageConstraint) appliesToSSL() bool {
	switch {
	case u.Policy != nil:
		return bytes.Equal(u.Policy, policySSL)
	case u.PolicyName != "":
		return u.PolicyName == policySSLName
	}
	return true // no policy: every policy
}

// inKeychain reads `security find-certificate -a -Z` output: per
// certificate a "SHA-256 hash: HEX" line (newer macOS) and a "SHA-1 hash:
// HEX" line, upper-case, then its attributes.
func inKeychain(out []byte, c *x509.Certificate) bool {
	want := map[string]string{
		"SHA-1 hash:":   keychainHash(c),
		"SHA-256 hash:": fmt.Sprintf("%X", sha256Sum(c.Raw)),
	}
	for raw := range bytes.Lines(out) {
		line := strings.TrimSpace(string(raw))
		for prefix, hash := range want {
			if v, ok := strings.CutPrefix(line, prefix); ok && strings.EqualFold(strings.TrimSpace(v), hash) {
				return true
			}
		}
	}
	return false
}

// noTrustSettings is what trust-settings-export prints (and exits 1) when
// the domain has no settings at all.
const noTrustSettings = "No Trust Settings were found"

func findCertificateCmd() Cmd {
	return Cmd{Argv: []string{"security", "find-certificate", "-a", "-Z", SystemKeychain}}
}

func exportTrustCmd(file string) Cmd {
	return Cmd{Argv: []string{"security", "trust-settings-export", "-d", file}}
}

// State reads the keychain and trust settings, without the OS verifier.
// keep does not matter here: macOS has no vouch-named anchors to call
// stale.
func (s *MacSystem) State(root *x509.Certificate, keep ...*x509.Certificate) (SystemState, error) {
	return s.SubjectState(Subject{Cert: root})
}

// SubjectState reads, changing nothing and as the user (no sudo): whether
// the System keychain holds the root, what the admin trust settings say,
// and, with a probe, whether macOS's verifier trusts a leaf of it.
func (s *MacSystem) SubjectState(sub Subject) (SystemState, error) {
	ctx := context.Background()
	st := SystemState{Layout: Layout{Name: "macOS", Bundle: SystemKeychain}, Checked: []string{SystemKeychain, "admin trust settings"}}
	ks := &KeychainState{File: sub.File}
	st.Keychain = ks
	out, err := s.Runner.Run(ctx, findCertificateCmd())
	if err != nil {
		return st, err
	}
	ks.InKeychain = inKeychain(out, sub.Cert)
	if ks.Trust, err = s.readTrust(ctx, sub.Cert); err != nil {
		return st, err
	}
	if sub.Probe != nil {
		p, err := sub.Probe()
		if err != nil {
			ks.ProbeErr = err
		} else {
			verify := s.Verify
			if verify == nil {
				verify = VerifyWithOS
			}
			ks.Probed, ks.VerifyErr = true, verify(p)
		}
	}
	return st, nil
}

func (s *MacSystem) readTrust(ctx context.Context, root *x509.Certificate) (RootTrust, error) {
	dir, err := os.MkdirTemp(s.TempDir, "vouch-trust-")
	if err != nil {
		return RootTrust{}, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "admin.plist")
	if out, err := s.Runner.Run(ctx, exportTrustCmd(file)); err != nil {
		if strings.Contains(string(out), noTrustSettings) {
			return RootTrust{}, nil
		}
		return RootTrust{}, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return RootTrust{}, fmt.Errorf("security trust-settings-export wrote no file: %w", err)
	}
	return TrustOf(data, root)
}

// addCmd is the one command that leaves the root as Add leaves it: in the
// System keychain, a trusted root for SSL and basic X.509 in the admin
// domain. Add itself (smallstep/truststore) gets there in three steps:
// add-trusted-cert without -r or -p, then exporting, editing and importing
// the admin trust settings to set sslServer and basicX509 to trustRoot.
// This form is the one users paste when vouch can't get root.
func addCmd(rootFile string) Cmd {
	return Cmd{Argv: []string{"security", "add-trusted-cert", "-d", "-r", "trustRoot", "-p", "ssl", "-p", "basic", "-k", SystemKeychain, rootFile}, Root: true}
}

// removeTrustCmd removes the root's admin trust settings (what Remove
// runs); it leaves the certificate in the keychain.
func removeTrustCmd(rootFile string) Cmd {
	return Cmd{Argv: []string{"security", "remove-trusted-cert", "-d", rootFile}, Root: true}
}

// deleteCertCmd takes the certificate itself out of the System keychain.
func deleteCertCmd(root *x509.Certificate) Cmd {
	return Cmd{Argv: []string{"security", "delete-certificate", "-Z", keychainHash(root), SystemKeychain}, Root: true}
}

// InstallPlan adds the root unless the keychain holds it and the admin
// trust settings already trust it for SSL. Adding again when it is only
// in the keychain is what fixes "in the keychain but not trusted for SSL".
func (s *MacSystem) InstallPlan(root *x509.Certificate, rootFile string, st SystemState) []Cmd {
	if ks := st.Keychain; ks != nil && ks.InKeychain && ks.Trust.SSL {
		return nil
	}
	return []Cmd{addCmd(rootFile)}
}

// UninstallPlan removes the root's admin trust settings, then the
// certificate; each only when present, since remove-trusted-cert fails on
// a certificate without settings. all changes nothing here: vouch finds
// its other roots in the keychain by no name of its own.
func (s *MacSystem) UninstallPlan(root *x509.Certificate, st SystemState, all bool) []Cmd {
	ks := st.Keychain
	if ks == nil {
		return nil
	}
	var plan []Cmd
	if ks.Trust.Found {
		plan = append(plan, removeTrustCmd(ks.File))
	}
	if ks.InKeychain {
		plan = append(plan, deleteCertCmd(root))
	}
	return plan
}

// Apply gets root once through the runner (unless vouch is root), then
// runs the plan: add-trusted-cert and remove-trusted-cert through
// smallstep/truststore, anything else through the runner. When sudo
// refuses, the error carries the whole plan to paste into a root shell.
func (s *MacSystem) Apply(ctx context.Context, plan []Cmd, rootPEM []byte) error {
	if len(plan) == 0 {
		return nil
	}
	if !s.IsRoot {
		if _, err := s.Runner.Run(ctx, sudoCheck); err != nil {
			var nr *NeedRootError
			if errors.As(err, &nr) {
				nr.Commands = plan
			}
			return err
		}
	}
	for _, c := range plan {
		var err error
		switch {
		case len(c.Argv) > 1 && c.Argv[1] == "add-trusted-cert":
			err = surfaceCmdError(s.Add(c.Argv[len(c.Argv)-1]))
		case len(c.Argv) > 1 && c.Argv[1] == "remove-trusted-cert":
			err = surfaceCmdError(s.Remove(c.Argv[len(c.Argv)-1]))
		default:
			_, err = s.Runner.Run(ctx, c)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// cmdError is smallstep/truststore's CmdError as seen from here: its
// Error() names only the program, so the command line and its output are
// taken from it.
type cmdError interface {
	error
	Err() error
	Cmd() *exec.Cmd
	Out() []byte
}

// surfaceCmdError turns a failed command inside smallstep/truststore into
// an ExecError with the command line and what it printed; other errors
// keep their text, marked as the library's.
func surfaceCmdError(err error) error {
	if err == nil {
		return nil
	}
	var ce cmdError
	if errors.As(err, &ce) && ce.Cmd() != nil {
		return &ExecError{Argv: ce.Cmd().Args, Output: strings.TrimSpace(string(ce.Out())), Err: ce.Err()}
	}
	return fmt.Errorf("smallstep/truststore: %w", err)
}

// Verdict is the macOS store's answer: trusted or not, and why.
func (k *KeychainState) Verdict() (trusted bool, reason string) {
	var osSays string
	switch {
	case k.Probed && k.VerifyErr == nil:
		osSays = "macOS's verifier accepts a leaf it signs"
	case k.Probed:
		osSays = fmt.Sprintf("macOS's verifier rejects a leaf it signs: %v", k.VerifyErr)
	case k.ProbeErr != nil:
		osSays = fmt.Sprintf("macOS's verifier was not asked (no leaf could be made: %v)", k.ProbeErr)
	}
	join := func(s string) string {
		if osSays == "" {
			return s
		}
		return s + "; " + osSays
	}
	osOK := k.Probed && k.VerifyErr == nil
	switch {
	case k.InKeychain && k.Trust.SSL:
		if k.Probed && !osOK {
			return false, join("in the System keychain and trusted for SSL in the admin trust settings")
		}
		return true, join("in the System keychain and trusted for SSL in the admin trust settings")
	case k.InKeychain:
		why := k.Trust.Why
		if !k.Trust.Found {
			why = "it has no admin trust settings"
		}
		if osOK {
			return true, join(fmt.Sprintf("in the System keychain but not trusted for SSL there (%s); trusted through other settings (a user's or a profile's), which vouch uninstall will not remove", why))
		}
		return false, join(fmt.Sprintf("in the System keychain but not trusted for SSL (%s)", why))
	case osOK:
		return true, join("not in the System keychain, but trusted through another keychain or a profile, which vouch uninstall will not remove")
	case k.Trust.Found:
		return false, join("not in the System keychain (admin trust settings for it remain)")
	}
	return false, join("not in the System keychain")
}
