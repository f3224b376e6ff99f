package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
)

// vouch check's exit codes, one per verdict; documented in its help and
// the README, pinned by check_test.go. 1 and 2 keep their meaning for every
// command (failure to connect, usage).
const (
	exitNotTrusted = 3 // the chain reaches no root the user trusts
	exitBadName    = 4 // the name is outside what the root permits, or not in the certificate
	exitExpired    = 5 // the certificate (or its issuer, or the root) is out of its validity
	exitSelfSigned = 6 // the server's certificate vouches for itself
)

// Test-only seams.
var (
	// testOnlyDialAddr maps the address check connects to, so tests can
	// check a DNS name while serving on 127.0.0.1.
	testOnlyDialAddr func(hostport string) string
	// testOnlySystemRoots replaces the system's roots (nil: the real ones).
	testOnlySystemRoots *x509.CertPool
)

func checkCommand() *command {
	return &command{
		name:    "check",
		usage:   "https://HOST[:PORT][/PATH] | HOST[:PORT] [--timeout DURATION] [--json] [--caroot DIR]",
		summary: "connect to a server and explain whether to trust it",
		help: `Connects to the server, takes the certificates it presents and says, in plain
words, what they mean for you: whether they chain to a root you trusted for
someone with "vouch trust" (and which, since when), whether the server's
certificate is the same as last time, a routine renewal under the same root,
or a change of root you confirmed; or why not to trust it. A bare HOST means
port 443. vouch remembers the last certificate of each server only when the
verdict is "trusted", so an attacker's certificate never becomes the
baseline.

A server that chains to the system's roots (public CAs, and roots installed
there) is reported as such: trusted by this machine, but not through a root
you trusted for someone. One under your own CA (the one vouch cert issues
from) is named as yours: trusted by this machine once vouch install has
put it in the system store, not trusted yet before; one still on a
certificate from a CA vouch rotate retired is named as under your old CA.

Exit codes:
  0  trusted: chains to a root you trusted with vouch trust, or to the system's roots (your own CA once installed)
  1  can't connect, or no TLS there
  2  usage error
  3  NOT TRUSTED: the chain reaches no root you trust (a different root, or your own CA before vouch install); or INCOMPLETE CHAIN: a leaf of your own CA sent without its intermediate
  4  the name is outside what the trusted root may vouch for, or not in the certificate
  5  expired (or not yet valid): the certificate, its issuer or the root
  6  self-signed: the server's certificate vouches for itself`,
		flags: func(fs *pflag.FlagSet) runner {
			asJSON := fs.Bool("json", false, "print JSON (the shape is in the README)")
			caroot := fs.String("caroot", "", "the folder of your own CA, to name it when a server chains to it (default: vouch cert's)")
			timeout := fs.Duration("timeout", 10*time.Second, "give up connecting after `DURATION`")
			return func(a *app, args []string) int {
				if len(args) != 1 {
					if len(args) == 0 {
						return a.usageError("check", "which server? give https://HOST[:PORT] or HOST:PORT")
					}
					return a.usageError("check", "unexpected argument %q", args[1])
				}
				if *timeout <= 0 {
					return a.usageError("check", "--timeout must be positive")
				}
				t, err := parseCheckTarget(args[0])
				if err != nil {
					return a.usageError("check", "%v", err)
				}
				return a.cmdCheck(t, *caroot, *timeout, *asJSON)
			}
		},
	}
}

// checkTarget is where vouch check connects and the name it checks the
// certificate against.
type checkTarget struct {
	// Host is a lowercase ASCII DNS name or an IP address (no brackets).
	Host string
	Port string
}

func (t checkTarget) String() string { return net.JoinHostPort(t.Host, t.Port) }

// parseCheckTarget reads https://HOST[:PORT][/path], HOST:PORT, [V6]:PORT,
// or a bare HOST or IP (port 443).
func parseCheckTarget(s string) (checkTarget, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return checkTarget{}, errors.New("no server given")
	}
	var host, port string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return checkTarget{}, fmt.Errorf("%q is not a valid URL", s)
		}
		if !strings.EqualFold(u.Scheme, "https") {
			return checkTarget{}, fmt.Errorf("vouch check speaks TLS: give an https:// URL or HOST:PORT, not a %s:// URL", u.Scheme)
		}
		if u.User != nil {
			return checkTarget{}, errors.New("the URL carries a user name; give only https://HOST[:PORT]")
		}
		if u.Host == "" {
			return checkTarget{}, fmt.Errorf("%q has no host", s)
		}
		host, port = u.Hostname(), u.Port()
		if strings.HasSuffix(u.Host, ":") {
			return checkTarget{}, fmt.Errorf("%q has an empty port", s)
		}
	} else {
		if strings.ContainsAny(s, "/?#@ \t") {
			return checkTarget{}, fmt.Errorf("%q is not HOST:PORT or an https:// URL", s)
		}
		if _, err := netip.ParseAddr(s); err == nil {
			host = s // a bare IPv6 address, colons and all
		} else if h, p, err := net.SplitHostPort(s); err == nil {
			host, port = h, p
			if port == "" {
				return checkTarget{}, fmt.Errorf("%q has an empty port", s)
			}
		} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
		} else if !strings.Contains(s, ":") {
			host = s
		} else {
			return checkTarget{}, fmt.Errorf("%q is not HOST:PORT or an https:// URL", s)
		}
	}
	if port == "" {
		port = "443"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return checkTarget{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	if host == "" {
		return checkTarget{}, fmt.Errorf("%q has no host", s)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return checkTarget{}, fmt.Errorf("%q: addresses with a zone can't be checked against a certificate", host)
		}
		return checkTarget{Host: ip.Unmap().String(), Port: port}, nil
	}
	n, err := certs.ParseName(host)
	if err != nil {
		return checkTarget{}, err
	}
	if n.Kind != certs.DNS || strings.HasPrefix(n.DNS, "*.") {
		return checkTarget{}, fmt.Errorf("%q is not a host name", host)
	}
	return checkTarget{Host: n.DNS, Port: port}, nil
}

