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
	"slices"
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
	// Hashed: Bundle is a folder of OpenSSL <subject hash>.<n> entries,
	// not one file. FreeBSD's certctl writes such a folder in every
	// version, but a single-file bundle (FileBundle) only from 15.0 on.
	Hashed     bool
	FileBundle string
	// MakeAnchorDir: the anchor folder need not exist yet (the tool is
	// what says the layout applies); install makes it, and uninstall
	// leaves it, since it is the OS's own search path.
	MakeAnchorDir bool
	// Partial is the file the refresh writes the new bundle into before
	// renaming it over Bundle. Debian's update-ca-certificates appends to
	// it without emptying it first, and one stopped part way (killed, a
	// power cut) leaves it behind: the next refresh then writes every root
	// after the old ones, so the bundle holds roots twice, and keeps any
	// that were taken out.
	Partial string
}

// Layouts are tried in this order; the first whose anchor folder and tool
// both exist applies. Fedora and openSUSE come first because their
// machines may also carry a Debian-style folder from a package.
var Layouts = []Layout{
	{Name: "fedora", Tool: "update-ca-trust", AnchorDir: "/etc/pki/ca-trust/source/anchors", Refresh: []string{"update-ca-trust", "extract"}, Bundle: "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"},
	{Name: "opensuse", Tool: "update-ca-certificates", AnchorDir: "/etc/pki/trust/anchors", Refresh: []string{"update-ca-certificates"}, RefreshRemoved: []string{"update-ca-certificates", "--fresh"}, Bundle: "/var/lib/ca-certificates/ca-bundle.pem"},
	{Name: "alpine", Tool: "update-ca-certificates", AnchorDir: "/usr/local/share/ca-certificates", Refresh: []string{"update-ca-certificates"}, Bundle: "/etc/ssl/certs/ca-certificates.crt", Requires: "/etc/alpine-release"},
	{Name: "debian", Tool: "update-ca-certificates", AnchorDir: "/usr/local/share/ca-certificates", Refresh: []string{"update-ca-certificates"}, RefreshRemoved: []string{"update-ca-certificates", "--fresh"}, FreshHooks: []string{"/etc/ca-certificates/update.d/jks-keystore"}, Bundle: "/etc/ssl/certs/ca-certificates.crt", Partial: "/etc/ssl/certs/ca-certificates.crt.new"},
	{Name: "arch", Tool: "trust", AnchorDir: "/etc/ca-certificates/trust-source", Store: []string{"trust", "anchor", "--store"}, Remove: []string{"trust", "anchor", "--remove"}, Refresh: []string{"trust", "extract-compat"}, Bundle: "/etc/ssl/certs/ca-certificates.crt"},
}

// FreeBSDLayouts is FreeBSD's system store, driven by certctl(8), in base
// since 12.2. vouch's anchor goes in /usr/local/share/certs, the one
// folder of certctl's TRUSTPATH in every version (the shell script of
// 12.2-14.x and the C rewrite of 15.x), followed by `certctl rehash`.
// Not `certctl trust FILE`: before 15.0 that only takes a file off the
// untrusted list, and from 15.1 on a rehash forgets what it added. The
// anchor ends in .crt because the shell script reads only .pem, .crt,
// .cer and .crl files.
var FreeBSDLayouts = []Layout{
	{Name: "freebsd", Tool: "certctl", AnchorDir: "/usr/local/share/certs", MakeAnchorDir: true, Refresh: []string{"certctl", "rehash"}, Bundle: "/etc/ssl/certs", Hashed: true, FileBundle: "/etc/ssl/cert.pem"},
}

var toolDirs = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}

// LinuxSystem is the system store of a Linux machine whose file system
// starts at Root ("/" for real; a temp folder in tests). With
// FreeBSDLayouts it is FreeBSD's, which works the same way: a folder of
// anchors and the OS's tool that turns them into what programs read.
type LinuxSystem struct {
	Root   string
	Runner Runner
	// IsRoot: anchors are written directly; otherwise through sudo.
	IsRoot bool
	// Layouts are the layouts to look for; nil means the Linux ones.
	Layouts []Layout
}

