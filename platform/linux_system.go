package platform

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Layout is how one Linux distribution family keeps its system trust: a
// folder of local anchors, the distro's tool that turns them into the
// bundles programs read, and the bundle to look in to see the result.
type Layout struct {
	Name string
	// Tool must exist for the layout to apply (looked up in the sbin/bin
	// folders, which a user's PATH may lack).
	Tool      string
	AnchorDir string
	// Store and Remove, when set, are the tool's own way to add and take
	// out an anchor (the root's file is appended); otherwise vouch puts its
	// file in AnchorDir and removes it.
	Store  []string
	Remove []string
	// Refresh rebuilds the bundles after an anchor was added; RefreshRemoved
	// after one was taken out, when that needs more: Debian's tool counts a
	// deleted local anchor as "0 removed" and leaves its links unless run
	// with --fresh.
	Refresh        []string
	RefreshRemoved []string
	// FreshHooks are the distro's hooks to run with --fresh after a
	// removal, where they exist: update-ca-certificates never tells its
	// hooks that a local anchor went away, so Debian's Java hook would keep
	// it in /etc/ssl/certs/java/cacerts; with --fresh it rebuilds from the
	// bundle's certificates.
	FreshHooks []string
	Bundle     string
	// Requires is a file that must exist too: Alpine and Debian share a
	// folder and a tool, and only /etc/alpine-release tells them apart.
	Requires string
}

// Layouts are tried in this order; the first whose anchor folder and tool
// both exist applies. Fedora and openSUSE come first because their
// machines may also carry a Debian-style folder from a package.
var Layouts = []Layout{
	{Name: "fedora", Tool: "update-ca-trust", AnchorDir: "/etc/pki/ca-trust/source/anchors", Refresh: []string{"update-ca-trust", "extract"}, Bundle: "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"},
	{Name: "opensuse", Tool: "update-ca-certificates", AnchorDir: "/etc/pki/trust/anchors", Refresh: []string{"update-ca-certificates"}, RefreshRemoved: []string{"update-ca-certificates", "--fresh"}, Bundle: "/var/lib/ca-certificates/ca-bundle.pem"},
	{Name: "alpine", Tool: "update-ca-certificates", AnchorDir: "/usr/local/share/ca-certificates", Refresh: []string{"update-ca-certificates"}, Bundle: "/etc/ssl/certs/ca-certificates.crt", Requires: "/etc/alpine-release"},
	{Name: "debian", Tool: "update-ca-certificates", AnchorDir: "/usr/local/share/ca-certificates", Refresh: []string{"update-ca-certificates"}, RefreshRemoved: []string{"update-ca-certificates", "--fresh"}, FreshHooks: []string{"/etc/ca-certificates/update.d/jks-keystore"}, Bundle: "/etc/ssl/certs/ca-certificates.crt"},
	{Name: "arch", Tool: "trust", AnchorDir: "/etc/ca-certificates/trust-source", Store: []string{"trust", "anchor", "--store"}, Remove: []string{"trust", "anchor", "--remove"}, Refresh: []string{"trust", "extract-compat"}, Bundle: "/etc/ssl/certs/ca-certificates.crt"},
}

var toolDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}

// LinuxSystem is the system store of a Linux machine whose file system
// starts at Root ("/" for real; a temp folder in tests).
type LinuxSystem struct {
	Root   string
	Runner Runner
	// IsRoot: anchors are written directly; otherwise through sudo.
	IsRoot bool
}

func (s *LinuxSystem) path(p string) string { return filepath.Join(s.Root, p) }

func (s *LinuxSystem) exists(p string) bool {
	_, err := os.Stat(s.path(p))
	return err == nil
}