// Verdicts, as --json's "result".
const (
	resultTrusted       = "trusted"
	resultPublic        = "public"
	resultNotTrusted    = "not_trusted"
	resultIncomplete    = "incomplete_chain"
	resultNotPermitted  = "name_not_permitted"
	resultNameMismatch  = "name_mismatch"
	resultExpired       = "expired"
	resultSelfSigned    = "self_signed"
	resultConnectFailed = "error"
)

// sourceOwnCA is --json's root.source for the user's own CA, the one
// vouch cert issues from.
const sourceOwnCA = "your CA"

// sourceRetiredCA is root.source for a CA vouch rotate retired from the
// user's folder.
const sourceRetiredCA = "your old CA"

// sourceNotSent: the server did not send its root.
const sourceNotSent = "not sent"

// ownWhere names the user's own CA in check's verdicts.
func ownWhere(own *certs.CA) string {
	return fmt.Sprintf("your own CA (%s, fingerprint %s)", own.Dir, certs.FingerprintOf(own.Root).Voice())
}

// Changes since the last check, as --json's "change".
const (
	changeFirst     = "first"
	changeSame      = "same"
	changeRenewal   = "renewal"
	changeConfirmed = "root_confirmed"
	changeRoot      = "root_changed"
)

// checkJSON is `vouch check --json`; its shape is documented in the README
// and pinned by a test.
type checkJSON struct {
	Target   string `json:"target"`
	Result   string `json:"result"`
	ExitCode int    `json:"exit_code"`
	// Summary is the verdict's first line; Details the lines after it.
	Summary string    `json:"summary"`
	Details []string  `json:"details"`
	Leaf    *leafJSON `json:"leaf"`
	// Root is the root the chain reaches (trusted) or the one the server
	// presents (not trusted); null when unknown.
	Root *checkRootJSON `json:"root"`
	// PreviousRoot is the root this server chained to last time, when it
	// differs from Root.
	PreviousRoot *checkRootJSON `json:"previous_root"`
	Change       string         `json:"change,omitempty"`
	// Rotation is "expected" or "suspicious" when the root changed to one
	// not trusted.
	Rotation string       `json:"rotation,omitempty"`
	LastSeen *record.Seen `json:"last_seen"`
	// Recorded says whether this certificate is now the one remembered.
	Recorded bool `json:"recorded"`
}

type leafJSON struct {
	FingerprintSHA256 string    `json:"fingerprint_sha256"`
	Names             []string  `json:"names"`
	Issuer            string    `json:"issuer"`
	NotBefore         time.Time `json:"not_before"`
	NotAfter          time.Time `json:"not_after"`
}

type checkRootJSON struct {
	// Label is the name given at vouch trust; "" for a root not trusted.
	Label string `json:"label,omitempty"`
	// FingerprintSHA256 is lowercase hex; "" when the server did not send
	// its root.
	FingerprintSHA256 string     `json:"fingerprint_sha256"`
	Subject           string     `json:"subject"`
	NotAfter          time.Time  `json:"not_after,omitzero"`
	TrustedAt         *time.Time `json:"trusted_at,omitempty"`
	// Source: "vouch trust", "your CA", "your old CA", "system",
	// "presented" (sent by the server, not trusted) or "not sent".
	Source string `json:"source"`
}