func (s *LinuxSystem) layouts() []Layout {
	if s.Layouts != nil {
		return s.Layouts
	}
	return Layouts
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

// PartialLeft is the half-written bundle a refresh that stopped part way
// left (Layout.Partial), or "": the layout's look-up and a stat, where
// State reads the store.
func (s *LinuxSystem) PartialLeft() string {
	l, err := s.Layout()
	if err != nil {
		return ""
	}
	return s.partial(l)
}

// partial is l's half-written bundle, if it is there.
func (s *LinuxSystem) partial(l Layout) string {
	if l.Partial != "" && s.exists(l.Partial) {
		return l.Partial
	}
	return ""
}

// PartialSystem is a system store whose refresh can leave a half-written
// bundle behind (Linux layouts).
type PartialSystem interface {
	PartialLeft() string
}

// JavaFeedingSystem is a system store whose full refresh rebuilds Java's
// cacerts from its bundle too (Debian's jks-keystore hook).
type JavaFeedingSystem interface {
	JavaHook() string
}

// JavaHook is the layout's hook that rebuilds Java's cacerts from the
// bundle on a full refresh, when it is there to run, or "".
func (s *LinuxSystem) JavaHook() string {
	l, err := s.Layout()
	if err != nil {
		return ""
	}
	if hooks := s.presentHooks(l); len(hooks) > 0 {
		return hooks[0]
	}
	return ""
}

// presentHooks are l's FreshHooks that are there to run (executable).
func (s *LinuxSystem) presentHooks(l Layout) []string {
	var out []string
	for _, h := range l.FreshHooks {
		if st, err := os.Stat(s.path(h)); err == nil && st.Mode()&0o111 != 0 {
			out = append(out, h)
		}
	}
	return out
}

// ErrNoLayout means no known system-store layout is on this machine.
var ErrNoLayout = errors.New("no known system trust store layout")

// Layout finds the layout that applies, at the moment it is asked.
func (s *LinuxSystem) Layout() (Layout, error) {
	for _, l := range s.layouts() {
		if !s.exists(l.AnchorDir) && !l.MakeAnchorDir {
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
	for _, l := range s.layouts() {
		looked = append(looked, fmt.Sprintf("%s (%s + %s)", l.Name, l.AnchorDir, l.Tool))
	}
	return Layout{}, fmt.Errorf("%w: looked for %s", ErrNoLayout, strings.Join(looked, ", "))
}

// MkcertName is mkcert's name for its root: its NSS nickname and keytool
// alias, and, spaces as underscores, its system anchor's file name.
func MkcertName(root *x509.Certificate) string {
	return "mkcert development CA " + root.SerialNumber.String()
}

// MkcertAnchor reports whether the anchor file at path is the one
// mkcert -install writes for root (.crt or .pem, by distro).
func MkcertAnchor(root *x509.Certificate, path string) bool {
	name := filepath.Base(path)
	return strings.TrimSuffix(strings.TrimSuffix(name, ".crt"), ".pem") == strings.ReplaceAll(MkcertName(root), " ", "_")
}

// AnchorName is the file vouch writes for a root: unique per root, so a new
// CA never overwrites another's anchor, and recognisably vouch's.
func AnchorName(root *x509.Certificate) string {
	return "vouch-" + shortFingerprint(root) + ".crt"
}

// AnchorNameOf is AnchorName for the root whose SHA-256 fingerprint is fp
// (lowercase hex, as the record keeps it), "" for one too short.
func AnchorNameOf(fp string) string {
	if len(fp) < 16 {
		return ""
	}
	return "vouch-" + fp[:16] + ".crt"
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
	// Also are anchors among Others that an uninstall takes out as well:
	// mkcert's own, when the user asks for that (vouch uninstall --mkcert,
	// mkcert's -uninstall). The caller sets it; State leaves it empty.
	Also []string
	// Copies are the entries of a Hashed bundle folder that are files
	// (not links) holding this root, and StaleCopies those holding a
	// Stale anchor's root: FreeBSD 15.0's certctl writes copies and reads
	// them back on every rehash, so a removed anchor stays trusted unless
	// its copy goes too. A rehash rewrites any copy that still has an
	// anchor, so removing one never loses another tool's trust.
	Copies      []string
	StaleCopies []string
	// Partial is Layout.Partial when a refresh left it (see there).
	Partial string
	// Checked names the files read.
	Checked []string
	// Keychain is the macOS store's state (nil elsewhere).
	Keychain *KeychainState
}

// State reads, without changing anything, whether root is trusted. The
// roots in keep (those the user trusted for other people with vouch trust,
// and their own CA) are never counted stale, so --all-vouch-roots leaves
// them alone.
func (s *LinuxSystem) State(root *x509.Certificate, keep ...*x509.Certificate) (SystemState, error) {
	l, err := s.Layout()
	if err != nil {
		return SystemState{}, err
	}
	st := SystemState{Layout: l, Partial: s.partial(l)}
	own := filepath.Join(l.AnchorDir, AnchorName(root))
	st.Checked = append(st.Checked, l.AnchorDir)
	var staleCerts [][]byte
	m := newCertMatch(root)
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
		holds := m.in(data)
		switch {
		case holds && (p == own || l.Store != nil):
			st.Anchor = p
		case holds:
			st.Others = append(st.Others, p)
		case (vouchRoot(data) && (strings.HasPrefix(e.Name(), "vouch-") || l.Store != nil) || l.Store == nil && vouchWrote(e.Name(), data)) && !holdsAny(data, keep):
			st.Stale = append(st.Stale, p)
			staleCerts = append(staleCerts, pemCerts(data)...)
		}
	}
	sort.Strings(st.Stale)
	st.Checked = append(st.Checked, l.Bundle)
	if l.Hashed {
		s.readHashed(&st, m, staleCerts)
		return st, nil
	}
	data, err := os.ReadFile(s.path(l.Bundle))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("can't read the system bundle: %w", err)
	}
	st.InBundle = m.in(data)
	return st, nil
}

// readHashed looks for root (m) in a folder of hashed entries: any entry
// holding it means OpenSSL and Go find it there.
func (s *LinuxSystem) readHashed(st *SystemState, m certMatch, staleCerts [][]byte) {
	dir := st.Layout.Bundle
	entries, _ := os.ReadDir(s.path(dir))
	for _, e := range entries {
		if e.IsDir() || !hashedName(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(s.path(p))
		if err != nil {
			continue // a link left dangling by a removed anchor
		}
		file := e.Type().IsRegular()
		if m.in(data) {
			st.InBundle = true
			if file {
				st.Copies = append(st.Copies, p)
			}
			continue
		}
		if !file {
			continue
		}
		for _, der := range pemCerts(data) {
			if slices.ContainsFunc(staleCerts, func(s []byte) bool { return bytes.Equal(s, der) }) {
				st.StaleCopies = append(st.StaleCopies, p)
				break
			}
		}
	}
}

// hashedName reports whether name is OpenSSL's <8 hex digits>.<n>.
func hashedName(name string) bool {
	hash, n, ok := strings.Cut(name, ".")
	if !ok || len(hash) != 8 || n == "" || strings.Trim(hash, "0123456789abcdef") != "" {
		return false
	}
	return strings.Trim(n, "0123456789") == ""
}

// pemCerts returns the DER of every certificate in PEM data.
func pemCerts(data []byte) [][]byte {
	var out [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type == "CERTIFICATE" {
			out = append(out, b.Bytes)
		}
	}
}

// holdsCert reports whether PEM data holds the certificate. Bundles are
// written with 64-column base64, as vouch writes its anchors, so the encoded
// body is looked for first; other wrappings are found by decoding it all.
func holdsCert(data []byte, c *x509.Certificate) bool {
	return newCertMatch(c).in(data)
}

// certMatch is holdsCert for one certificate and many files: its PEM
// body is encoded, and its rarest byte found, once.
type certMatch struct {
	cert *x509.Certificate
	body []byte
	at   int // rarestByte(body)
}

func newCertMatch(c *x509.Certificate) certMatch {
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	body := block[bytes.IndexByte(block, '\n')+1 : bytes.LastIndex(block, []byte("-----END"))]
	return certMatch{cert: c, body: body, at: rarestByte(body)}
}

// in is holdsCert(data, m.cert).
func (m certMatch) in(data []byte) bool {
	if containsBodyAt(data, m.body, m.at) {
		return true
	}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && bytes.Equal(b.Bytes, m.cert.Raw) {
			return true
		}
	}
}

// containsBody is bytes.Contains(data, body) for a PEM body of many lines.
// bytes.Index finds a needle of up to 31 bytes with the CPU's vector
// instructions (31: the most every architecture's takes), where a whole
// body (over a kilobyte) made it fall back to a hash search of the bundle,
// a third of status's time; and it does so by looking for the needle's
// first byte, then comparing. So the needle is the 31 bytes of the body
// that start at its rarest byte (b64Rarity): a body starts with "MII",
// and 'M' is among the commonest bytes of a bundle, which cost a compare
// every 40 bytes. Each place the needle is found, the whole body is
// compared where it would start.
func containsBody(data, body []byte) bool {
	return containsBodyAt(data, body, rarestByte(body))
}

// containsBodyAt is containsBody with body's rarest byte at at.
func containsBodyAt(data, body []byte, at int) bool {
	const head = 31
	if len(body) <= head {
		return bytes.Contains(data, body)
	}
	needle := body[at:min(at+head, len(body))]
	for from := 0; ; {
		i := bytes.Index(data[from:], needle)
		if i < 0 {
			return false
		}
		if start := from + i - at; start >= 0 && bytes.HasPrefix(data[start:], body) {
			return true
		}
		from += i + 1
	}
}

// b64Rarity lists the bytes of a PEM body from the rarest to the
// commonest, as counted in Debian's bundle of ~150 roots ('=' pads only
// the end of a body; DER's many zero and small bytes make 'A', 'B', 'M'
// common). A byte not listed ('\n') is taken last. Only speed depends on
// this order, never an answer.
const b64Rarity = "=+76ref/P5qt8nupiKOsL3mv49aXoy2kWSxHZhblc1Jzjd0YRFUTGVNCgwDIQMEBA"

// b64Rank is each byte's place in b64Rarity, len(b64Rarity) for the
// bytes not in it.
var b64Rank = func() (rank [256]uint8) {
	for i := range rank {
		rank[i] = uint8(len(b64Rarity))
	}
	for i := range len(b64Rarity) {
		rank[b64Rarity[i]] = uint8(i)
	}
	return rank
}()

// rarestByte is the index in body of its first byte that comes earliest
// in b64Rarity.
func rarestByte(body []byte) int {
	best, rank := 0, uint8(len(b64Rarity))
	for i, b := range body {
		if r := b64Rank[b]; r < rank {
			best, rank = i, r
			if r == 0 {
				break
			}
		}
	}
	return best
}

func holdsAny(data []byte, certs []*x509.Certificate) bool {
	for _, c := range certs {
		if holdsCert(data, c) {
			return true
		}
	}
	return false
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
	var plan []Cmd
	if l.MakeAnchorDir && !s.exists(l.AnchorDir) {
		plan = append(plan, Cmd{Argv: []string{"mkdir", "-p", l.AnchorDir}, Root: true})
	}
	return append(plan,
		Cmd{Argv: []string{"install", "-m", "0644", rootFile, filepath.Join(l.AnchorDir, AnchorName(root))}, Root: true},
		Cmd{Argv: s.argv(l.Refresh), Root: true},
	)
}

// UninstallPlan takes out vouch's anchor for root (and, with all, every
// anchor vouch wrote) and refreshes. With no anchor left but the root still
// in the bundle and no other anchor holding it (a refresh that failed
// after the anchor was removed), it only refreshes. Nothing otherwise.
func (s *LinuxSystem) UninstallPlan(root *x509.Certificate, st SystemState, all bool) []Cmd {
	l := st.Layout
	remove := slices.Clone(st.Also)
	if st.Anchor != "" {
		remove = append([]string{st.Anchor}, remove...)
	}
	if len(remove) > 0 {
		remove = append(remove, st.Copies...)
	}
	if all {
		remove = append(remove, st.Stale...)
		if len(st.Stale) > 0 {
			remove = append(remove, st.StaleCopies...)
		}
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
	for _, h := range s.presentHooks(l) {
		plan = append(plan, Cmd{Argv: []string{h, "--fresh"}, Root: true})
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
		if b.Type != "CERTIFICATE" || !mayNameVouchCA(b.Bytes) {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err == nil && c.IsCA && len(c.Subject.Organization) == 1 && c.Subject.Organization[0] == "vouch local CA" && bytes.Equal(c.RawSubject, c.RawIssuer) {
			return true
		}
	}
}

// vouchCAName is the organization in the subject of every root vouch
// makes, as Go's x509 reads it from DER: the same bytes in every string
// type it reads (PrintableString, UTF8String, IA5String, T61String as
// Latin-1), or UTF-16 in a BMPString.
var vouchCAName, vouchCAName16 = []byte("vouch local CA"), utf16BE("vouch local CA")

func utf16BE(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r>>8), byte(r))
	}
	return out
}

