package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"crypto/x509"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/internal/fsinfo"
	"github.com/vouchdev/vouch/platform"
)

type certFlags struct {
	caroot   string
	certFile string
	keyFile  string
	p12File  string
	pkcs12   bool
	client   bool
	keyType  string
	ecdsa    bool
	days     int
	valid    string
	// daysGiven and validGiven: the flag was on the command line (0 and
	// "" are values to check then, not "use the default").
	daysGiven     bool
	validGiven    bool
	csr           string
	permit        []string
	unconstrained bool
	only          bool
	chainWithRoot bool
}

func certCommand() *command {
	return &command{
		name:    "cert",
		usage:   "[flags] HOST... | --csr FILE",
		summary: "issue a certificate",
		help: `Issues a certificate for the given names, signed by the local CA, which is
made on first use (and not trusted anywhere until "vouch install").

Names may be host names (IDNs are converted to punycode), wildcards whose
leftmost label is "*" (*.app.test), IPv4 and IPv6 addresses, email
addresses and URIs. The CA may only vouch for: localhost, .test, .example,
.invalid, .internal, .local, .home.arpa (and every name below them), the
loopback and private IP ranges, and whatever --permit added when the CA was
made.

Files, as mkcert names them: NAME.pem (the certificate, then the CA's
intermediate), NAME-key.pem, or NAME.p12 with --pkcs12 (password
"changeit"). NAME is the first host, "+N" for N more, "-client" for client
certificates, "_wildcard" for "*". The paths written are printed on stdout.
A file that is there already keeps its owner, group and mode (a key never
stays readable by every user), a symlink is written through, and a device
or pipe is written into: --cert-file /dev/stdout (or -) prints the chain.
--csr - reads the request from stdin.
--chain-with-root adds the root after the intermediate, so friends can take
it from the server (off by default: clients never trust a root a server
sends, so it only costs bytes in every handshake).`,
		flags: func(fs *pflag.FlagSet) runner {
			f := &certFlags{}
			fs.StringVar(&f.caroot, "caroot", "", "the CA folder")
			fs.StringVar(&f.certFile, "cert-file", "", "write the certificate (and chain) to `FILE`")
			fs.StringVar(&f.keyFile, "key-file", "", "write the private key to `FILE`")
			fs.StringVar(&f.p12File, "p12-file", "", "write the PKCS#12 bundle to `FILE` (implies --pkcs12)")
			fs.BoolVar(&f.pkcs12, "pkcs12", false, "write a PKCS#12 bundle (.p12, password \"changeit\") instead of PEM files")
			fs.BoolVar(&f.client, "client", false, "make a client authentication certificate")
			fs.StringVar(&f.keyType, "key-type", "ecdsa", "key `TYPE`: ecdsa (P-256), rsa2048, rsa3072 or rsa4096")
			fs.BoolVar(&f.ecdsa, "ecdsa", false, "use an ECDSA key (the default; for mkcert's -ecdsa)")
			fs.IntVar(&f.days, "days", 0, "validity in `DAYS` (default 820, under Apple's 825-day limit)")
			fs.StringVar(&f.valid, "valid", "", "validity as a `DURATION` such as 36h or 90d (at least 1h)")
			fs.StringVar(&f.csr, "csr", "", "sign the certificate request in `FILE`, using its names and key")
			fs.StringArrayVar(&f.permit, "permit", nil, "when this command makes the CA, also permit `NAME` (a domain, IP or CIDR); repeatable")
			fs.BoolVar(&f.unconstrained, "unconstrained", false, "when this command makes the CA, give it no name constraints (dangerous)")
			fs.BoolVar(&f.only, "only", false, onlyUsage)
			fs.BoolVar(&f.chainWithRoot, "chain-with-root", false, chainWithRootUsage)
			return func(a *app, args []string) int {
				f.daysGiven, f.validGiven = fs.Changed("days"), fs.Changed("valid")
				return a.cmdCert(f, args)
			}
		},
	}
}

