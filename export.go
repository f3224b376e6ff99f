package main

import (
	"bytes"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/spf13/pflag"
	"github.com/vouchdev/vouch/platform"

	"github.com/vouchdev/vouch/certs"
)

// vouch export is the owner's half of handing trust to other people: the
// root, its fingerprint in forms two people can compare by voice, what the
// root may vouch for, and the command (or, for people without vouch, the
// clicks) that trusts it.

type exportFlags struct {
	caroot string
	out    string
	name   string
	url    string
	server string
	force  bool
	json   bool
}

func exportCommand() *command {
	return &command{
		name:    "export",
		usage:   "[--out DIR] [--name LABEL] [--url URL | --server HOST:PORT] [--force] [--json]",
		summary: "write the root and an invitation for the people who will trust it",
		help: `Writes the CA's root certificate and an invitation for the people you want
to trust it, and prints what they need: the root's SHA-256 fingerprint as
16 groups of 4 hex digits and as 32 words (the same hash; read either one
to them over a channel you both trust), what the root may vouch for, when
it expires, and the exact vouch trust command they run.

Files, in --out DIR (default: the current folder), named after LABEL
(default: the user name in the CA's subject):
  LABEL-root.crt            the root, PEM
  LABEL-invitation.txt      the same facts and manual steps (Firefox,
  LABEL-invitation.html     macOS, Windows, Android, iOS), for people
                            without vouch; one page, no external resources
An existing file with other contents is not replaced unless --force; one
with the same contents is left as it is.

The friend's command names the root file, or with --url the https URL
where you publish it, or with --server the HOST:PORT of a server whose
certificate file ends with the root (vouch cert --chain-with-root).`,
		flags: func(fs *pflag.FlagSet) runner {
			f := &exportFlags{}
			fs.StringVar(&f.caroot, "caroot", "", "the CA folder")
			fs.StringVar(&f.out, "out", "", "write the files in `DIR` (default: the current folder)")
			fs.StringVar(&f.name, "name", "", "the `LABEL` for file names and for the friend's --name (default: from the CA's subject)")
			fs.StringVar(&f.url, "url", "", "the friend fetches the root from this https `URL`")
			fs.StringVar(&f.server, "server", "", "the friend takes the root from the TLS server at `HOST:PORT`")
			fs.BoolVar(&f.force, "force", false, "replace existing files whose contents differ")
			fs.BoolVar(&f.json, "json", false, "print JSON (the shape is in the README)")
			return func(a *app, args []string) int { return a.cmdExport(f, args) }
		},
	}
}

// exportJSON is `vouch export --json`; its shape is documented in the
// README and pinned by a test.
type exportJSON struct {
	Label       string          `json:"label"`
	RootFile    string          `json:"root_file"`
	Subject     string          `json:"subject"`
	Fingerprint fingerprintJSON `json:"fingerprint"`
	Constrained bool            `json:"constrained"`
	Permits     permitsJSON     `json:"permits"`
	MayVouchFor string          `json:"may_vouch_for"`
	NotAfter    time.Time       `json:"not_after"`
	Source      string          `json:"source"`
	Command     string          `json:"command"`
	Invitation  invitationJSON  `json:"invitation"`
}

type fingerprintJSON struct {
	Hex   string `json:"hex"`
	Voice string `json:"voice"`
	Words string `json:"words"`
}

type permitsJSON struct {
	Domains  []string `json:"domains"`
	IPRanges []string `json:"ip_ranges"`
}

type invitationJSON struct {
	Text string `json:"text"`
	HTML string `json:"html"`
}

var labelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`) })

// defaultLabel is the user name from the root's subject ("vouch root
// alice@laptop", mkcert's "alice@laptop (Alice)"), made safe for a file
// name and a command line.
func defaultLabel(root *x509.Certificate) string {
	s := root.Subject.CommonName
	if len(root.Subject.OrganizationalUnit) > 0 {
		s = root.Subject.OrganizationalUnit[0]
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "vouch root "), "mkcert ")
	s, _, _ = strings.Cut(s, "@")
	s, _, _ = strings.Cut(s, " ")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	l := strings.Trim(b.String(), "-._")
	if len(l) > 63 {
		l = l[:63]
	}
	if !labelRE().MatchString(l) {
		return "vouch"
	}
	return l
}

// exportSource checks --url and --server and returns what the friend's
// command names instead of the root file ("" for the file).
func exportSource(rawURL, server string) (string, error) {
	switch {
	case rawURL != "" && server != "":
		return "", errors.New("give --url or --server, not both")
	case rawURL != "":
		u, err := url.Parse(rawURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return "", fmt.Errorf("--url %q is not an https:// URL (the friend fetches the root over HTTPS)", rawURL)
		}
		if strings.ContainsAny(rawURL, "\"$`\\'!\n\r\t ") {
			return "", fmt.Errorf("--url %q has characters a shell would change; percent-encode them", rawURL)
		}
		return rawURL, nil
	case server != "":
		host, port, err := net.SplitHostPort(server)
		if err != nil || host == "" || strings.ContainsAny(host, "/ \"'$`\\") {
			return "", fmt.Errorf("--server %q is not HOST:PORT", server)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("--server %q: the port must be a number from 1 to 65535", server)
		}
		return server, nil
	}
	return "", nil
}

// shellWord quotes s for sh, PowerShell and cmd alike when it needs it;
// exportSource has refused the characters double quotes don't protect.
func shellWord(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/:@%+=,", r)) {
			return `"` + s + `"`
		}
	}
	return s
}

// friendCommand is what the other person runs to trust the root.
func friendCommand(source string, fp certs.FP, label string, unconstrained bool) string {
	cmd := fmt.Sprintf("vouch trust %s --fingerprint \"%s\" --name %s", shellWord(source), fp.Voice(), label)
	if unconstrained {
		cmd += " --allow-unconstrained"
	}
	return cmd
}

func (a *app) cmdExport(f *exportFlags, args []string) int {
	if len(args) > 0 {
		return a.usageError("export", "unexpected argument %q", args[0])
	}
	// The friend's vouch trust --name takes it: the same rule.
	if f.name != "" {
		if err := checkLabel(f.name); err != nil {
			return a.usageError("export", "--name: %v", err)
		}
	}
	source, err := exportSource(f.url, f.server)
	if err != nil {
		return a.usageError("export", "%v", err)
	}
	if a.refuseSudo("export", f.caroot, true) {
		return exitFail
	}
	dir, ca, err := a.loadCA(f.caroot)
	if errors.Is(err, certs.ErrNoCA) {
		a.errorf("there is no CA in %s to export", dir)
		a.hintf("%s   (a CA limited to the names you serve)", a.vouchCmd("install", "--only", "--permit", "YOUR.SERVER.NAME"))
		return exitFail
	}
	if err != nil {
		return a.badCA(dir, err)
	}
	now := a.now()
	root := ca.Root
	if !now.Before(root.NotAfter) {
		a.errorf("the root in %s expired on %s; nobody can trust it any more", dir, root.NotAfter.UTC().Format(time.DateOnly))
		a.rotateHint(ca)
		return exitFail
	}

	label := f.name
	if label == "" {
		label = defaultLabel(root)
	}
	outDir := f.out
	if outDir == "" {
		outDir = "."
	}
	if st, err := os.Stat(outDir); err == nil && !st.IsDir() {
		a.errorf("--out %s is a file, not a folder: export writes three files into the folder it names", outDir)
		return exitFail
	}
	rootName := label + "-root.crt"
	if source == "" {
		source = rootName
	}
	fp := certs.FingerprintOf(root)
	inv := invitationFacts(ca, label, rootName, fp, friendCommand(source, fp, label, ca.Unconstrained()))
	text, html, err := renderInvitation(inv)
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	rootPEM := certs.CertPEM(root.Raw)
	files := []certs.File{
		{Path: filepath.Join(outDir, rootName), Data: rootPEM, Mode: 0o644},
		{Path: filepath.Join(outDir, label+"-invitation.txt"), Data: text, Mode: 0o644},
		{Path: filepath.Join(outDir, label+"-invitation.html"), Data: html, Mode: 0o644},
	}

	a.warnRisky(ca)
	if ca.Unconstrained() {
		a.warnf("this root has no name constraints: whoever trusts it can be shown a certificate for any site, their bank's included, made with this CA's key; vouch trust refuses it unless they add --allow-unconstrained")
		a.hintf("vouch --caroot NEW_FOLDER install --only --permit YOUR.SERVER.NAME   (a CA limited to the names you serve; then export that)")
	} else if ca.Constraints.Covers(certs.DefaultConstraints()) {
		a.infof("this root also permits the default local names and private addresses, so it could vouch for devices on your friends' own networks")
		a.hintf("vouch --caroot NEW_FOLDER install --only --permit YOUR.SERVER.NAME   (a CA limited to the names you serve)")
	}
	if left := root.NotAfter.Sub(now); left < rotateWithin {
		a.warnf("this root expires on %s, %s: whoever trusts it now will need a new one soon", day(root.NotAfter), inDays(left))
		a.rotateHint(ca)
	}

	// Exports run together must not each check the files, find them
	// absent or the same, and then rename over one another's: all but
	// one would say "written" for contents that are gone. The CA
	// folder's lock makes them take turns (best effort: a CA folder this
	// user can't write has no lock to take).
	if unlock, err := certs.Lock(ca.Dir, a.waitingFor(ca.Dir)); err == nil {
		defer unlock()
	}
	write, err := a.exportPlan(files, f.force)
	if err != nil {
		return exitFail
	}
	if len(write) > 0 {
		created, err := ensureOutDir(outDir)
		if err != nil {
			a.errorf("%v", err)
			return exitFail
		}
		if err := certs.WriteFiles(write...); err != nil {
			if created {
				os.Remove(outDir)
			}
			a.errorf("%v", err)
			return exitFail
		}
	}

	res := exportJSON{
		Label:       label,
		RootFile:    files[0].Path,
		Subject:     root.Subject.String(),
		Fingerprint: fingerprintJSON{Hex: fp.Hex(), Voice: fp.Voice(), Words: fp.Words()},
		Constrained: !ca.Unconstrained(),
		Permits:     permitsJSON{Domains: []string{}, IPRanges: []string{}},
		MayVouchFor: ca.Constraints.Describe(),
		NotAfter:    root.NotAfter.UTC(),
		Source:      source,
		Command:     inv.Command,
		Invitation:  invitationJSON{Text: files[1].Path, HTML: files[2].Path},
	}
	if ca.Constraints != nil {
		res.Permits.Domains = append(res.Permits.Domains, ca.Constraints.Domains...)
		for _, r := range ca.Constraints.Ranges {
			res.Permits.IPRanges = append(res.Permits.IPRanges, r.String())
		}
	}
	if f.json {
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			a.errorf("%v", err)
			return exitFail
		}
		fmt.Fprintln(a.stdout, string(out))
		return exitOK
	}
	a.printExport(res, now)
	return exitOK
}

