package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Someone else's root, handed to vouch trust: read from a file, a URL's
// body or a TLS handshake, then checked before anything is installed. All
// of it is input vouch does not control, so each reader has a fuzz target.

// MaxRootSize bounds what vouch reads as a root (a file or a URL's body):
// a root certificate is a few KiB.
const MaxRootSize = 64 << 10

// SelfSigned reports whether c is issued by itself and its signature
// verifies with its own key. (CheckSignatureFrom would also demand that c
// be a CA; this asks only about the signature.)
func SelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// ReadRoot reads exactly one certificate, PEM or DER, as given for a root.
func ReadRoot(data []byte) (*x509.Certificate, error) {
	if len(data) > MaxRootSize {
		// Callers read at most one byte past the limit, so len(data) is
		// no size to report.
		return nil, fmt.Errorf("it is more than %d KiB, too much for a root certificate (a few KiB)", MaxRootSize>>10)
	}
	cs, err := ParseCertificates(data)
	if err != nil {
		return nil, err
	}
	if len(cs) > 1 && !cs[0].IsCA {
		return nil, fmt.Errorf("it holds a certificate chain (%d certificates, starting with the leaf for %s), not a root; the root is the certificate whose fingerprint the owner reads you (vouch export writes it)", len(cs), describeNames(cs[0]))
	}
	if len(cs) > 1 {
		var subj []string
		for _, c := range cs {
			subj = append(subj, Subject(c))
		}
		return nil, fmt.Errorf("it holds %d certificates (%s), not one root; give the root alone (vouch export writes it)", len(cs), strings.Join(subj, "; "))
	}
	return cs[0], nil
}

// PickRoot takes the root from the chain a server presented in a TLS
// handshake (DER, leaf first): the last certificate, when it is a
// self-signed CA. Most servers do not send their root, and then nothing
// in the handshake can be trusted, so it says what to ask for instead.
func PickRoot(chain [][]byte) (*x509.Certificate, error) {
	if len(chain) == 0 {
		return nil, errors.New("the server presented no certificate")
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("the server's certificate %d of %d does not parse: %w", i+1, len(chain), err)
		}
		certs[i] = c
	}
	last := certs[len(certs)-1]
	switch {
	case SelfSigned(last) && last.IsCA:
		return last, nil
	case SelfSigned(last):
		return nil, fmt.Errorf("the server presents a self-signed certificate for %s that is not a CA, so there is no root to trust; ask the owner to serve a certificate from their own CA (vouch install, then vouch cert --chain-with-root)", describeNames(last))
	}
	return nil, fmt.Errorf("the server does not send its root (its chain of %d ends with %s, issued by %s); ask the owner for the root file or a URL of it, or to issue with --chain-with-root", len(certs), Subject(last), issuerName(last))
}

// CheckRoot says why cert can't be trusted as a root, in the order a person
// would fix it: it must be one self-signed CA certificate valid now.
func CheckRoot(cert *x509.Certificate, now time.Time) error {
	self := SelfSigned(cert)
	switch {
	case !self && !cert.IsCA:
		return fmt.Errorf("this is a leaf certificate (for %s) issued by %s, not a root; the root is the certificate whose fingerprint the owner reads you (vouch export writes it)", describeNames(cert), issuerName(cert))
	case !self:
		return fmt.Errorf("this is an intermediate CA (%s) issued by %s, not a root; the root is the certificate whose fingerprint the owner reads you (vouch export writes it)", Subject(cert), issuerName(cert))
	case !cert.BasicConstraintsValid || !cert.IsCA:
		return fmt.Errorf("this is not a CA certificate (%s has no CA basic constraint), so it can't vouch for anything", Subject(cert))
	case cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return fmt.Errorf("this CA certificate (%s) may not sign certificates (its key usage lacks certSign)", Subject(cert))
	case now.After(cert.NotAfter):
		return fmt.Errorf("this root (%s) expired on %s; ask the owner for their current root", Subject(cert), cert.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(cert.NotBefore):
		return fmt.Errorf("this root (%s) is not valid until %s; check this machine's clock, or ask the owner", Subject(cert), cert.NotBefore.UTC().Format(time.DateOnly))
	}
	return nil
}

// Subject names a certificate for people: its subject, or its serial when
// the subject is empty.
func Subject(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return `"` + s + `"`
	}
	return "a certificate with an empty subject (serial " + c.SerialNumber.String() + ")"
}

func issuerName(c *x509.Certificate) string {
	if s := c.Issuer.String(); s != "" {
		return `"` + s + `"`
	}
	return "an unnamed issuer"
}