// maxValidityDays bounds --days and --valid's days: more can't be counted
// in a time.Duration (about 292 years), and no CA lives that long, so a
// longer ask is cut to the CA's end as any ask past it is.
const maxValidityDays = 100 * 366

// maxValidity is maxValidityDays as a duration.
const maxValidity = maxValidityDays * 24 * time.Hour

// validityDays is n days, cut to maxValidity before it is multiplied (so
// that no count of days overflows).
func validityDays(n int) time.Duration {
	return time.Duration(min(n, maxValidityDays)) * 24 * time.Hour
}

// parseValidity reads --days or --valid, whichever was given (daysGiven,
// validGiven); 0 means the default, when neither was.
func parseValidity(days int, daysGiven bool, valid string, validGiven bool) (time.Duration, error) {
	if daysGiven && validGiven {
		return 0, errors.New("give --days or --valid, not both")
	}
	if daysGiven {
		switch {
		case days < 0:
			return 0, fmt.Errorf("--days %d is negative", days)
		case days == 0:
			return 0, errors.New("--days 0 is shorter than a day: give 1 or more, or --valid for hours (at least 1h)")
		}
		return validityDays(days), nil
	}
	if !validGiven {
		return 0, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(valid, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("--valid %q is not a duration like 36h or 90d", valid)
		}
		if days < 0 {
			return 0, fmt.Errorf("--valid %s is negative", valid)
		}
		d = validityDays(days)
	} else {
		var err error
		if d, err = time.ParseDuration(valid); err != nil {
			// Whole hours past Go's longest duration (292 years) are a
			// duration all the same: as with days, cut to the most.
			h, ok := strings.CutSuffix(valid, "h")
			if !ok || h == "" || strings.Trim(h, "0123456789") != "" {
				return 0, fmt.Errorf("--valid %q is not a duration like 36h or 90d", valid)
			}
			d = maxValidity
		}
		d = min(d, maxValidity)
	}
	if d < certs.MinLeafValidity {
		return 0, fmt.Errorf("--valid %s is shorter than an hour", valid)
	}
	return d, nil
}

func (a *app) caroot(flag string) (string, bool, error) {
	dir, explicit, err := certs.CARoot(flag, certs.Env{Getenv: a.getenv, GOOS: a.goos, Home: a.home})
	// A ~ no shell expanded (--caroot=~/ca, quoted, a Dockerfile's ENV)
	// names a folder called ~ here; every command says so, rather than
	// each finding no CA there and hinting a command that can't work.
	if err == nil && explicit && (dir == "~" || strings.HasPrefix(dir, "~"+string(filepath.Separator))) {
		if _, serr := os.Stat(dir); serr != nil {
			return dir, explicit, fmt.Errorf("the CA folder %s starts with a ~ that no shell expanded (a ~ stands for your home folder only unquoted at the start of a word): give the whole path, such as %s", dir, filepath.Join(a.home, strings.TrimPrefix(dir, "~")))
		}
	}
	return dir, explicit, err
}

