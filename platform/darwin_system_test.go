package platform

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// macRoot is the root the fixtures under testdata/macos describe.
func macRoot(t testing.TB) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile("testdata/macos/root.pem")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeMac answers the security tool from recorded outputs and logs every
// command and every call into smallstep/truststore, in order.
type fakeMac struct {
	t *testing.T
	// find is the find-certificate output fixture; trust the exported
	// trust-settings fixture, "" when the admin domain has none.
	find, trust string
	// exportErr makes trust-settings-export fail as it does without read
	// access.
	exportErr bool
	// sudo is what the runner says to a command that needs root.
	sudo error
	// addErr and removeErr are what smallstep/truststore returns.
	addErr, removeErr error
	log               []string
}

func (f *fakeMac) Run(_ context.Context, c Cmd) ([]byte, error) {
	line := c.String()
	if len(c.Argv) == 4 && c.Argv[1] == "trust-settings-export" {
		line = strings.Replace(line, c.Argv[3], "PLIST", 1)
	}
	if c.Root {
		line = "root: " + line
	}
	f.log = append(f.log, line)
	if c.Root && f.sudo != nil {
		return nil, f.sudo
	}
	switch {
	case slices.Equal(c.Argv, []string{"security", "find-certificate", "-a", "-Z", SystemKeychain}):
		return f.fixture(f.find), nil
	case len(c.Argv) == 4 && c.Argv[1] == "trust-settings-export" && c.Argv[2] == "-d":
		if f.exportErr {
			out := "SecTrustSettingsCreateExternalRepresentation: UNIX[Operation not permitted]"
			return []byte(out), &ExecError{Argv: c.Argv, Output: out, Err: errors.New("exit status 1")}
		}
		if f.trust == "" {
			out := "SecTrustSettingsCreateExternalRepresentation: No Trust Settings were found."
			return []byte(out), &ExecError{Argv: c.Argv, Output: out, Err: errors.New("exit status 1")}
		}
		return nil, os.WriteFile(c.Argv[3], f.fixture(f.trust), 0o600)
	case c.Root:
		return nil, nil
	}
	f.t.Errorf("unexpected command %q", c.Argv)
	return nil, errors.New("unexpected command")
}

func (f *fakeMac) fixture(name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata/macos", name))
	if err != nil {
		f.t.Fatal(err)
	}
	return data
}

func (f *fakeMac) system(isRoot bool) *MacSystem {
	return &MacSystem{
		Runner:  f,
		IsRoot:  isRoot,
		TempDir: f.t.TempDir(),
		Add: func(file string) error {
			f.log = append(f.log, "smallstep InstallFile "+file)
			return f.addErr
		},
		Remove: func(file string) error {
			f.log = append(f.log, "smallstep UninstallFile "+file)
			return f.removeErr
		},
	}
}

const (
	findCmd   = "security find-certificate -a -Z /Library/Keychains/System.keychain"
	exportCmd = "security trust-settings-export -d PLIST"
	rootFile  = "/ca/rootCA.pem"
	addLine   = "security add-trusted-cert -d -r trustRoot -p ssl -p basic -k /Library/Keychains/System.keychain /ca/rootCA.pem"
	rmTrust   = "security remove-trusted-cert -d /ca/rootCA.pem"
	delCert   = "security delete-certificate -Z 33FC3BEE99B5A83ECDE57369B832330B962E82B2 /Library/Keychains/System.keychain"
)