func describeNames(c *x509.Certificate) string {
	if names := LeafNames(c); len(names) > 0 {
		return strings.Join(names, ", ")
	}
	return Subject(c)
}

// Limits is what a root may vouch for, read from its name constraints.
type Limits struct {
	// Domains and Ranges are the permitted DNS domains and IP ranges.
	Domains []string
	Ranges  []*net.IPNet
	// Emails and URIs are the permitted email and URI constraints; nil
	// when those name types are not constrained.
	Emails, URIs []string
	// Wide lists, in plain words, each way the root could vouch for sites
	// that are not its owner's: empty for a root limited to private names.
	Wide []string
	// Local lists permitted names and ranges that exist on every private
	// network (.local, 192.168.0.0/16…): the root could vouch for devices
	// on the truster's own network too.
	Local []string
	// Loose lists, in plain words, email and URI limits that reach other
	// people's names (under a public suffix): no browser checks those
	// for a site, so they are warned of, not refused.
	Loose []string
}

// Unconstrained reports whether the root could vouch for sites that are
// not its owner's.
func (l *Limits) Unconstrained() bool { return len(l.Wide) > 0 }

// LimitsOf reads what cert may vouch for. A root with no constraint on DNS
// names, or on IP addresses, or one permitting a public suffix (com,
// co.uk, github.io), every address (0.0.0.0/0) or public ranges wider
// than one owner holds (0.0.0.0/1 and 128.0.0.0/1), is Wide.
func LimitsOf(cert *x509.Certificate) *Limits {
	l := &Limits{}
	dnsClosed := containsEmpty(cert.ExcludedDNSDomains)
	for _, d := range cert.PermittedDNSDomains {
		name := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(d, "."), "."))
		l.Domains = append(l.Domains, name)
		if why := wideDomain(name); why != "" {
			l.Wide = append(l.Wide, fmt.Sprintf("it permits %s", why))
		} else if isLocalDomain(name) {
			l.Local = append(l.Local, name)
		}
	}
	if len(cert.PermittedDNSDomains) == 0 && !dnsClosed {
		l.Wide = append(l.Wide, "it puts no limit on host names")
	}
	ipClosed := excludesAllIPs(cert.ExcludedIPRanges)
	// Public addresses permitted, and the ranges that hold them, by
	// address length (32, 128): one owner's servers fit in far less than
	// a /8 of IPv4 or a /16 of IPv6; ranges that together span more
	// (0.0.0.0/1 with 128.0.0.0/1 is every address) are other people's.
	var spans []*net.IPNet // ranges reaching past the private ones
	for _, r := range cert.PermittedIPRanges {
		r = normalizeNet(r)
		l.Ranges = append(l.Ranges, r)
		ones, _ := r.Mask.Size()
		switch {
		case ones == 0:
			l.Wide = append(l.Wide, fmt.Sprintf("it permits every IP address (%s)", r))
		case withinLocalRange(r):
			l.Local = append(l.Local, r.String())
		default:
			if isLocalRange(r) {
				l.Local = append(l.Local, r.String())
			}
			spans = append(spans, r)
		}
	}
	for _, f := range []struct{ bits, most int }{{32, 8}, {128, 16}} {
		if n, rs := publicSpan(spans, f.bits); n > math.Exp2(float64(f.bits-f.most)) {
			l.Wide = append(l.Wide, fmt.Sprintf("its IP ranges (%s) span more public addresses than a /%d, more than one owner's servers", strings.Join(rs, ", "), f.most))
		}
	}
	if len(cert.PermittedIPRanges) == 0 && !ipClosed {
		l.Wide = append(l.Wide, "it puts no limit on IP addresses")
	}
	// Email addresses and URIs are no names a browser checks for a site:
	// a root with no limit on them is not refused (Describe says "any
	// email address"), so one whose limit reaches a public suffix is not
	// either; it is Loose, and trust warns of it.
	if len(cert.PermittedEmailAddresses) > 0 {
		l.Emails = append(l.Emails, cert.PermittedEmailAddresses...)
		for _, e := range cert.PermittedEmailAddresses {
			host := strings.ToLower(strings.TrimPrefix(e[strings.LastIndexByte(e, '@')+1:], "."))
			if why := wideDomain(host); why != "" && !strings.Contains(e, "@") {
				l.Loose = append(l.Loose, fmt.Sprintf("it permits email addresses under %s", why))
			}
		}
	}
	if len(cert.PermittedURIDomains) > 0 {
		l.URIs = append(l.URIs, cert.PermittedURIDomains...)
		for _, u := range cert.PermittedURIDomains {
			if why := wideDomain(strings.ToLower(strings.TrimPrefix(u, "."))); why != "" {
				l.Loose = append(l.Loose, fmt.Sprintf("it permits URIs under %s", why))
			}
		}
	}
	// Email constraints name a domain twice (com for its own addresses,
	// .com for those below): one reason each.
	seen := map[string]bool{}
	l.Loose = slices.DeleteFunc(l.Loose, func(w string) bool {
		dup := seen[w]
		seen[w] = true
		return dup
	})
	return l
}