// createConstraints are the constraints a CA made by this command gets; nil
// for --unconstrained. With --only they are exactly the --permit names.
func createConstraints(permit []string, unconstrained, only bool) (*certs.Constraints, error) {
	if only {
		return onlyConstraints(permit, unconstrained)
	}
	if unconstrained {
		if len(permit) > 0 {
			return nil, errors.New("give --permit or --unconstrained, not both")
		}
		return nil, nil
	}
	c := certs.DefaultConstraints()
	for _, p := range permit {
		if err := c.Permit(p); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (a *app) cmdCert(f *certFlags, args []string) int {
	if f.csr != "" && len(args) > 0 {
		return a.usageError("cert", "give host names or --csr, not both")
	}
	if f.csr == "" && len(args) == 0 {
		return a.usageError("cert", "no host names given")
	}
	kt, err := certs.ParseKeyType(f.keyType)
	if err != nil {
		return a.usageError("cert", "%v", err)
	}
	if f.ecdsa && kt != certs.ECDSA {
		return a.usageError("cert", "-ecdsa and --key-type %s disagree", f.keyType)
	}
	validity, err := parseValidity(f.days, f.daysGiven, f.valid, f.validGiven)
	if err != nil {
		return a.usageError("cert", "%v", err)
	}
	planned, err := createConstraints(f.permit, f.unconstrained, f.only)
	if err != nil {
		return a.usageError("cert", "%v", err)
	}
	if f.p12File != "" {
		f.pkcs12 = true
	}
	if f.csr != "" && (f.pkcs12 || f.keyFile != "") {
		return a.usageError("cert", "--csr issues only a certificate: the key stays with whoever made the request, so --key-file and --pkcs12 don't apply")
	}
	if f.pkcs12 && (f.certFile != "" || f.keyFile != "") {
		// mkcert takes them and writes only the bundle; so does vouch,
		// but says so rather than leave the user looking for the files.
		a.warnf("--cert-file and --key-file don't apply with --pkcs12: the bundle holds the certificate and its key, and no PEM files are written")
	}

	var (
		names []certs.Name
		csr   *x509.CertificateRequest
		// request is what the user asked to sign, as hints repeat it,
		// quoted for the shell ('*.x.test' unquoted fails in zsh).
		request = platform.Cmd{Argv: args}.String()
	)
	if f.csr != "" {
		request = platform.Cmd{Argv: []string{"--csr", f.csr}}.String()
		data, err := readCSR(f.csr)
		if err != nil {
			a.errorf("can't read the certificate request %s: %v", csrSource(f.csr), err)
			return exitFail
		}
		c, err := certs.ParseCSR(data)
		if err != nil {
			a.errorf("%s: %v", f.csr, err)
			return exitFail
		}
		if names, err = certs.CSRNames(c); err != nil {
			a.errorf("%s: %v", f.csr, err)
			return exitFail
		}
		csr = c
	} else if names, err = certs.ParseNames(args); err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	base := certs.FileBase(names, f.client)
	certPath := orDefault(f.certFile, "./"+base+".pem")
	keyPath := orDefault(f.keyFile, "./"+base+"-key.pem")
	// Where each output leads, looked up once for the checks below.
	targets := map[string]certs.Target{}
	target := func(path string) certs.Target {
		t, ok := targets[path]
		if !ok {
			t = certs.TargetOf(path)
			targets[path] = t
		}
		return t
	}
	// Both into one file (or through a symlink to the other), as into one
	// stream, is one PEM with the chain then the key, as mkcert writes it
	// (for HAProxy, say), and readable only by its owner.
	combined := !f.pkcs12 && csr == nil && certs.SameTarget(target(certPath), target(keyPath))

	outputs := []string{certPath, keyPath}
	switch {
	case f.pkcs12:
		outputs = []string{orDefault(f.p12File, "./"+base+".p12")}
	case csr != nil, combined:
		outputs = outputs[:1]
	}

	if a.refuseSudo("cert", f.caroot, true) {
		return exitFail
	}
	dir, explicit, err := a.caroot(f.caroot)
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	for _, o := range outputs {
		if name, ok := target(o).CAFile(dir); ok {
			a.errorf("%s is the CA's own %s: writing there would destroy the CA; give a path outside %s", o, name, dir)
			return exitFail
		}
	}
	ca, err := certs.Load(dir)
	switch {
	case err == nil:
		if f.unconstrained && !ca.Unconstrained() {
			a.errorf("the CA in %s already exists, with name constraints; --unconstrained only applies when a CA is made", dir)
			a.hintf("vouch --caroot NEW_FOLDER --unconstrained cert %s", request)
			return exitFail
		}
		if len(f.permit) > 0 && !ca.Constraints.Covers(planned) {
			a.errorf("the CA in %s already exists and its constraints can't change; it permits: %s", dir, ca.Constraints)
			a.hintf("make a new CA that permits it: vouch --caroot NEW_FOLDER %s cert %s", permitFlags(f.permit), request)
			return exitFail
		}
		if f.only && !a.onlyMatches(dir, ca, planned) {
			a.hintf("vouch --caroot NEW_FOLDER cert --only %s %s", permitFlags(f.permit), request)
			return exitFail
		}
	case errors.Is(err, certs.ErrNoCA):
		// Refuse before a CA is made that could vouch for other
		// people's sites (--permit com), or for names it could never
		// sign.
		if err := planned.Wide(); err != nil {
			return a.usageError("cert", "%v", err)
		}
		if err := planned.Check(names); err != nil {
			return a.outside(err, request)
		}
		// Nor for a certificate that can't be written where asked.
		if err := certs.CanWrite(outputs...); err != nil {
			a.errorf("%v; no CA was made", err)
			a.outputHint(f, base, err)
			return exitFail
		}
		var created bool
		ca, created, err = certs.LoadOrCreate(dir, !explicit, certs.CreateOptions{Constraints: planned, KeyType: kt, Owner: a.who(), Now: a.now, Waiting: a.waitingFor(dir)})
		if err != nil {
			a.errorf("%v", err)
			return exitFail
		}
		if created {
			a.infof("created a new local CA in %s", dir)
			a.infof("it may vouch for %s", ca.Constraints.Describe())
			if !a.installNext {
				a.hintf("%s   (trust it on this machine; until then clients warn)", a.vouchCmd("install"))
			}
		}
	default:
		return a.badCA(dir, err)
	}
	// Before the warnings below, which an expired CA makes moot.
	if end := ca.End(); !a.now().Before(end) {
		a.errorf("the CA in %s expired on %s: it can issue no more certificates", dir, day(end))
		a.rotateHint(ca)
		return exitFail
	}
	a.warnRisky(ca)

	req := certs.LeafRequest{CSR: csr, Client: f.client, KeyType: kt, Validity: validity, Owner: a.who(), Now: a.now()}
	if csr == nil {
		req.Names = names // with a CSR, Issue takes them from it and refuses both
	}
	leaf, err := ca.Issue(req)
	if err != nil {
		var out *certs.OutsideError
		if errors.As(err, &out) {
			return a.outside(err, request)
		}
		a.errorf("%v", err)
		return exitFail
	}
	// Once there is a certificate to warn of (not before a refusal).
	if !ca.Unconstrained() && hasURI(names) {
		a.warnf("Chromium and Firefox can't check URI names against name constraints, so they reject this certificate; Go, OpenSSL, curl, Python, Node and Java accept it")
	}

	// Measured on the certificate: its start is backdated a minute, and
	// Apple counts from there.
	if leaf.Cert.NotAfter.Sub(leaf.Cert.NotBefore) > certs.AppleMaxLeafValidity && !f.client {
		a.warnf("Apple's platforms (Safari, and every app on macOS and iOS) reject server certificates valid for more than 825 days; the default is 820")
	}
	if f.chainWithRoot {
		withRoot(leaf, ca)
	}

	var files []certs.File
	switch {
	case f.pkcs12:
		p12, err := leaf.PKCS12()
		if err != nil {
			a.errorf("%v", err)
			return exitFail
		}
		files = append(files, certs.File{Path: outputs[0], Data: p12, Mode: 0o600, Named: true})
	case csr != nil:
		files = append(files, certs.File{Path: certPath, Data: leaf.ChainPEM(), Mode: 0o644, Named: true})
	default:
		key, err := leaf.KeyPEM()
		if err != nil {
			a.errorf("%v", err)
			return exitFail
		}
		if combined {
			// A file that held only a certificate was readable by its group,
			// and maybe everyone: the key beside it is for the owner alone.
			old, err := os.ReadFile(certPath)
			newly := err != nil || !bytes.Contains(old, []byte("PRIVATE KEY-----"))
			files = append(files, certs.File{Path: certPath, Data: append(leaf.ChainPEM(), key...), Mode: 0o600, Named: true, NewlySecret: newly})
			break
		}
		files = append(files,
			certs.File{Path: certPath, Data: leaf.ChainPEM(), Mode: 0o644, Named: true},
			certs.File{Path: keyPath, Data: key, Mode: 0o600, Named: true},
		)
	}
	unkept, toStdout, err := certs.WriteNamed(files...)
	if err != nil {
		a.errorf("%v", err)
		a.outputHint(f, base, err)
		return exitFail
	}
	for _, u := range unkept {
		a.warnUnkept(u)
	}

	a.infof("certificate for %s, valid until %s", strings.Join(certs.LeafNames(leaf.Cert), ", "), leaf.Cert.NotAfter.Local().Format("2 January 2006"))
	if leaf.Capped {
		a.warnf("that is sooner than asked: a certificate can't outlive its CA")
	}
	a.warnExpiry(ca)
	if hosts, ok := urlHosts(names); ok && csr == nil && !f.client {
		a.hintf("a server's certificate names its host, not a URL (a URI name is for client identities): %s", a.vouchCmd(append([]string{"cert"}, hosts...)...))
	}
	if f.pkcs12 {
		a.infof("the PKCS#12 password is %q (mkcert's, and Java's default)", certs.PKCS12Password)
	}
	if combined {
		a.infof("the chain and its key are both in %s", certPath)
	}
	// The list of files is data on stdout, unless a file went there: then
	// the certificate is the data.
	anyToStdout := slices.Contains(toStdout, true)
	for i, file := range files {
		switch {
		case !anyToStdout:
			fmt.Fprintln(a.stdout, file.Path)
		case !toStdout[i]:
			// stdout holds the data; the other file's path goes here.
			a.infof("wrote %s", file.Path)
		}
	}
	return exitOK
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

func permitFlags(permit []string) string {
	parts := make([]string, len(permit))
	for i, p := range permit {
		parts[i] = platform.Cmd{Argv: []string{"--permit", p}}.String()
	}
	return strings.Join(parts, " ")
}

// maxCSR bounds what vouch reads as a certificate request: one is a few
// KB, and the wrong file (or /dev/zero) must not fill the memory.
const maxCSR = 1 << 20

// csrSource names where --csr PATH reads from, for messages.
func csrSource(path string) string {
	if path == "-" {
		return "from stdin"
	}
	return path
}

// readCSR reads the request from path, or from stdin when path is "-".
// Its errors leave the path out, for the message names it.
func readCSR(path string) ([]byte, error) {
	var f io.Reader = os.Stdin
	if path != "-" {
		file, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		if err != nil {
			return nil, fsinfo.Bare(err)
		}
		defer file.Close()
		f = file
	}
	data, err := io.ReadAll(io.LimitReader(f, maxCSR+1))
	if err != nil {
		return nil, fsinfo.Bare(err)
	}
	if len(data) > maxCSR {
		return nil, fmt.Errorf("more than %d bytes, too much for one", maxCSR)
	}
	return data, nil
}

func (a *app) outside(err error, request string) int {
	a.errorf("%v", err)
	var out *certs.OutsideError
	if !errors.As(err, &out) || out.Reason != "" {
		return exitFail
	}
	// A mistyped command (vouch instal) reads as a host name: a CA made
	// for that name is not what was meant.
	if cmds := nearCommands(out.Name); len(cmds) > 0 && a.implicitCert {
		lines := make([]string, len(cmds))
		for i, c := range cmds {
			lines[i] = a.vouchCmd(c)
		}
		a.hintf("%s is not a command; did you mean %s?", out.Name, strings.Join(lines, " or "))
		return exitFail
	}
	permit := suggestPermit(out.Name)
	if certs.PublicSuffix(permit) {
		// Anyone can register a name below it: no CA permits it whole.
		a.hintf("%s is a public suffix, so a CA may permit only a domain below it, one of yours: vouch --caroot NEW_FOLDER cert --permit YOURNAME.%s YOURNAME.%s", permit, permit, permit)
		return exitFail
	}
	a.hintf("a CA that may vouch for it: vouch --caroot NEW_FOLDER cert --permit %s %s", permit, request)
	return exitFail
}

// nearCommands are the commands a single-label name is fewest slips away
// from (a letter left out, added, changed, or two swapped; at most one slip,
// two for the longer names), in table order; nil when there are none. A
// name as near to two commands names both: uinstall is one slip from
// install and from uninstall, and guessing one of those could do the
// opposite of what was meant.
func nearCommands(name string) []string {
	if strings.ContainsAny(name, ".:@/") {
		return nil
	}
	name = strings.ToLower(name)
	var near []string
	best := 0
	for _, c := range commands() {
		slips := 1
		if len(c.name) > 6 {
			slips = 2
		}
		d := editDistance(name, c.name)
		if name == c.name || d > slips {
			continue
		}
		switch {
		case near == nil || d < best:
			near, best = []string{c.name}, d
		case d == best:
			near = append(near, c.name)
		}
	}
	return near
}

// editDistance counts the letters to add, take out or change, and the
// neighbours to swap, that make a into b (optimal string alignment).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// suggestPermit turns a refused name into the --permit value that allows it.
func suggestPermit(name string) string {
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		return name[i+1:]
	}
	if n, err := certs.ParseName(name); err == nil && n.Kind == certs.URI {
		return n.URI.Hostname()
	}
	return strings.TrimPrefix(name, "*.")
}

// warnRisky says, every time, what a leak of this CA's key could do.
func (a *app) warnRisky(ca *certs.CA) {
	switch {
	case ca.Adopted && ca.Unconstrained():
		a.warnf("this is an mkcert CA: its root key is on disk (%s) and it has no name constraints, so anyone who copies that file can make certificates this machine trusts for any site, your bank's included", filepath.Join(ca.Dir, certs.RootKeyFile))
		a.hintf("vouch --caroot NEW_FOLDER cert localhost   (a new CA that can vouch only for local names)")
	case ca.Adopted:
		a.warnf("this CA's root key is on disk (%s): anyone who copies it can make certificates for %s", filepath.Join(ca.Dir, certs.RootKeyFile), ca.Constraints)
	case ca.Unconstrained():
		a.warnf("this CA has no name constraints: anyone who copies its issuing key (%s) can make certificates for any site, your bank's included", filepath.Join(ca.Dir, certs.IssuerKeyFile))
	}
}

func hasURI(names []certs.Name) bool {
	for _, n := range names {
		if n.Kind == certs.URI {
			return true
		}
	}
	return false
}

// warnUnkept says that a file vouch replaced had an owner and group it
// could not give the new one, and how to give them back.
func (a *app) warnUnkept(u certs.Unkept) {
	owner, group := strconv.Itoa(u.UID), strconv.Itoa(u.GID)
	if usr, err := user.LookupId(owner); err == nil {
		owner = usr.Username
	}
	if grp, err := user.LookupGroupId(group); err == nil {
		group = grp.Name
	}
	if u.UID == os.Getuid() {
		// Already the user's: only its group could not be kept.
		a.warnf("%s belonged to the group %s (mode %04o), which you are not in; only root can give the new one that group, so its group is yours now, and a server that read it as group %s can't", u.Path, group, u.Mode, group)
		a.hintf("%s && %s", platform.Cmd{Argv: []string{"sudo", "chgrp", group, u.Path}}, platform.Cmd{Argv: []string{"chmod", fmt.Sprintf("%04o", u.Mode), u.Path}})
		return
	}
	a.warnf("%s belonged to %s:%s (mode %04o); only root can give the new one that owner and group, so it is yours now, and a server that read it as %s can't", u.Path, owner, group, u.Mode, owner+":"+group)
	a.hintf("%s && %s", platform.Cmd{Argv: []string{"sudo", "chown", owner + ":" + group, u.Path}}, platform.Cmd{Argv: []string{"sudo", "chmod", fmt.Sprintf("%04o", u.Mode), u.Path}})
}

// urlHosts is names with each web URL (http, https, ws, wss) whose host
// is not named too replaced by that host, and whether there was one: a
// URL pasted where its host was meant gives a certificate no browser
// matches to the server.
func urlHosts(names []certs.Name) ([]string, bool) {
	named := map[string]bool{}
	for _, n := range names {
		if n.Kind == certs.DNS || n.Kind == certs.IP {
			named[n.String()] = true
		}
	}
	var out []string
	found := false
	for _, n := range names {
		s := n.String()
		if n.Kind == certs.URI {
			switch n.URI.Scheme {
			case "http", "https", "ws", "wss":
				h := n.URI.Hostname()
				if named[h] {
					continue
				}
				named[h], found, s = true, true, h
			}
		}
		out = append(out, s)
	}
	return out, found
}

// cantWrite is an output error that another folder would avoid.
func cantWrite(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOTDIR)
}

// badCA says why the CA in dir can't be used (it exists, but can't be
// read or is broken), with what to do, and returns exitFail.
func (a *app) badCA(dir string, err error) int {
	a.errorf("%v", err)
	switch st, serr := os.Stat(dir); {
	case errors.Is(err, fs.ErrPermission):
		// Not broken, only not this user's: a new CA would be a new
		// root to trust everywhere.
		a.hintf("the CA in %s is not readable by you: run vouch as the user who made it, or give a folder of your own with --caroot", dir)
	case serr == nil && st.IsDir():
		// Only a folder with a broken CA in it can be moved aside.
		a.hintf("move %s aside and run vouch again to make a new CA", dir)
	}
	return exitFail
}

// outputHint follows an error writing the output files with the command
// that avoids it, where one would: a short file name for a name too long
// (a long host name makes one), another folder for one that can't be
// written.
func (a *app) outputHint(f *certFlags, base string, err error) {
	switch {
	case errors.Is(err, syscall.ENAMETOOLONG):
		a.writeHint(f, ".", "cert", "a shorter file name")
	case cantWrite(err):
		home := "~"
		if a.goos == "windows" {
			home = "$HOME"
		}
		a.writeHint(f, home, base, "files in a folder you can write")
	}
}

// writeHint repeats the command with its output files named base in dir.
func (a *app) writeHint(f *certFlags, dir, base, why string) {
	var out []string
	switch {
	case f.pkcs12:
		out = []string{"--p12-file", dir + "/" + base + ".p12"}
	case f.csr != "":
		out = []string{"--cert-file", dir + "/" + base + ".pem"}
	default:
		out = []string{"--cert-file", dir + "/" + base + ".pem", "--key-file", dir + "/" + base + "-key.pem"}
	}
	a.hintf("vouch %s %s   (%s)", strings.Join(out, " "), platform.Cmd{Argv: withoutOutputFlags(a.argv)}, why)
}

// withoutOutputFlags drops the file flags (vouch's and mkcert's spellings)
// and their values from args.
func withoutOutputFlags(args []string) []string {
	return withoutFlags(args, "cert-file", "key-file", "p12-file")
}

// withoutFlags is args less the flags named (and the values of those that
// take one), so that a hint can repeat a command with them given anew.
func withoutFlags(args []string, names ...string) []string {
	var keep []string
	for i := 0; i < len(args); i++ {
		name, _, inline := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if strings.HasPrefix(args[i], "-") && slices.Contains(names, name) {
			if !inline && valueFlags[name] {
				i++
			}
			continue
		}
		keep = append(keep, args[i])
	}
	return keep
}