func (a *app) cmdCheck(t checkTarget, caroot string, timeout time.Duration, asJSON bool) int {
	stateDir := platform.StateDir(a.goos, a.home, a.getenv)
	book, err := record.Load(stateDir)
	if err != nil {
		a.errorf("%v", err)
		return exitFail
	}
	chain, err := fetchChain(t, timeout)
	if err != nil {
		if asJSON {
			a.printCheckJSON(&checkJSON{Target: t.String(), Result: resultConnectFailed, ExitCode: exitFail, Summary: err.Error(), Details: []string{}})
		}
		a.errorf("%v", err)
		// The command as given, --timeout and --json included, to run
		// again once the server is up.
		a.hintf("check the address, and that the server is running; then again: %s", a.commandLine("vouch"))
		return exitFail
	}
	res := a.judge(t, chain, book, caroot)
	if res.Result == resultTrusted {
		res.Recorded = a.remember(stateDir, t, chain[0], res.Root.FingerprintSHA256)
	}
	if asJSON {
		a.printCheckJSON(res)
	} else {
		fmt.Fprintf(a.stdout, "%s\n", res.Summary)
		for _, d := range res.Details {
			fmt.Fprintf(a.stdout, "  %s\n", d)
		}
	}
	switch res.Result {
	case resultNotTrusted, resultSelfSigned:
		if res.Root != nil && res.Root.Source == sourceOwnCA {
			a.hintf("%s", a.vouchCmd("install"))
		} else if res.Root != nil && res.Root.Source == sourceRetiredCA {
			a.hintf("%s   (a certificate from your current CA, for the server)", a.vouchCmd(res.Leaf.Names...))
		} else if res.Root != nil && res.Root.Source == sourceNotSent {
			// vouch trust HOST:PORT takes the root the server sends.
			a.hintf("vouch trust ROOT_FILE --fingerprint 'THE FINGERPRINT THEY READ YOU' --name LABEL   (the server does not send its root: ask its owner for the file, which vouch export writes, and compare the fingerprint over a channel you trust)")
		} else if res.Result == resultSelfSigned && !chain[0].IsCA {
			// No root to trust: vouch trust refuses a server's own certificate.
			a.hintf("a self-signed server certificate can't be trusted as a root; its owner can issue one from a CA (vouch HOST) and send you that CA's root")
		} else if res.Root != nil || res.PreviousRoot != nil {
			// Quoted: [::1]:8443 is a pattern to the shell. A root with
			// no limits, trust refuses without --allow-unconstrained.
			flags, why := "", ""
			if top := chain[len(chain)-1]; selfSigned(top) && top.IsCA {
				if l := certs.LimitsOf(top); l.Unconstrained() {
					flags = " --allow-unconstrained"
					why = fmt.Sprintf("; --allow-unconstrained, since this root could vouch for any site, your bank's included (%s): add it only if you trust its owner with every site you visit", strings.Join(l.Wide, "; "))
				}
			}
			a.hintf("%s --fingerprint 'THE FINGERPRINT THEY READ YOU' --name LABEL%s   (only after comparing it with the owner over a channel you trust%s)", platform.Cmd{Argv: []string{"vouch", "trust", t.String()}}, flags, why)
		}
	}
	return res.ExitCode
}

func (a *app) printCheckJSON(res *checkJSON) {
	out, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		a.errorf("%v", err)
		return
	}
	fmt.Fprintln(a.stdout, string(out))
}

// fetchChain connects and returns the certificates the server presents,
// leaf first, without judging them: check judges them against the roots
// the user chose, which crypto/tls can't be told about, and trust takes
// the root from them by its fingerprint.
func fetchChain(t checkTarget, timeout time.Duration) ([]*x509.Certificate, error) {
	addr := t.String()
	if testOnlyDialAddr != nil {
		addr = testOnlyDialAddr(addr)
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, insecureTLS(t.Host))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("can't connect to %s: no answer within %v", t, timeout)
		}
		var re tls.RecordHeaderError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%s does not speak TLS (is it plain HTTP?)", t)
		}
		return nil, fmt.Errorf("can't connect to %s: %v", t, err)
	}
	defer conn.Close()
	chain := conn.ConnectionState().PeerCertificates
	if len(chain) == 0 {
		return nil, fmt.Errorf("%s sent no certificate", t)
	}
	return chain, nil
}

// verifyFunc verifies the server's leaf, with the intermediates it sent,
// against roots, for name ("" for none) at a time.
type verifyFunc func(roots *x509.CertPool, name string, at time.Time) ([][]*x509.Certificate, error)

// trustedRoot is a root from the record, with its certificate.
type trustedRoot struct {
	rec  *record.Root
	cert *x509.Certificate
}