// wideDomain says why permitting d would cover other people's sites: it is
// empty (every name) or a public suffix, under which anyone can register.
// Names reserved for local use (vouch's defaults) are never wide, though
// some (home.arpa) are on the public suffix list.
func wideDomain(d string) string {
	if d == "" {
		return "every host name (an empty domain)"
	}
	for _, local := range DefaultDomains {
		if d == local {
			return ""
		}
	}
	ps, icann := publicsuffix.PublicSuffix(d)
	if ps != d {
		return ""
	}
	// An unlisted single label ("lan", "corp") gets the list's default
	// rule, which says "public suffix" of any name; only a listed one is.
	if icann || strings.Contains(d, ".") {
		return fmt.Sprintf("%s, a public suffix (anyone can register a name under it)", d)
	}
	return ""
}

func isLocalDomain(d string) bool {
	for _, local := range DefaultDomains {
		if domainMatch(d, local) && local != "example" && local != "test" && local != "invalid" {
			return true
		}
	}
	return false
}

// publicSpan counts the public addresses that ranges of one length (bits:
// 32 or 128) permit together, each once (a range inside another counts
// with it) and less the private ranges inside them; rs names the ranges
// counted.
func publicSpan(ranges []*net.IPNet, bits int) (n float64, rs []string) {
	for i, r := range ranges {
		ones, b := r.Mask.Size()
		if b != bits {
			continue
		}
		inside := false
		for j, o := range ranges {
			if j != i && rangeCovers(o, r) && (!rangeCovers(r, o) || j < i) {
				inside = true // within another, or the same listed before
				break
			}
		}
		if inside {
			continue
		}
		size := math.Exp2(float64(bits - ones))
		for _, d := range DefaultRanges {
			_, local, _ := net.ParseCIDR(d)
			if local = normalizeNet(local); rangeCovers(r, local) {
				lo, lb := local.Mask.Size()
				size -= math.Exp2(float64(lb - lo))
			}
		}
		n += size
		rs = append(rs, r.String())
	}
	return n, rs
}

// withinLocalRange: every address in r is in one of the private or
// loopback ranges vouch permits by default.
func withinLocalRange(r *net.IPNet) bool {
	for _, s := range DefaultRanges {
		_, n, _ := net.ParseCIDR(s)
		if rangeCovers(normalizeNet(n), r) {
			return true
		}
	}
	return false
}

func isLocalRange(r *net.IPNet) bool {
	for _, s := range DefaultRanges {
		_, n, _ := net.ParseCIDR(s)
		n = normalizeNet(n)
		if rangeCovers(n, r) || rangeCovers(r, n) {
			return true
		}
	}
	return false
}

func containsEmpty(list []string) bool {
	for _, s := range list {
		if s == "" || s == "." {
			return true
		}
	}
	return false
}

func excludesAllIPs(ranges []*net.IPNet) bool {
	var v4, v6 bool
	for _, r := range ranges {
		if ones, bits := r.Mask.Size(); ones == 0 {
			v4 = v4 || bits == 32
			v6 = v6 || bits == 128
		}
	}
	return v4 && v6
}

// Describe says in plain words what the root may vouch for.
func (l *Limits) Describe() string {
	var parts []string
	if len(l.Domains) > 0 {
		parts = append(parts, "names under "+strings.Join(l.Domains, ", "))
	}
	if len(l.Ranges) > 0 {
		rs := make([]string, len(l.Ranges))
		for i, r := range l.Ranges {
			rs[i] = r.String()
		}
		parts = append(parts, "IP addresses in "+strings.Join(rs, ", "))
	}
	if l.Emails == nil {
		parts = append(parts, "any email address")
	}
	if l.URIs == nil {
		parts = append(parts, "any URI")
	}
	s := strings.Join(parts, "; ")
	if len(l.Domains) == 0 && len(l.Ranges) == 0 {
		s = "any name at all: it has no name constraints"
	}
	if len(l.Wide) > 0 {
		s += " (" + strings.Join(l.Wide, "; ") + ")"
	}
	return s
}
