//go:build linux

package e2e

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// TestTrustMatrix serves vouch-issued and forged leaves from real TLS
// servers and asks every real client whether it trusts them, with the vouch
// root as its only added trust anchor. A leaf vouch issues must be accepted;
// a leaf forged with the leaked issuing key must be accepted for a permitted
// name (so the forging is sound) and rejected by every client as soon as it
// names anything outside the CA's name constraints, whatever the SAN type.
//
// A few verdicts differ from a case's wanted one for a reason that is the
// client's, not vouch's; knownDeviations lists them with that reason, the
// test holds the client to the observed verdict, and the matrix marks it.
func TestTrustMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real TLS clients and browsers; skipped with -short")
	}
	began := time.Now()

	ca, legit := newVouchCA(t, "localhost", "127.0.0.1", "::1")
	checkPremise(t, ca)
	legitURI := ca.issue(t, "vouch-uri", "localhost", "https://localhost/")
	legitEmail := ca.issue(t, "vouch-email", "localhost", "me@localhost")
	legitEmailTest := ca.issue(t, "vouch-email-test", "localhost", "dev@x.test")
	forgedLocal := ca.forge(t, "forged-localhost", []string{"localhost"}, nil, nil)
	forgedEvil := ca.forge(t, "forged-evil", []string{"evil.com"}, nil, nil)
	forgedEmail := ca.forge(t, "forged-email", []string{"localhost"}, []string{"x@evil.com"}, nil)
	forgedURI := ca.forge(t, "forged-uri", []string{"localhost"}, nil, []string{"https://evil.com/"})

	cases := []struct {
		name  string
		about string
		leaf  *leaf
		host  string
		want  bool // accepted
	}{
		{"v:localhost", "vouch leaf for localhost 127.0.0.1 ::1, asked for localhost", legit, "localhost", true},
		{"v:127.0.0.1", "the same leaf, asked for 127.0.0.1", legit, "127.0.0.1", true},
		{"v:+uri", "vouch leaf for localhost and URI https://localhost/", legitURI, "localhost", true},
		{"v:+email", "vouch leaf for localhost and email me@localhost", legitEmail, "localhost", true},
		{"v:+email.test", "vouch leaf for localhost and email dev@x.test", legitEmailTest, "localhost", true},
		{"f:localhost", "forged with the leaked issuing key for localhost (in bounds: control)", forgedLocal, "localhost", true},
		{"f:evil.com", "forged for evil.com, asked for evil.com", forgedEvil, "evil.com", false},
		{"f:+email", "forged for localhost and email x@evil.com", forgedEmail, "localhost", false},
		{"f:+uri", "forged for localhost and URI https://evil.com/", forgedURI, "localhost", false},
	}
	servers := map[*leaf]*server{}
	targets := make([]target, len(cases))
	for i, tc := range cases {
		s, ok := servers[tc.leaf]
		if !ok {
			s = serve(t, tc.leaf)
			servers[tc.leaf] = s
		}
		twin := selfSignedTwin(t, tc.leaf)
		ts := serve(t, twin)
		targets[i] = target{host: tc.host, port: s.port, marker: s.marker, leaf: tc.leaf,
			twin: &target{host: tc.host, port: ts.port, marker: ts.marker, leaf: twin}}
	}

	var names, legend []string
	for _, tc := range cases {
		names = append(names, tc.name)
		legend = append(legend, fmt.Sprintf("%-14s %s", tc.name, tc.about))
	}
	mx := newMatrix(names)
	t.Run("client", func(t *testing.T) {
		for _, c := range clients() {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				if missing := missingTool(c.tools); missing != "" {
					mx.skip(c.name, "not run: "+missing+" is missing")
				}
				requireTools(t, c.tools...)
				sess := c.start(t, ca)
				outs := make([]outcome, len(cases))
				errs := make([]error, len(cases))
				for i := range cases {
					outs[i], errs[i] = sess.check(t.Context(), targets[i])
				}
				// The same browser told to ignore certificate errors must
				// show each page it rejected, or the rejection proved nothing.
				ctlOuts := make([]outcome, len(cases))
				ctlErrs := make([]error, len(cases))
				rejected := func(i int) bool { return errs[i] == nil && !outs[i].accepted }
				if sess.control != nil {
					for i := range cases {
						if rejected(i) {
							ctlOuts[i], ctlErrs[i] = sess.control(t.Context(), targets[i])
						}
					}
				}
				if sess.explain != nil {
					sess.explain(targets, outs)
				}
				for i, tc := range cases {
					got, err := outs[i], errs[i]
					want := tc.want
					known := knownDeviations[[2]string{c.name, tc.name}]
					if known != "" {
						want = !want
					}
					mx.record(c.name, tc.name, got, err, want, known)
					if err != nil {
						t.Errorf("%s(%s): %v", c.name, tc.name, err)
					} else if got.accepted != want {
						t.Errorf("%s(%s %s) = %s, want %s: %s", c.name, tc.name, targets[i].url(),
							verdictWord(got.accepted), verdictWord(want), got.detail)
					}
				}
				if sess.control == nil {
					return
				}
				row := c.name + " " + c.controlLabel
				for i, tc := range cases {
					if !rejected(i) {
						continue
					}
					got, err := ctlOuts[i], ctlErrs[i]
					mx.record(row, tc.name, got, err, true, "")
					if err != nil {
						t.Errorf("%s(%s): %v", row, tc.name, err)
					} else if !got.accepted {
						t.Errorf("%s(%s) = reject, want accept (the probe cannot see the page): %s", row, tc.name, got.detail)
					}
				}
			})
		}
	})

	report := mx.String() + "\ncases:\n  " + strings.Join(legend, "\n  ") + "\n" + fmt.Sprintf("\nvouch binary: %s\nelapsed: %v\n", vouchBin, time.Since(began).Round(time.Second))
	t.Log("\n" + report)
	if dir := os.Getenv("VOUCH_E2E_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "trust-matrix.txt"), []byte(report), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// knownDeviations are verdicts, by client and case, that are the opposite of
// the case's wanted one, with the reason.
var knownDeviations = map[[2]string]string{
	{"chromium", "v:+uri"}: "Chromium's verifier (BoringSSL pki) processes DNS, IP, email and directory-name " +
		"constraints only; it rejects any URI SAN under a CA whose critical constraints include URI subtrees, " +
		"as RFC 5280 4.2.1.10 allows, so an in-bounds URI is rejected too",
	{"firefox", "v:+uri"}: "Firefox's verifier (mozilla::pkix) does not process URI constraints either; it rejects " +
		"any URI SAN under a CA with URI subtrees (SEC_ERROR_CERT_NOT_IN_NAME_SPACE), in bounds or not",
}

// checkPremise checks the CA folder is what the matrix relies on: a
// self-signed root whose key is not kept, an issuing CA under it, and name
// constraints on both covering every SAN type.
func checkPremise(t *testing.T, ca *vouchCA) {
	t.Helper()
	if err := ca.root.CheckSignatureFrom(ca.root); err != nil {
		t.Errorf("rootCA.pem CheckSignatureFrom(itself) = %v, want nil", err)
	}
	if err := ca.inter.CheckSignatureFrom(ca.root); err != nil {
		t.Errorf("intermediateCA.pem CheckSignatureFrom(root) = %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(ca.dir, "rootCA-key.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("os.Stat(rootCA-key.pem) = %v, want not exist (the root key is never stored)", err)
	}
	fi, err := os.Stat(filepath.Join(ca.dir, "intermediateCA-key.pem"))
	if err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o400 {
		t.Errorf("intermediateCA-key.pem mode = %v, want %v", fi.Mode().Perm(), os.FileMode(0o400))
	}
	for _, c := range []struct {
		file string
		cert *x509.Certificate
	}{
		{"rootCA.pem", ca.root},
		{"intermediateCA.pem", ca.inter},
	} {
		x := c.cert
		if !x.PermittedDNSDomainsCritical {
			t.Errorf("%s name constraints critical = false, want true", c.file)
		}
		if !slices.Contains(x.PermittedDNSDomains, "localhost") {
			t.Errorf("%s permitted DNS = %q, want localhost among them", c.file, x.PermittedDNSDomains)
		}
		if len(x.PermittedIPRanges) == 0 || len(x.PermittedEmailAddresses) == 0 || len(x.PermittedURIDomains) == 0 {
			t.Errorf("%s permits %d IP, %d email and %d URI subtrees, want some of each",
				c.file, len(x.PermittedIPRanges), len(x.PermittedEmailAddresses), len(x.PermittedURIDomains))
		}
	}
}

// matrix collects verdicts, client by case, from parallel subtests.
type matrix struct {
	mu      sync.Mutex
	cases   []string
	rows    []string
	cells   map[[2]string]string
	reasons []string
	notes   []string
}

func newMatrix(cases []string) *matrix {
	return &matrix{cases: cases, cells: map[[2]string]string{}}
}

func (m *matrix) addRow(row string) {
	if !slices.Contains(m.rows, row) {
		m.rows = append(m.rows, row)
	}
}

func (m *matrix) skip(row, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addRow(row)
	m.reasons = append(m.reasons, fmt.Sprintf("%s: %s", row, why))
}

// record stores one verdict. known, if set, is why the wanted verdict is
// the opposite of the case's.
func (m *matrix) record(row, col string, got outcome, err error, want bool, known string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addRow(row)
	cell := verdictWord(got.accepted)
	switch {
	case err != nil:
		cell = "ERROR"
		m.reasons = append(m.reasons, fmt.Sprintf("%s / %s: %s", row, col, firstLine(err.Error())))
	case !got.accepted:
		m.reasons = append(m.reasons, fmt.Sprintf("%s / %s: %s", row, col, got.detail))
	}
	if known != "" {
		cell += " *"
		m.notes = append(m.notes, fmt.Sprintf("%s / %s: %s", row, col, known))
	}
	if err != nil || got.accepted != want {
		cell += " !"
	}
	m.cells[[2]string{row, col}] = cell
}

func (m *matrix) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("trust matrix: the vouch root the only added trust anchor\n")
	b.WriteString("\"!\" marks a verdict other than the one wanted, \"*\" a known client deviation (see below)\n\n")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "client\t%s\n", strings.Join(m.cases, "\t"))
	rows := slices.Clone(m.rows)
	slices.Sort(rows)
	for _, row := range rows {
		fmt.Fprint(w, row)
		for _, col := range m.cases {
			cell, ok := m.cells[[2]string{row, col}]
			if !ok {
				cell = "-"
			}
			fmt.Fprintf(w, "\t%s", cell)
		}
		fmt.Fprintln(w)
	}
	w.Flush()
	b.WriteString("\nwhy each rejection:\n")
	reasons := slices.Clone(m.reasons)
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	if len(m.notes) > 0 {
		b.WriteString("\nknown client deviations (*):\n")
		for _, n := range m.notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	return b.String()
}

func verdictWord(accepted bool) string {
	if accepted {
		return "accept"
	}
	return "reject"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// missingTool names the first program in tools not in PATH, or "".
func missingTool(tools []tool) string {
	for _, tl := range tools {
		if _, err := exec.LookPath(tl.name); err != nil {
			return tl.name
		}
	}
	return ""
}