func TestMacStatus(t *testing.T) {
	accept := func(ProbeLeaf) error { return nil }
	reject := func(ProbeLeaf) error { return errors.New("x509: certificate signed by unknown authority") }
	tests := []struct {
		name        string
		find, trust string
		verify      func(ProbeLeaf) error
		trusted     bool
		reason      string
	}{
		{"trusted for SSL", "find-certificate-with-root.txt", "trust-settings-trusted.plist", nil, true, "in the System keychain and trusted for SSL in the admin trust settings"},
		{"trusted, and the OS agrees", "find-certificate-with-root.txt", "trust-settings-trusted.plist", accept, true, "macOS's verifier accepts a leaf it signs"},
		{"settings say trusted, the OS does not", "find-certificate-with-root.txt", "trust-settings-trusted.plist", reject, false, "macOS's verifier rejects a leaf it signs: x509: certificate signed by unknown authority"},
		{"empty trust settings mean always", "find-certificate-with-root.txt", "trust-settings-always.plist", nil, true, "trusted for SSL"},
		{"older security prints SHA-1 only", "find-certificate-sha1-only.txt", "trust-settings-trusted.plist", nil, true, "trusted for SSL"},
		{"in the keychain without trust settings", "find-certificate-with-root.txt", "trust-settings-without-root.plist", reject, false, "in the System keychain but not trusted for SSL (it has no admin trust settings)"},
		{"in the keychain, no admin settings at all", "find-certificate-with-root.txt", "", nil, false, "in the System keychain but not trusted for SSL (it has no admin trust settings)"},
		{"in the keychain, SSL denied", "find-certificate-with-root.txt", "trust-settings-ssl-denied.plist", nil, false, "in the System keychain but not trusted for SSL (its admin trust settings deny it for SSL)"},
		{"keychain only but trusted elsewhere", "find-certificate-with-root.txt", "trust-settings-without-root.plist", accept, true, "trusted through other settings"},
		{"absent", "find-certificate-without-root.txt", "trust-settings-without-root.plist", reject, false, "not in the System keychain; macOS's verifier rejects"},
		{"absent, settings left behind", "find-certificate-without-root.txt", "trust-settings-trusted.plist", nil, false, "not in the System keychain (admin trust settings for it remain)"},
		{"absent but trusted elsewhere", "find-certificate-without-root.txt", "", accept, true, "not in the System keychain, but trusted through another keychain"},
	}
	root := macRoot(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMac{t: t, find: tt.find, trust: tt.trust}
			s := f.system(false)
			sub := Subject{Cert: root, File: rootFile}
			if tt.verify != nil {
				s.Verify = tt.verify
				sub.Probe = func() (ProbeLeaf, error) { return ProbeLeaf{}, nil }
			}
			st, err := s.SubjectState(sub)
			if err != nil {
				t.Fatalf("SubjectState = %v", err)
			}
			trusted, reason := st.Keychain.Verdict()
			if trusted != tt.trusted || !strings.Contains(reason, tt.reason) {
				t.Errorf("Verdict() = %v, %q; want %v, containing %q", trusted, reason, tt.trusted, tt.reason)
			}
			// Status reads as the user: no sudo, nothing changed.
			if want := []string{findCmd, exportCmd}; !slices.Equal(f.log, want) {
				t.Errorf("commands = %q, want %q", f.log, want)
			}
		})
	}
}

func TestMacStatusErrors(t *testing.T) {
	root := macRoot(t)
	f := &fakeMac{t: t, find: "find-certificate-with-root.txt", trust: "trust-settings-garbage.plist"}
	if _, err := f.system(false).State(root); err == nil || !strings.Contains(err.Error(), "can't read the trust settings") {
		t.Errorf("State with an unparseable plist = %v, want a clear error", err)
	}
	f = &fakeMac{t: t, find: "find-certificate-with-root.txt", exportErr: true}
	var ee *ExecError
	if _, err := f.system(false).State(root); !errors.As(err, &ee) || !strings.Contains(err.Error(), "Operation not permitted") {
		t.Errorf("State when the export fails = %v, want its ExecError with the output", err)
	}
	// A leaf that could not be made is said, not taken for a rejection.
	f = &fakeMac{t: t, find: "find-certificate-with-root.txt", trust: "trust-settings-trusted.plist"}
	st, err := f.system(false).SubjectState(Subject{Cert: root, Probe: func() (ProbeLeaf, error) { return ProbeLeaf{}, errors.New("localhost is outside the constraints") }})
	if err != nil {
		t.Fatal(err)
	}
	if ok, reason := st.Keychain.Verdict(); !ok || !strings.Contains(reason, "verifier was not asked (no leaf could be made: localhost is outside") {
		t.Errorf("Verdict without a leaf = %v, %q", ok, reason)
	}
}

func TestTrustOfChecksTheEntry(t *testing.T) {
	root := macRoot(t)
	data, _ := os.ReadFile("testdata/macos/trust-settings-trusted.plist")
	bad := strings.Replace(string(data), "AJw/bgpbHSLkf4oMmz1eb3ASNFZ4", "AJw/bgpbHSLkf4oMmz1eb3ASNFZ5", 1)
	if _, err := TrustOf([]byte(bad), root); err == nil || !strings.Contains(err.Error(), "serial number") {
		t.Errorf("TrustOf with another serial under the root's hash = %v, want an error", err)
	}
	noVersion := strings.Replace(string(data), "<key>trustVersion</key>", "<key>version</key>", 1)
	if _, err := TrustOf([]byte(noVersion), root); err == nil || !strings.Contains(err.Error(), "trustVersion") {
		t.Errorf("TrustOf without trustVersion = %v, want an error", err)
	}
}