// judge explains the chain a server presented. Order matters: a chain
// that reaches a root you trusted is judged by that root (names, dates,
// changes); otherwise by the system's roots; otherwise it is not trusted,
// and the message is about the root.
func (a *app) judge(t checkTarget, chain []*x509.Certificate, book *record.Book, caroot string) *checkJSON {
	now := a.now()
	leaf, inter := chain[0], chain[1:]
	res := &checkJSON{Target: t.String(), Details: []string{}, Leaf: describeLeaf(leaf)}
	last := book.LastSeen(t.String())
	if last != nil {
		res.LastSeen = last
	}

	var trusted []trustedRoot
	pool := x509.NewCertPool()
	for i := range book.Roots {
		r := &book.Roots[i]
		c, err := book.ReadRoot(r.Fingerprint)
		if err != nil {
			a.warnf("%v", err)
			continue
		}
		trusted = append(trusted, trustedRoot{rec: r, cert: c})
		pool.AddCert(c)
	}
	interPool := x509.NewCertPool()
	for _, c := range inter {
		interPool.AddCert(c)
	}
	verify := func(roots *x509.CertPool, name string, at time.Time) ([][]*x509.Certificate, error) {
		return leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: interPool, DNSName: name, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	}

	// Reaches a root you trusted, by signatures alone.
	if path, tr := walkToRoot(leaf, inter, trusted); tr != nil {
		res.Root = rootFromRecord(tr)
		chains, err := verify(pool, t.Host, now)
		if err == nil {
			a.trustedVerdict(res, chains, trusted, last, book)
			return res
		}
		label := tr.rec.Label
		switch fault, c := diagnose(verify, pool, path, now); fault {
		case faultNotPermitted:
			res.Result, res.ExitCode = resultNotPermitted, exitBadName
			res.Summary = fmt.Sprintf("NAME NOT PERMITTED: the root %q may vouch only for %s; this server's certificate names %s, outside it", label, permitsOf(tr), strings.Join(outsideNames(leaf, path), ", "))
			res.Details = append(res.Details, "a root you trusted for someone can't vouch for other names: a server presenting this is not to be trusted")
			return res
		case faultExpired:
			res.Result, res.ExitCode = resultExpired, exitExpired
			res.Summary = fmt.Sprintf("EXPIRED: %s", validityText(c, leaf, tr, now))
			res.Details = append(res.Details, fmt.Sprintf("it chains to the root %q you trusted; ask the owner to renew", label))
			return res
		case faultNameMismatch:
			res.Result, res.ExitCode = resultNameMismatch, exitBadName
			res.Summary = fmt.Sprintf("NAME MISMATCH: this certificate is for %s, not %s", strings.Join(certs.LeafNames(leaf), ", "), t.Host)
			res.Details = append(res.Details, fmt.Sprintf("it chains to the root %q you trusted, but not for this name", label))
			return res
		}
		res.Result, res.ExitCode = resultNotTrusted, exitNotTrusted
		res.Summary = fmt.Sprintf("NOT TRUSTED: the chain leads to the root %q you trusted, but does not verify: %v", label, err)
		return res
	}

	// Your own CA, the one vouch cert issues from: whether this machine
	// trusts it yet is what a developer checking their server wants to know.
	if own := a.ownCA(caroot); own != nil {
		if path, _ := walkToRoot(leaf, inter, []trustedRoot{{cert: own.Root}}); path != nil {
			if ownVerdict(res, own, path, verify, t.Host, now, a.vouchCmd) {
				return res
			}
		} else if !own.Adopted && incompleteVerdict(res, leaf, inter, own.Issuer, own.Root, ownWhere(own), sourceOwnCA, t.Host, now) {
			return res
		}
		// A server still on a certificate from before vouch rotate.
		for _, old := range certs.Retired(own.Dir) {
			if path, _ := walkToRoot(leaf, inter, []trustedRoot{{cert: old.Root}}); path != nil {
				if retiredVerdict(res, old, leaf, verify, t.Host, now, a.vouchCmd) {
					return res
				}
				break
			}
			if old.Issuer != nil && incompleteVerdict(res, leaf, inter, old.Issuer, old.Root, fmt.Sprintf("your old CA (retired on %s to %s)", old.On, old.Dir), sourceRetiredCA, t.Host, now) {
				return res
			}
		}
	}

	// The system's roots: public CAs and roots installed in the system store.
	if chains, err := verify(testOnlySystemRoots, t.Host, now); err == nil {
		res.Result, res.ExitCode = resultPublic, exitOK
		res.Root = systemRoot(chains)
		res.Summary = "TRUSTED BY THIS MACHINE: the chain reaches the system's roots (a public CA, or a root installed there), not a root you trusted for someone with vouch trust"
		if prev := previousRoot(last, book); prev != nil {
			res.PreviousRoot = prev
			res.Details = append(res.Details, fmt.Sprintf("last time (%s) this server chained to %s; it has moved to one of the system's roots", day(last.SeenAt), rootName(prev)))
		}
		res.Details = append(res.Details, "vouch keeps no record of public sites")
		return res
	} else if chains, err2 := verify(testOnlySystemRoots, "", now); err2 == nil {
		res.Result, res.ExitCode = resultNameMismatch, exitBadName
		res.Root = systemRoot(chains)
		res.Summary = fmt.Sprintf("NAME MISMATCH: this certificate is for %s, not %s", strings.Join(certs.LeafNames(leaf), ", "), t.Host)
		return res
	} else if isReason(err, x509.Expired) {
		if chains, err3 := verify(testOnlySystemRoots, "", within(now, leaf)); err3 == nil {
			res.Result, res.ExitCode = resultExpired, exitExpired
			res.Root = systemRoot(chains)
			res.Summary = "EXPIRED: " + validityText(leaf, leaf, nil, now)
			return res
		}
	}

	if selfSigned(leaf) {
		res.Result, res.ExitCode = resultSelfSigned, exitSelfSigned
		fp := certs.FingerprintOf(leaf)
		res.Root = &checkRootJSON{FingerprintSHA256: fp.Hex(), Subject: leaf.Subject.String(), NotAfter: leaf.NotAfter.UTC(), Source: "presented"}
		res.Summary = fmt.Sprintf("SELF-SIGNED: this server's certificate vouches for itself (fingerprint %s); no root signed it", fp.Voice())
		a.changeWarning(res, t, last, book, now)
		return res
	}

	res.Result, res.ExitCode = resultNotTrusted, exitNotTrusted
	top := chain[len(chain)-1]
	presented := "a root you never trusted"
	if len(chain) > 1 && selfSigned(top) && top.IsCA {
		fp := certs.FingerprintOf(top)
		res.Root = &checkRootJSON{FingerprintSHA256: fp.Hex(), Subject: top.Subject.String(), NotAfter: top.NotAfter.UTC(), Source: "presented"}
		presented = fmt.Sprintf("a different root (fingerprint %s)", fp.Voice())
	} else {
		res.Root = &checkRootJSON{Subject: top.Issuer.String(), Source: sourceNotSent}
		presented = fmt.Sprintf("a different root: its chain ends at %q, whose root it did not send (so no fingerprint to compare)", top.Issuer.String())
	}
	res.Summary = "NOT TRUSTED: this server presents " + presented
	a.changeWarning(res, t, last, book, now)
	return res
}