// mayNameVouchCA is false when der can't hold a subject organization
// vouchRoot would take for vouch's (its bytes are not in it in any form
// x509 reads), so that the anchors of other CAs (a system folder's
// RSA roots) are not parsed for nothing.
func mayNameVouchCA(der []byte) bool {
	return bytes.Contains(der, vouchCAName) || bytes.Contains(der, vouchCAName16)
}

// vouchWrote reports whether an anchor file is one vouch wrote: named
// after the one root it holds. That root need not be one vouch made: an
// adopted mkcert CA's root is anchored under vouch's name too, and is
// as much vouch's to take out as the NSS and Java entries it has.
func vouchWrote(name string, data []byte) bool {
	cs := pemCerts(data)
	// AnchorName of the certificate parsed from cs[0], whose Raw is
	// cs[0]: parsed only when the name is that.
	if len(cs) != 1 || name != "vouch-"+fmt.Sprintf("%x", sha256Sum(cs[0])[:8])+".crt" {
		return false
	}
	c, err := x509.ParseCertificate(cs[0])
	return err == nil && c.IsCA && bytes.Equal(c.RawSubject, c.RawIssuer) && name == AnchorName(c)
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
// the anchors the plan added are taken out, those it removed are put back
// (with their mode) and a folder it made is removed again, so the anchors
// are as they were; what a failed refresh did to the generated files is
// its own (see RefreshError).
func (s *LinuxSystem) Apply(ctx context.Context, plan []Cmd, rootPEM []byte) (err error) {
	var added, made []string
	removed := map[string]removedFile{}
	defer func() {
		if err != nil {
			s.undo(ctx, added, removed, made)
		}
	}()
	for i, c := range plan {
		last := c.Argv[len(c.Argv)-1]
		if c.Argv[0] == "rm" {
			for _, p := range c.Argv[3:] {
				if fi, lerr := os.Lstat(s.path(p)); lerr == nil && fi.Mode().IsRegular() {
					if data, rerr := os.ReadFile(s.path(p)); rerr == nil {
						removed[p] = removedFile{data, fi.Mode().Perm()}
					}
				}
			}
		}
		if c.Argv[0] == "mkdir" && !s.exists(last) {
			made = append(made, last)
		}
		switch {
		case s.IsRoot && c.Argv[0] == "mkdir":
			if err := os.MkdirAll(s.path(last), 0o755); err != nil {
				return fmt.Errorf("failed to make %s: %w", last, err)
			}
		case s.IsRoot && c.Argv[0] == "install":
			if err := writeAtomic(s.path(last), rootPEM, 0o644, nil); err != nil {
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
					return err
				}
				if c.Argv[0] != "mkdir" && c.Argv[0] != "install" && c.Argv[0] != "rm" {
					return &RefreshError{Err: err}
				}
				return err
			}
		}
		if c.Argv[0] == "install" {
			added = append(added, last)
		}
	}
	return nil
}