// TestMacInstall pins the order: read the state as the user, get root
// through our runner once, then hand the change to smallstep/truststore.
// macPlanCase is one run of an install or uninstall plan on the fake Mac.
type macPlanCase struct {
	name        string
	find, trust string
	isRoot      bool
	sudo        error
	want        []string // what ran, in order
	paste       []string // commands in the NeedRootError; nil when none
}

// runMacPlans reads the state, makes the plan and carries it out, then
// checks what ran and what the user is asked to paste.
func runMacPlans(t *testing.T, tests []macPlanCase, plan func(s *MacSystem, root *x509.Certificate, st SystemState) []Cmd) {
	t.Helper()
	root := macRoot(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeMac{t: t, find: tt.find, trust: tt.trust, sudo: tt.sudo}
			s := f.system(tt.isRoot)
			st, err := s.SubjectState(Subject{Cert: root, File: rootFile})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Apply(context.Background(), plan(s, root, st), nil)
			var nr *NeedRootError
			switch {
			case tt.paste == nil && err != nil:
				t.Fatalf("Apply = %v", err)
			case tt.paste != nil && !errors.As(err, &nr):
				t.Fatalf("Apply = %v, want a NeedRootError", err)
			case tt.paste != nil:
				var got []string
				for _, c := range nr.Commands {
					got = append(got, c.String())
				}
				if !slices.Equal(got, tt.paste) {
					t.Errorf("commands to paste = %q, want %q", got, tt.paste)
				}
			}
			if !slices.Equal(f.log, tt.want) {
				t.Errorf("ran %q, want %q", f.log, tt.want)
			}
		})
	}
}

func TestMacInstall(t *testing.T) {
	refused := &NeedRootError{Reason: "sudo wants a password, which it can't ask for here (no terminal)"}
	tests := []macPlanCase{
		{"not root, sudo works", "find-certificate-without-root.txt", "trust-settings-without-root.plist", false, nil,
			[]string{findCmd, exportCmd, "root: /usr/bin/true", "smallstep InstallFile /ca/rootCA.pem"}, nil},
		{"in the keychain but not for SSL is fixed", "find-certificate-with-root.txt", "trust-settings-ssl-denied.plist", false, nil,
			[]string{findCmd, exportCmd, "root: /usr/bin/true", "smallstep InstallFile /ca/rootCA.pem"}, nil},
		{"sudo refuses", "find-certificate-without-root.txt", "", false, refused,
			[]string{findCmd, exportCmd, "root: /usr/bin/true"}, []string{addLine}},
		{"as root", "find-certificate-without-root.txt", "trust-settings-without-root.plist", true, nil,
			[]string{findCmd, exportCmd, "smallstep InstallFile /ca/rootCA.pem"}, nil},
		{"already trusted: nothing, no sudo", "find-certificate-with-root.txt", "trust-settings-trusted.plist", false, nil,
			[]string{findCmd, exportCmd}, nil},
	}
	runMacPlans(t, tests, func(s *MacSystem, root *x509.Certificate, st SystemState) []Cmd {
		return s.InstallPlan(root, rootFile, st)
	})
}