// ownCA is the CA this user's vouch issues from (the folder vouch cert
// would use, or --caroot); nil when there is none or it can't be read:
// check is about the server, and vouch status reports on the CA.
// A --caroot given that holds no CA is said: it was most likely mistyped.
func (a *app) ownCA(flag string) *certs.CA {
	_, ca, err := a.loadCA(flag)
	if err == nil {
		return ca
	}
	if flag != "" {
		a.warnf("--caroot: %v; the server is judged without your own CA", err)
	}
	return nil
}

// incompleteVerdict judges a leaf that issuer (the intermediate of one of
// the user's CAs, named where) signed, sent without that intermediate: the
// server's configuration names the leaf alone, or a chain file from
// another CA (the one vouch rotate retired has the same name), so clients
// can't reach the root; vouch's leaves name no place to fetch the
// intermediate from. It reports false for a leaf issuer did not sign.
func incompleteVerdict(res *checkJSON, leaf *x509.Certificate, inter []*x509.Certificate, issuer, root *x509.Certificate, where, source, host string, now time.Time) bool {
	if leaf.CheckSignatureFrom(issuer) != nil {
		return false
	}
	fp := certs.FingerprintOf(root)
	res.Root = &checkRootJSON{FingerprintSHA256: fp.Hex(), Subject: root.Subject.String(), NotAfter: root.NotAfter.UTC(), Source: source}
	res.Result, res.ExitCode = resultIncomplete, exitNotTrusted
	sent := "without the intermediate of " + where
	if slices.ContainsFunc(inter, func(c *x509.Certificate) bool { return bytes.Equal(c.RawSubject, issuer.RawSubject) }) {
		sent = "with an intermediate that has the right name but is not the one of " + where + " that signed it (a chain file from before vouch rotate?)"
	}
	res.Summary = fmt.Sprintf("INCOMPLETE CHAIN: this server sends its certificate %s, so clients can't reach the root (only a browser that kept the right intermediate from elsewhere might)", sent)
	res.Details = append(res.Details, "serve the whole certificate file vouch wrote, the certificate then the intermediate (nginx's ssl_certificate, Apache's SSLCertificateFile, Caddy and Go take it as it is; openssl s_server needs -cert_chain FILE too)")
	// What the user meets once the chain is mended.
	if now.After(leaf.NotAfter) {
		res.Details = append(res.Details, "the certificate itself also expired, on "+day(leaf.NotAfter)+": issue a new one with vouch")
	} else if host != "" && leaf.VerifyHostname(host) != nil {
		res.Details = append(res.Details, fmt.Sprintf("the certificate is also for %s, not %s", strings.Join(certs.LeafNames(leaf), ", "), host))
	}
	return true
}

// ownVerdict judges a chain that reaches the user's own CA by signatures
// (path ends at its root): trusted when the system's roots hold it (vouch
// install), not trusted yet otherwise, or the name or dates that are
// wrong. It reports false when none of these fits, and the chain is
// judged as any other. vouch spells the commands it names (a.vouchCmd,
// which keeps --caroot).
func ownVerdict(res *checkJSON, own *certs.CA, path []*x509.Certificate, verify verifyFunc, host string, now time.Time, vouch func(...string) string) bool {
	leaf := path[0]
	fp := certs.FingerprintOf(own.Root)
	res.Root = &checkRootJSON{FingerprintSHA256: fp.Hex(), Subject: own.Root.Subject.String(), NotAfter: own.Root.NotAfter.UTC(), Source: sourceOwnCA}
	where := ownWhere(own)
	pool := x509.NewCertPool()
	pool.AddCert(own.Root)
	if _, err := verify(pool, host, now); err == nil {
		if _, err := verify(testOnlySystemRoots, host, now); err == nil {
			res.Result, res.ExitCode = resultPublic, exitOK
			res.Summary = "TRUSTED BY THIS MACHINE: the chain reaches " + where + ", which the system store trusts"
			res.Details = append(res.Details, "vouch keeps no record of servers under your own CA")
			return true
		}
		res.Result, res.ExitCode = resultNotTrusted, exitNotTrusted
		res.Summary = "NOT TRUSTED BY THIS MACHINE YET: the chain reaches " + where + ", which the system store does not trust"
		res.Details = append(res.Details, vouch("install")+" trusts it here: in the system store, the browsers and Java")
		return true
	}
	switch fault, c := diagnose(verify, pool, path, now); fault {
	case faultNotPermitted:
		res.Result, res.ExitCode = resultNotPermitted, exitBadName
		res.Summary = fmt.Sprintf("NAME NOT PERMITTED: %s may vouch only for %s; this server's certificate names %s, outside it", where, own.Constraints.Describe(), strings.Join(outsideNames(leaf, path), ", "))
	case faultExpired:
		res.Result, res.ExitCode = resultExpired, exitExpired
		if bytes.Equal(c.Raw, own.Root.Raw) {
			res.Summary = fmt.Sprintf("EXPIRED: the root of %s expired on %s", where, c.NotAfter.UTC().Format(time.RFC3339))
			res.Details = append(res.Details, vouch("rotate")+" replaces the CA with a new one for the same names")
		} else {
			res.Summary = "EXPIRED: " + validityText(c, leaf, nil, now)
			res.Details = append(res.Details, "it chains to "+where+"; issue a new certificate with vouch")
		}
	case faultNameMismatch:
		res.Result, res.ExitCode = resultNameMismatch, exitBadName
		res.Summary = fmt.Sprintf("NAME MISMATCH: this certificate is for %s, not %s", strings.Join(certs.LeafNames(leaf), ", "), host)
		res.Details = append(res.Details, "it chains to "+where+"; "+vouch(host)+" issues one for this name")
	default:
		return false
	}
	return true
}