// PartialError: the refresh must not run over what one stopped part way
// left (see Layout.Partial); nothing was changed.
type PartialError struct{ Path string }

func (e *PartialError) Error() string {
	return fmt.Sprintf("%s is left from an update-ca-certificates that stopped part way (or one is running now): a refresh now would add every root to it again, and the bundle would hold roots twice, and keep any taken out; nothing was changed", e.Path)
}

// Fix is what clears it, when no update-ca-certificates is running.
func (e *PartialError) Fix() string {
	return fmt.Sprintf("sudo rm %s && sudo update-ca-certificates --fresh", e.Path)
}

// RefreshError is a failed step that rebuilds the store's generated files
// (the refresh, its hooks, or a tool that stores an anchor and rebuilds
// them itself). Putting the anchors back does not undo what it did: on a
// full disk Debian's update-ca-certificates --fresh clears every link in
// /etc/ssl/certs and then fails, so until a refresh runs to its end the
// store may lack links or roots.
type RefreshError struct{ Err error }

func (e *RefreshError) Error() string { return e.Err.Error() }
func (e *RefreshError) Unwrap() error { return e.Err }

type removedFile struct {
	data []byte
	mode fs.FileMode
}

// undo reverses the file changes of a plan that failed part way. It is
// best effort: the error the user sees is the one that stopped the plan.
func (s *LinuxSystem) undo(ctx context.Context, added []string, removed map[string]removedFile, made []string) {
	for _, p := range added {
		if s.IsRoot {
			os.Remove(s.path(p))
		} else {
			s.Runner.Run(ctx, Cmd{Argv: []string{"rm", "-f", "--", p}, Root: true})
		}
	}
	for p, f := range removed {
		if s.IsRoot {
			writeAtomic(s.path(p), f.data, f.mode, nil)
			continue
		}
		s.Runner.Run(ctx, Cmd{Argv: []string{"tee", p}, Stdin: f.data, Root: true})
		if f.mode != 0o644 {
			s.Runner.Run(ctx, Cmd{Argv: []string{"chmod", fmt.Sprintf("%04o", f.mode), p}, Root: true})
		}
	}
	for _, d := range made {
		if s.IsRoot {
			os.Remove(s.path(d))
		} else {
			s.Runner.Run(ctx, Cmd{Argv: []string{"rmdir", "--", d}, Root: true})
		}
	}
}