// tool returns the absolute path of a tool in the usual folders, "" if none.
func (s *LinuxSystem) tool(name string) string {
	for _, d := range toolDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(s.path(p)); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// ErrNoLayout means no known system-store layout is on this machine.
var ErrNoLayout = errors.New("no known system trust store layout")

// Layout finds the layout that applies, at the moment it is asked.
func (s *LinuxSystem) Layout() (Layout, error) {
	for _, l := range Layouts {
		if !s.exists(l.AnchorDir) {
			continue
		}
		if s.tool(l.Tool) == "" {
			continue
		}
		if l.Requires != "" && !s.exists(l.Requires) {
			continue
		}
		return l, nil
	}
	var looked []string
	for _, l := range Layouts {
		looked = append(looked, fmt.Sprintf("%s (%s + %s)", l.Name, l.AnchorDir, l.Tool))
	}
	return Layout{}, fmt.Errorf("%w: looked for %s", ErrNoLayout, strings.Join(looked, ", "))
}

// AnchorName is the file vouch writes for a root: unique per root, so a new
// CA never overwrites another's anchor, and recognisably vouch's.
func AnchorName(root *x509.Certificate) string {
	return "vouch-" + shortFingerprint(root) + ".crt"
}

func shortFingerprint(c *x509.Certificate) string {
	return fmt.Sprintf("%x", sha256Sum(c.Raw)[:8])
}

// SystemState is what the system store says about one root.
type SystemState struct {
	Layout Layout
	// Anchor is vouch's anchor file for this root, "" if absent.
	Anchor string
	// InBundle: the generated bundle holds the root, so programs trust it.
	InBundle bool
	// Stale lists anchors vouch wrote for other roots.
	Stale []string
	// Others are anchors for this root that vouch did not write (mkcert's,
	// or copied by hand); vouch leaves them alone.
	Others []string
	// Checked names the files read.
	Checked []string
	// Keychain is the macOS store's state (nil elsewhere).
	Keychain *KeychainState
}

// State reads, without changing anything, whether root is trusted.
func (s *LinuxSystem) State(root *x509.Certificate) (SystemState, error) {
	l, err := s.Layout()
	if err != nil {
		return SystemState{}, err
	}
	st := SystemState{Layout: l}
	own := filepath.Join(l.AnchorDir, AnchorName(root))
	st.Checked = append(st.Checked, l.AnchorDir)
	entries, _ := os.ReadDir(s.path(l.AnchorDir))
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(l.AnchorDir, e.Name())
		data, err := os.ReadFile(s.path(p))
		if err != nil {
			continue
		}
		switch {
		case holdsCert(data, root) && (p == own || l.Store != nil):
			st.Anchor = p
		case holdsCert(data, root):
			st.Others = append(st.Others, p)
		case vouchRoot(data) && (strings.HasPrefix(e.Name(), "vouch-") || l.Store != nil):
			st.Stale = append(st.Stale, p)
		}
	}
	sort.Strings(st.Stale)
	st.Checked = append(st.Checked, l.Bundle)
	data, err := os.ReadFile(s.path(l.Bundle))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("can't read the system bundle: %w", err)
	}
	st.InBundle = holdsCert(data, root)
	return st, nil
}

// holdsCert reports whether PEM data holds the certificate. Bundles are
// written with 64-column base64, as vouch writes its anchors, so the encoded
// body is looked for first; other wrappings are found by decoding it all.
func holdsCert(data []byte, c *x509.Certificate) bool {
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	body := block[bytes.IndexByte(block, '\n')+1 : bytes.LastIndex(block, []byte("-----END"))]
	if bytes.Contains(data, body) {
		return true
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && bytes.Equal(b.Bytes, c.Raw) {
			return true
		}
	}
}

// InstallPlan is what Install would run for root, given its state: nothing
// when the root is already anchored and in the bundle.
func (s *LinuxSystem) InstallPlan(root *x509.Certificate, rootFile string, st SystemState) []Cmd {
	if st.Anchor != "" && st.InBundle {
		return nil
	}
	l := st.Layout
	switch {
	case st.Anchor != "":
		return []Cmd{{Argv: s.argv(l.Refresh), Root: true}}
	case l.Store != nil:
		// The tool stores the anchor and rebuilds the bundles itself.
		return []Cmd{{Argv: append(s.argv(l.Store), rootFile), Root: true}}
	}
	return []Cmd{
		{Argv: []string{"install", "-m", "0644", rootFile, filepath.Join(l.AnchorDir, AnchorName(root))}, Root: true},
		{Argv: s.argv(l.Refresh), Root: true},
	}
}