// A chain's fault, as diagnose finds it.
type chainFault int

const (
	faultOther        chainFault = iota
	faultNotPermitted            // a name outside a CA's constraints
	faultExpired                 // a certificate on the path out of its dates
	faultNameMismatch            // valid, but not for the host asked
)

// diagnose says why a chain that reaches the roots in pool by signatures
// (path, leaf first) did not verify for the host now: a name the CAs may
// not vouch for (whatever the dates), else a certificate out of its dates
// (which one), else a host the certificate does not name.
func diagnose(verify verifyFunc, pool *x509.CertPool, path []*x509.Certificate, now time.Time) (chainFault, *x509.Certificate) {
	if _, err := verify(pool, "", within(now, path[0])); isReason(err, x509.CANotAuthorizedForThisName) {
		return faultNotPermitted, nil
	}
	for _, c := range path {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return faultExpired, c
		}
	}
	if _, err := verify(pool, "", now); err == nil {
		return faultNameMismatch, nil
	}
	return faultOther, nil
}

// retiredVerdict judges a chain that reaches a CA vouch rotate retired
// from the user's folder: the server still uses a certificate from before
// the rotation. It reports false when the machine trusts that root but
// the name or dates are wrong, which the system's verdicts explain.
func retiredVerdict(res *checkJSON, old certs.RetiredCA, leaf *x509.Certificate, verify verifyFunc, host string, now time.Time, vouch func(...string) string) bool {
	fp := certs.FingerprintOf(old.Root)
	where := fmt.Sprintf("your old CA (%s, fingerprint %s, retired by vouch rotate on %s)", old.Dir, fp.Voice(), old.On)
	renew := vouch(res.Leaf.Names...) + " issues a certificate from your current CA"
	if _, err := verify(testOnlySystemRoots, host, now); err == nil {
		res.Result, res.ExitCode = resultPublic, exitOK
		res.Summary = "TRUSTED BY THIS MACHINE: the chain reaches " + where + "; the system store still trusts it"
		res.Details = append(res.Details,
			"it does until vouch uninstall --caroot "+old.Dir+" takes it out; friends who trust only your new root reject it",
			renew)
	} else if _, err := verify(testOnlySystemRoots, "", within(now, leaf)); err == nil {
		return false
	} else {
		res.Result, res.ExitCode = resultNotTrusted, exitNotTrusted
		res.Summary = "NOT TRUSTED: the chain reaches " + where + ", which this machine no longer trusts"
		res.Details = append(res.Details, "this server still uses a certificate from before the rotation: "+renew)
	}
	res.Root = &checkRootJSON{FingerprintSHA256: fp.Hex(), Subject: old.Root.Subject.String(), NotAfter: old.Root.NotAfter.UTC(), Source: sourceRetiredCA}
	return true
}

// trustedVerdict fills in a chain that verified against a recorded root:
// which root, and what changed since the last check.
func (a *app) trustedVerdict(res *checkJSON, chains [][]*x509.Certificate, trusted []trustedRoot, last *record.Seen, book *record.Book) {
	// Prefer the chain through the root seen last time, so a server known
	// under two roots does not look like it changed.
	chain := chains[0]
	for _, c := range chains {
		if last != nil && certs.Fingerprint(c[len(c)-1]) == last.Root {
			chain = c
			break
		}
	}
	rootFP := certs.Fingerprint(chain[len(chain)-1])
	tr := &trusted[0] // the pool holds only these, so one matches
	for i := range trusted {
		if trusted[i].rec.Fingerprint == rootFP {
			tr = &trusted[i]
		}
	}
	res.Result, res.ExitCode = resultTrusted, exitOK
	res.Root = rootFromRecord(tr)
	fp := certs.FingerprintOf(tr.cert)
	res.Summary = fmt.Sprintf("TRUSTED: chains to the root %q (trusted on %s, fingerprint %s)", tr.rec.Label, day(tr.rec.TrustedAt), fp.Voice())
	leafFP := res.Leaf.FingerprintSHA256
	switch {
	case last == nil:
		res.Change = changeFirst
		res.Details = append(res.Details, "first check of this server: vouch now remembers its certificate, to tell a renewal from a change next time")
	case last.Root == rootFP && last.Leaf == leafFP:
		res.Change = changeSame
		res.Details = append(res.Details, fmt.Sprintf("same certificate as last seen on %s", day(last.SeenAt)))
	case last.Root == rootFP:
		res.Change = changeRenewal
		res.Details = append(res.Details, fmt.Sprintf("routine renewal: a new certificate since %s, same root", day(last.SeenAt)))
	default:
		res.PreviousRoot = previousRoot(last, book)
		from := rootName(res.PreviousRoot)
		if tr.rec.Replaces == last.Root {
			res.Change = changeConfirmed
			res.Details = append(res.Details, fmt.Sprintf("the root changed from %s to %s, and you confirmed it on %s (vouch trust)", from, fp.Voice(), day(tr.rec.TrustedAt)))
		} else {
			res.Change = changeRoot
			res.Details = append(res.Details, fmt.Sprintf("the root changed since %s: it was %s, now %q, which you trusted on %s", day(last.SeenAt), from, tr.rec.Label, day(tr.rec.TrustedAt)))
		}
	}
	res.Details = append(res.Details, fmt.Sprintf("certificate for %s, valid until %s", strings.Join(res.Leaf.Names, ", "), day(res.Leaf.NotAfter)))
}