// exportPlan returns the files to write: an existing file with the same
// contents is left alone, one with other contents is refused without
// --force. A refusal is reported here, and nothing is written.
func (a *app) exportPlan(files []certs.File, force bool) ([]certs.File, error) {
	var write []certs.File
	var differ, same []string
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			write = append(write, f)
		case err != nil:
			if st, serr := os.Stat(f.Path); serr == nil && st.IsDir() {
				a.errorf("%s is a folder", f.Path)
				return nil, err
			}
			a.errorf("can't read %s: %v", f.Path, err)
			return nil, err
		case bytes.Equal(old, f.Data):
			same = append(same, f.Path)
		case force:
			write = append(write, f)
		default:
			differ = append(differ, f.Path)
		}
	}
	if len(differ) > 0 {
		verb, it := "exists", "it"
		if len(differ) > 1 {
			verb, it = "exist", "them"
		}
		a.errorf("%s already %s with other contents; nothing was written", strings.Join(differ, ", "), verb)
		// The command as given, so --name, --url and the rest stay.
		again := func(drop, extra string, value ...string) platform.Cmd {
			argv := append([]string{"vouch"}, withoutFlags(a.argv, "force", drop)...)
			return platform.Cmd{Argv: append(append(argv, extra), value...)}
		}
		a.hintf("%s   (to replace %s), or %s", again("", "--force"), it, again("out", "--out", "NEW_FOLDER"))
		return nil, errors.New("files differ")
	}
	for _, p := range same {
		a.infof("%s is already up to date", p)
	}
	return write, nil
}