// UninstallPlan takes out vouch's anchor for root (and, with all, every
// anchor vouch wrote) and refreshes. With no anchor left but the root still
// in the bundle and no other anchor holding it (a refresh that failed
// after the anchor was removed), it only refreshes. Nothing otherwise.
func (s *LinuxSystem) UninstallPlan(root *x509.Certificate, st SystemState, all bool) []Cmd {
	l := st.Layout
	var remove []string
	if st.Anchor != "" {
		remove = append(remove, st.Anchor)
	}
	if all {
		remove = append(remove, st.Stale...)
	}
	stale := len(remove) == 0 && st.InBundle && len(st.Others) == 0 && l.Remove == nil
	if len(remove) == 0 && !stale {
		return nil
	}
	if l.Remove != nil {
		var plan []Cmd
		for _, p := range remove {
			plan = append(plan, Cmd{Argv: append(s.argv(l.Remove), p), Root: true})
		}
		return plan
	}
	refresh := l.RefreshRemoved
	if refresh == nil {
		refresh = l.Refresh
	}
	var plan []Cmd
	if len(remove) > 0 {
		plan = append(plan, Cmd{Argv: append([]string{"rm", "-f", "--"}, remove...), Root: true})
	}
	plan = append(plan, Cmd{Argv: s.argv(refresh), Root: true})
	for _, h := range l.FreshHooks {
		if st, err := os.Stat(s.path(h)); err == nil && st.Mode()&0o111 != 0 {
			plan = append(plan, Cmd{Argv: []string{h, "--fresh"}, Root: true})
		}
	}
	return plan
}

// vouchRoot reports whether PEM data holds a root vouch made.
func vouchRoot(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err == nil && c.IsCA && len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == "vouch local CA" && bytes.Equal(c.RawSubject, c.RawIssuer) {
			return true
		}
	}
}

// argv resolves a tool's command line to the tool's absolute path.
func (s *LinuxSystem) argv(cmd []string) []string {
	argv := append([]string(nil), cmd...)
	if p := s.tool(argv[0]); p != "" {
		argv[0] = p
	}
	return argv
}

// Apply carries out a plan. As root, files are written by vouch itself
// (temp file, sync, rename) rather than by install(1). When a step fails,
// the anchors the plan added are taken out and those it removed are put
// back, so a failed refresh leaves the store as it was.
func (s *LinuxSystem) Apply(ctx context.Context, plan []Cmd, rootPEM []byte) (err error) {
	var added []string
	removed := map[string][]byte{}
	defer func() {
		if err != nil {
			s.undo(ctx, added, removed)
		}
	}()
	for i, c := range plan {
		if c.Argv[0] == "rm" {
			for _, p := range c.Argv[3:] {
				if data, rerr := os.ReadFile(s.path(p)); rerr == nil {
					removed[p] = data
				}
			}
		}
		switch {
		case s.IsRoot && c.Argv[0] == "install":
			if err := writeAtomic(s.path(c.Argv[len(c.Argv)-1]), rootPEM, 0o644, nil); err != nil {
				return err
			}
		case s.IsRoot && c.Argv[0] == "rm":
			for _, p := range c.Argv[3:] {
				if err := os.Remove(s.path(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("failed to remove %s: %w", p, err)
				}
			}
		default:
			if _, err := s.Runner.Run(ctx, c); err != nil {
				var nr *NeedRootError
				if errors.As(err, &nr) {
					// The user needs the whole rest of the plan, not one step.
					nr.Commands = plan[i:]
				}
				return err
			}
		}
		if c.Argv[0] == "install" {
			added = append(added, c.Argv[len(c.Argv)-1])
		}
	}
	return nil
}

// undo reverses the file changes of a plan that failed part way. It is
// best effort: the error the user sees is the one that stopped the plan.
func (s *LinuxSystem) undo(ctx context.Context, added []string, removed map[string][]byte) {
	for _, p := range added {
		if s.IsRoot {
			os.Remove(s.path(p))
		} else {
			s.Runner.Run(ctx, Cmd{Argv: []string{"rm", "-f", "--", p}, Root: true})
		}
	}
	for p, data := range removed {
		if s.IsRoot {
			writeAtomic(s.path(p), data, 0o644, nil)
		} else {
			s.Runner.Run(ctx, Cmd{Argv: []string{"tee", p}, Stdin: data, Root: true})
		}
	}
}