// changeWarning adds, for a server not trusted, what it means given the
// root it chained to before (or the trusted roots that permit its name):
// the friend must not continue unless the owner confirms the change, and
// whether the old root was near its end (an expected rotation) or not.
func (a *app) changeWarning(res *checkJSON, t checkTarget, last *record.Seen, book *record.Book, now time.Time) {
	var old *record.Root
	if last != nil && last.Root != "" {
		res.PreviousRoot = previousRoot(last, book)
		old = book.ByFingerprint(last.Root)
	} else {
		old = permittingRoot(t.Host, book)
		if old != nil {
			res.PreviousRoot = rootFromRecord(&trustedRoot{rec: old})
		}
	}
	if res.PreviousRoot == nil {
		res.Details = append(res.Details,
			"vouch has never seen this server under a root you trusted, and no root you trusted may vouch for its name",
			"if its owner gave you a fingerprint, compare it over a channel you trust before anything else")
		return
	}
	label := "the owner"
	if old != nil {
		label = old.Label
	}
	res.Details = append(res.Details, fmt.Sprintf("If %s did not tell you about a change, do not continue; ask them to read you their fingerprint.", label))
	if last != nil {
		res.Details = append(res.Details, fmt.Sprintf("last time (%s) this server chained to %s", day(last.SeenAt), rootName(res.PreviousRoot)))
	} else {
		res.Details = append(res.Details, fmt.Sprintf("its name is one %s may vouch for", rootName(res.PreviousRoot)))
	}
	if old == nil {
		res.Details = append(res.Details, "you no longer trust that root (vouch untrust)")
		return
	}
	left := old.NotAfter.Sub(now)
	switch {
	case left <= 0:
		res.Rotation = "expected"
		res.Details = append(res.Details, fmt.Sprintf("the root you trusted for %s expired on %s, so a new root is expected: an expected rotation, still to be confirmed by fingerprint", label, day(old.NotAfter)))
	case left <= rotateWithin:
		// A root this close to its expiry (or past it) is expected to be
		// replaced: "an expected rotation" rather than "suspicious".
		// Either way the friend must compare fingerprints.
		res.Rotation = "expected"
		res.Details = append(res.Details, fmt.Sprintf("the root you trusted for %s expires on %s (%s): this looks like an expected rotation, still to be confirmed by fingerprint", label, day(old.NotAfter), inDays(left)))
	default:
		res.Rotation = "suspicious"
		res.Details = append(res.Details, fmt.Sprintf("the root you trusted for %s is good until %s (%d more days): nothing needed replacing, so this change is SUSPICIOUS", label, day(old.NotAfter), days(left)))
	}
}

// walkToRoot follows issuer names and signatures, ignoring dates and
// names, from the leaf through the presented certificates to a trusted
// root. It returns the path (leaf first, root last) and the root, or nil.
func walkToRoot(leaf *x509.Certificate, inter []*x509.Certificate, trusted []trustedRoot) ([]*x509.Certificate, *trustedRoot) {
	path := []*x509.Certificate{leaf}
	cur := leaf
	for depth := 0; depth <= len(inter); depth++ {
		for i := range trusted {
			r := trusted[i].cert
			if bytes.Equal(cur.RawIssuer, r.RawSubject) && cur.CheckSignatureFrom(r) == nil {
				if !bytes.Equal(cur.Raw, r.Raw) {
					path = append(path, r)
				}
				return path, &trusted[i]
			}
			if bytes.Equal(cur.Raw, r.Raw) {
				return path, &trusted[i]
			}
		}
		var next *x509.Certificate
		for _, c := range inter {
			if c != cur && bytes.Equal(cur.RawIssuer, c.RawSubject) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			return nil, nil
		}
		path = append(path, next)
		cur = next
	}
	return nil, nil
}

// within returns at moved into c's validity, so a verification there
// judges everything but the dates.
func within(at time.Time, c *x509.Certificate) time.Time {
	if at.After(c.NotAfter) {
		return c.NotAfter.Add(-time.Second)
	}
	if at.Before(c.NotBefore) {
		return c.NotBefore.Add(time.Second)
	}
	return at
}

func isReason(err error, r x509.InvalidReason) bool {
	var ci x509.CertificateInvalidError
	return errors.As(err, &ci) && ci.Reason == r
}