func TestMacUninstall(t *testing.T) {
	refused := &NeedRootError{Reason: "sudo is not installed"}
	tests := []macPlanCase{
		{"cert and trust settings", "find-certificate-with-root.txt", "trust-settings-trusted.plist", false, nil,
			[]string{findCmd, exportCmd, "root: /usr/bin/true", "smallstep UninstallFile /ca/rootCA.pem", "root: " + delCert}, nil},
		{"as root", "find-certificate-with-root.txt", "trust-settings-trusted.plist", true, nil,
			[]string{findCmd, exportCmd, "smallstep UninstallFile /ca/rootCA.pem", "root: " + delCert}, nil},
		{"cert without settings", "find-certificate-with-root.txt", "trust-settings-without-root.plist", false, nil,
			[]string{findCmd, exportCmd, "root: /usr/bin/true", "root: " + delCert}, nil},
		{"settings without cert", "find-certificate-without-root.txt", "trust-settings-trusted.plist", false, nil,
			[]string{findCmd, exportCmd, "root: /usr/bin/true", "smallstep UninstallFile /ca/rootCA.pem"}, nil},
		{"nothing there: nothing run", "find-certificate-without-root.txt", "", false, nil,
			[]string{findCmd, exportCmd}, nil},
		{"sudo refuses", "find-certificate-with-root.txt", "trust-settings-trusted.plist", false, refused,
			[]string{findCmd, exportCmd, "root: /usr/bin/true"}, []string{rmTrust, delCert}},
	}
	runMacPlans(t, tests, func(s *MacSystem, root *x509.Certificate, st SystemState) []Cmd {
		return s.UninstallPlan(root, st, false)
	})
}

// libCmdError stands in for smallstep/truststore's CmdError, whose Error()
// names only the program.
type libCmdError struct {
	err error
	cmd *exec.Cmd
	out []byte
}

func (e *libCmdError) Error() string  { return "failed to execute security: " + e.err.Error() }
func (e *libCmdError) Err() error     { return e.err }
func (e *libCmdError) Cmd() *exec.Cmd { return e.cmd }
func (e *libCmdError) Out() []byte    { return e.out }

// Every error from smallstep/truststore reaches the user with the command
// line and the output the library keeps to itself.
func TestMacLibraryErrorsSurface(t *testing.T) {
	root := macRoot(t)
	denied := "SecTrustSettingsSetTrustSettings: The authorization was denied since no user interaction was possible.\n"
	f := &fakeMac{t: t, find: "find-certificate-without-root.txt", trust: "trust-settings-without-root.plist",
		addErr: &libCmdError{err: errors.New("exit status 1"), cmd: exec.Command("sudo", "security", "add-trusted-cert", "-d", "-k", SystemKeychain, rootFile), out: []byte(denied)}}
	s := f.system(false)
	st, _ := s.SubjectState(Subject{Cert: root, File: rootFile})
	err := s.Apply(context.Background(), s.InstallPlan(root, rootFile, st), nil)
	var ee *ExecError
	if !errors.As(err, &ee) {
		t.Fatalf("Apply = %v, want an ExecError", err)
	}
	want := "sudo security add-trusted-cert -d -k /Library/Keychains/System.keychain /ca/rootCA.pem failed: exit status 1\n" + strings.TrimSpace(denied)
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	// An error that is not a command keeps its text, marked as the library's.
	f.addErr = errors.New("invalid PEM data")
	err = s.Apply(context.Background(), s.InstallPlan(root, rootFile, st), nil)
	if err == nil || err.Error() != "smallstep/truststore: invalid PEM data" {
		t.Errorf("Apply = %v, want the library's error, marked", err)
	}
	// A failure in our own step is the runner's error, untouched.
	f = &fakeMac{t: t, find: "find-certificate-with-root.txt", trust: "trust-settings-trusted.plist",
		removeErr: &libCmdError{err: errors.New("exit status 1"), cmd: exec.Command("sudo", "security", "remove-trusted-cert", "-d", rootFile), out: []byte("SecTrustSettingsRemoveTrustSettings: The specified item could not be found in the keychain.")}}
	s = f.system(false)
	st, _ = s.SubjectState(Subject{Cert: root, File: rootFile})
	err = s.Apply(context.Background(), s.UninstallPlan(root, st, false), nil)
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "could not be found in the keychain") || slices.Contains(f.log, "root: "+delCert) {
		t.Errorf("Apply after remove-trusted-cert failed = %v (ran %q), want its output and no further step", err, f.log)
	}
}

func FuzzTrustSettings(f *testing.F) {
	for _, name := range []string{"trust-settings-trusted.plist", "trust-settings-always.plist", "trust-settings-ssl-denied.plist", "trust-settings-without-root.plist", "trust-settings-garbage.plist"} {
		data, err := os.ReadFile(filepath.Join("testdata/macos", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	root := macRoot(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := TrustOf(data, root)
		if err != nil && (tr.Found || tr.SSL) {
			t.Errorf("TrustOf = %+v with error %v", tr, err)
		}
		if tr.SSL && !tr.Found {
			t.Errorf("TrustOf = %+v: trusted without an entry", tr)
		}
	})
}