// ensureOutDir makes the --out folder when it is missing (its parent must
// exist, so a typo does not grow a tree); created says whether it did.
func ensureOutDir(dir string) (created bool, err error) {
	st, err := os.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return false, fmt.Errorf("--out %s is not a folder", dir)
		}
		return false, nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("can't create --out %s: %s does not exist", dir, filepath.Dir(dir))
		}
		return false, fmt.Errorf("can't create --out %s: %w", dir, err)
	}
	return true, nil
}

func (a *app) printExport(r exportJSON, now time.Time) {
	w := a.stdout
	fmt.Fprintf(w, "Root certificate   %s\n", r.RootFile)
	fmt.Fprintf(w, "Fingerprint        SHA-256, read it aloud, group by group:\n")
	fmt.Fprintf(w, "    %s\n", r.Fingerprint.Voice)
	fmt.Fprintf(w, "The same as words  (one word per byte, see vouch's README):\n")
	groups := strings.Split(r.Fingerprint.Words, " / ")
	fmt.Fprintf(w, "    %s /\n", strings.Join(groups[:4], " / "))
	fmt.Fprintf(w, "    %s\n", strings.Join(groups[4:], " / "))
	fmt.Fprintf(w, "It may vouch for   %s\n", r.MayVouchFor)
	fmt.Fprintf(w, "It expires         %s (%s)\n", day(r.NotAfter), inDays(r.NotAfter.Sub(now)))
	fmt.Fprintf(w, "Your friend runs\n    %s\n", r.Command)
	fmt.Fprintf(w, "Invitation         %s\n", r.Invitation.Text)
	fmt.Fprintf(w, "                   %s\n", r.Invitation.HTML)
}

// invitation is what both invitation files say.
type invitation struct {
	Label       string
	RootFile    string
	Voice       string
	VoiceLines  []string // the voice hex in two halves
	Words       string
	WordLines   []string // the words in two halves
	Colons      string   // as Firefox, macOS and openssl show it
	MayVouchFor string
	Domains     []string
	Ranges      []string
	Constrained bool
	Expires     string
	Command     string
	PEM         string
	DataURI     htmltemplate.URL
}

func invitationFacts(ca *certs.CA, label, rootFile string, fp certs.FP, command string) invitation {
	voice := strings.Split(fp.Voice(), " ")
	words := strings.Split(fp.Words(), " / ")
	pem := certs.CertPEM(ca.Root.Raw)
	inv := invitation{
		Label:       label,
		RootFile:    rootFile,
		Voice:       fp.Voice(),
		VoiceLines:  []string{strings.Join(voice[:8], " "), strings.Join(voice[8:], " ")},
		Words:       fp.Words(),
		WordLines:   []string{strings.Join(words[:4], " / "), strings.Join(words[4:], " / ")},
		Colons:      certs.GroupedFingerprint(ca.Root),
		MayVouchFor: ca.Constraints.Describe(),
		Constrained: !ca.Unconstrained(),
		Expires:     ca.Root.NotAfter.UTC().Format("2 January 2006"),
		Command:     command,
		PEM:         string(pem),
		// The download is the page itself: no server, no external link.
		DataURI: htmltemplate.URL("data:application/x-x509-ca-cert;base64," + base64.StdEncoding.EncodeToString(pem)),
	}
	if ca.Constraints != nil {
		inv.Domains = ca.Constraints.Domains
		for _, r := range ca.Constraints.Ranges {
			inv.Ranges = append(inv.Ranges, r.String())
		}
	}
	return inv
}

//go:embed invitation.txt.tmpl
var invitationText string

//go:embed invitation.html.tmpl
var invitationHTML string

// The templates are parsed on first use, not when vouch starts: every
// other command would pay for them.
var (
	invitationTextTmpl = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.New("txt").Parse(invitationText))
	})
	invitationHTMLTmpl = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.New("html").Parse(invitationHTML))
	})
)

func renderInvitation(inv invitation) (text, html []byte, err error) {
	var t, h bytes.Buffer
	if err := invitationTextTmpl().Execute(&t, inv); err != nil {
		return nil, nil, fmt.Errorf("failed to write the invitation: %w", err)
	}
	if err := invitationHTMLTmpl().Execute(&h, inv); err != nil {
		return nil, nil, fmt.Errorf("failed to write the invitation page: %w", err)
	}
	return t.Bytes(), h.Bytes(), nil
}