// selfSigned: the certificate's issuer is its subject and its own key
// signed it (whether or not it claims to be a CA).
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func validityText(c, leaf *x509.Certificate, tr *trustedRoot, now time.Time) string {
	what := "this server's certificate"
	switch {
	case tr != nil && bytes.Equal(c.Raw, tr.cert.Raw):
		what = fmt.Sprintf("the root %q you trusted", tr.rec.Label)
	case c != leaf:
		what = fmt.Sprintf("the issuing certificate %q", c.Subject.CommonName)
	}
	if now.Before(c.NotBefore) {
		return fmt.Sprintf("%s is not valid until %s (is this machine's clock right?)", what, c.NotBefore.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s expired on %s (%d days ago)", what, c.NotAfter.UTC().Format(time.RFC3339), days(now.Sub(c.NotAfter)))
}

// outsideNames lists the leaf's names that some CA on the path does not
// permit (all its names when none can be singled out).
func outsideNames(leaf *x509.Certificate, path []*x509.Certificate) []string {
	var out []string
	for _, n := range certs.LeafNames(leaf) {
		for _, ca := range path[1:] {
			if !permits(ca, n) {
				out = append(out, n)
				break
			}
		}
	}
	if len(out) == 0 {
		return certs.LeafNames(leaf)
	}
	return out
}

// permits reports whether ca's name constraints allow a DNS name or IP
// address, by the rules vouch issues with (certs.Constraints); other name
// types are reported as allowed.
func permits(ca *x509.Certificate, name string) bool {
	if net.ParseIP(name) == nil && strings.ContainsAny(name, "@/:") {
		return true
	}
	n, err := certs.ParseName(name)
	if err != nil {
		return true
	}
	return certs.ConstraintsOf(ca).Check([]certs.Name{n}) == nil
}

// permittingRoot is a trusted root whose constraints cover host: the one
// the friend would expect the server to use.
func permittingRoot(host string, book *record.Book) *record.Root {
	for i := range book.Roots {
		c, err := book.ReadRoot(book.Roots[i].Fingerprint)
		if err != nil || (len(c.PermittedDNSDomains) == 0 && len(c.PermittedIPRanges) == 0) {
			continue
		}
		if permits(c, host) {
			return &book.Roots[i]
		}
	}
	return nil
}

func permitsOf(tr *trustedRoot) string {
	if tr.rec.Permits != "" {
		return tr.rec.Permits
	}
	return certs.LimitsOf(tr.cert).Describe()
}

// systemRoot describes the system root the first of chains ends in, as
// Verify found it: the certificate itself, so its fingerprint and end
// are known, not only the name the server's last certificate gives.
func systemRoot(chains [][]*x509.Certificate) *checkRootJSON {
	root := chains[0][len(chains[0])-1]
	return &checkRootJSON{FingerprintSHA256: certs.FingerprintOf(root).Hex(), Subject: root.Subject.String(), NotAfter: root.NotAfter.UTC(), Source: "system"}
}

func describeLeaf(c *x509.Certificate) *leafJSON {
	names := certs.LeafNames(c)
	if names == nil {
		names = []string{}
	}
	return &leafJSON{
		FingerprintSHA256: certs.Fingerprint(c),
		Names:             names,
		Issuer:            c.Issuer.String(),
		NotBefore:         c.NotBefore.UTC(),
		NotAfter:          c.NotAfter.UTC(),
	}
}

func rootFromRecord(tr *trustedRoot) *checkRootJSON {
	at := tr.rec.TrustedAt.UTC()
	r := &checkRootJSON{Label: tr.rec.Label, FingerprintSHA256: tr.rec.Fingerprint, Subject: tr.rec.Subject, NotAfter: tr.rec.NotAfter.UTC(), TrustedAt: &at, Source: "vouch trust"}
	if tr.cert != nil {
		r.Subject = tr.cert.Subject.String()
		r.NotAfter = tr.cert.NotAfter.UTC()
	}
	return r
}

// previousRoot describes the root a server chained to last time.
func previousRoot(last *record.Seen, book *record.Book) *checkRootJSON {
	if last == nil || last.Root == "" {
		return nil
	}
	if r := book.ByFingerprint(last.Root); r != nil {
		return rootFromRecord(&trustedRoot{rec: r})
	}
	return &checkRootJSON{FingerprintSHA256: last.Root, Source: "no longer trusted"}
}

func rootName(r *checkRootJSON) string {
	if r == nil {
		return "no root"
	}
	fp := r.FingerprintSHA256
	if f, err := certs.ParseFingerprint(fp); err == nil {
		fp = f.Voice()
	}
	if r.Label != "" {
		return fmt.Sprintf("the root %q (%s)", r.Label, fp)
	}
	return "the root " + fp
}

// remember records the certificate of a trusted server; failing to is a
// warning, not a failed check.
func (a *app) remember(stateDir string, t checkTarget, leaf *x509.Certificate, rootFP string) bool {
	book, unlock, err := record.Open(stateDir, a.waitingFor(stateDir))
	if err != nil {
		a.warnf("can't remember this certificate: %v", err)
		return false
	}
	defer unlock()
	book.See(record.Seen{Host: t.String(), Leaf: certs.Fingerprint(leaf), Root: rootFP, LeafNotAfter: leaf.NotAfter.UTC(), SeenAt: a.now().UTC()})
	if err := book.Save(); err != nil {
		a.warnf("can't remember this certificate: %v", err)
		return false
	}
	return true
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// inDays is how soon d from now is, in words: "in 30 days", "in 1 day",
// "within a day" (never "in 0 days").
func inDays(d time.Duration) string {
	switch n := days(d); {
	case d < 24*time.Hour:
		return "within a day"
	case n == 1:
		return "in 1 day"
	default:
		return fmt.Sprintf("in %d days", n)
	}
}

func days(d time.Duration) int {
	if d < 0 {
		d = -d
	}
	return int(d / (24 * time.Hour))
}
