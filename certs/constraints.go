package certs

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Constraints is what a constrained CA may vouch for. A DNS domain covers
// itself and every name below it; it also covers email addresses and URI
// hosts in the same place, so a leaked issuing key can sign nothing outside
// the list in any subjectAltName type.
type Constraints struct {
	Domains []string
	Ranges  []*net.IPNet
}

// DefaultDomains and DefaultRanges are the names reserved for local and
// private use (RFC 2606, RFC 6761, RFC 6762, RFC 8375, ICANN's .internal)
// and the loopback and private address ranges.
var (
	DefaultDomains = []string{"localhost", "test", "example", "invalid", "internal", "local", "home.arpa"}
	DefaultRanges  = []string{"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "::1/128", "fc00::/7", "fe80::/10"}
)

// DefaultConstraints returns a fresh copy of the default permitted names.
func DefaultConstraints() *Constraints {
	c := &Constraints{Domains: append([]string(nil), DefaultDomains...)}
	for _, r := range DefaultRanges {
		_, n, err := net.ParseCIDR(r)
		if err != nil {
			panic(err) // a typo in the table above
		}
		c.Ranges = append(c.Ranges, normalizeNet(n))
	}
	return c
}

func normalizeNet(n *net.IPNet) *net.IPNet {
	if v4 := n.IP.To4(); v4 != nil && len(n.Mask) == net.IPv6len {
		return &net.IPNet{IP: v4, Mask: n.Mask[12:]}
	}
	if v4 := n.IP.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: n.Mask}
	}
	return n
}

// Permit adds one --permit value: a DNS domain (a leading "." or "*." is
// accepted and means the same), an IP address, or a CIDR range.
func (c *Constraints) Permit(s string) error {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return fmt.Errorf("--permit takes a domain, an IP address or a CIDR range, not a URL: for %s that is --permit %s", s, u.Hostname())
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("--permit %q is not a valid CIDR range", s)
		}
		if p.Addr().Zone() != "" {
			return fmt.Errorf("--permit %q has a zone", s)
		}
		p = p.Masked()
		c.addRange(&net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())})
		return nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" {
			return fmt.Errorf("--permit %q has a zone", s)
		}
		c.addRange(&net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(a.BitLen(), a.BitLen())})
		return nil
	}
	d := strings.TrimPrefix(strings.TrimPrefix(s, "*."), ".")
	if d == "" {
		return fmt.Errorf("--permit %q would permit every name; use --unconstrained if you really mean that", s)
	}
	d, err := parseDNS(d, false)
	if err != nil {
		return fmt.Errorf("--permit: %w", err)
	}
	for _, have := range c.Domains {
		if domainMatch(d, have) {
			return nil
		}
	}
	c.Domains = append(c.Domains, d)
	return nil
}

// Wide says why a CA made with these constraints could vouch for other
// people's sites (a public suffix such as com or github.io, or every
// address), which a friend's vouch trust refuses: a CA is not made so
// from --permit; --unconstrained is the way to mean it. An existing CA
// made so before is used as it is.
func (c *Constraints) Wide() error {
	if c == nil {
		return nil
	}
	for _, d := range c.Domains {
		if why := wideDomain(d); why != "" {
			return fmt.Errorf("--permit %s would let this CA vouch for every site under %s; permit a domain of your own below it (--permit yourname.%s), or use --unconstrained if you really mean that", d, why, d)
		}
	}
	for _, r := range c.Ranges {
		if ones, _ := r.Mask.Size(); ones == 0 {
			return fmt.Errorf("--permit %s would permit every IP address, other people's servers' included; permit your own addresses or range, or use --unconstrained if you really mean that", r)
		}
	}
	return nil
}

// PublicSuffix says whether d is a public suffix (com, co.uk, github.io):
// a CA may permit names below it, not d itself.
func PublicSuffix(d string) bool {
	if _, err := netip.ParseAddr(d); err == nil || d == "" {
		return false // an address, not a domain
	}
	return wideDomain(strings.ToLower(d)) != ""
}

func (c *Constraints) addRange(n *net.IPNet) {
	n = normalizeNet(n)
	for _, have := range c.Ranges {
		if rangeCovers(have, n) {
			return
		}
	}
	c.Ranges = append(c.Ranges, n)
}

func rangeCovers(outer, inner *net.IPNet) bool {
	oOnes, oBits := outer.Mask.Size()
	iOnes, iBits := inner.Mask.Size()
	return oBits == iBits && oOnes <= iOnes && outer.Contains(inner.IP)
}

// domainMatch reports whether name is domain or lies below it, label-wise.
func domainMatch(name, domain string) bool {
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// Covers reports whether everything o permits is already permitted by c.
func (c *Constraints) Covers(o *Constraints) bool {
	if c == nil {
		return true
	}
	if o == nil {
		return false
	}
outerDomains:
	for _, d := range o.Domains {
		for _, have := range c.Domains {
			if domainMatch(d, have) {
				continue outerDomains
			}
		}
		return false
	}
outerRanges:
	for _, r := range o.Ranges {
		for _, have := range c.Ranges {
			if rangeCovers(have, r) {
				continue outerRanges
			}
		}
		return false
	}
	return true
}

// OutsideError says a name lies outside what a CA may vouch for.
type OutsideError struct {
	Name      string
	Reason    string
	Permitted *Constraints
}

func (e *OutsideError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s is outside what this CA may vouch for: %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("%s is outside what this CA may vouch for (permitted: %s)", e.Name, e.Permitted)
}

// Check returns an *OutsideError for the first name c does not permit. A nil
// *Constraints (an unconstrained CA) permits everything.
func (c *Constraints) Check(names []Name) error {
	if c == nil {
		return nil
	}
	for _, n := range names {
		if err := c.check(n); err != nil {
			return err
		}
	}
	return nil
}

func (c *Constraints) check(n Name) error {
	outside := &OutsideError{Name: n.String(), Permitted: c}
	switch n.Kind {
	case DNS:
		if c.domainOK(strings.TrimPrefix(n.DNS, "*.")) {
			return nil
		}
	case Email:
		if c.domainOK(n.Email[strings.LastIndexByte(n.Email, '@')+1:]) {
			return nil
		}
	case IP:
		for _, r := range c.Ranges {
			if r.Contains(n.IP) {
				return nil
			}
		}
	case URI:
		host := n.URI.Hostname()
		if net.ParseIP(host) != nil {
			// Go's verifier refuses to match URIs with IP hosts against
			// constraints, so such a leaf would fail in Go clients.
			outside.Reason = "a URI whose host is an IP address can't be checked against name constraints; use a host name"
			return outside
		}
		if c.domainOK(host) {
			return nil
		}
	default:
		return errors.New("unknown name type")
	}
	return outside
}

func (c *Constraints) domainOK(host string) bool {
	for _, d := range c.Domains {
		if domainMatch(host, d) {
			return true
		}
	}
	return false
}

// String lists the permitted names in the form a user types them.
func (c *Constraints) String() string {
	if c == nil {
		return "anything (no name constraints)"
	}
	parts := make([]string, 0, len(c.Domains)+len(c.Ranges))
	for _, d := range c.Domains {
		parts = append(parts, d)
	}
	for _, r := range c.Ranges {
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}

// Describe says in plain words what the constraints allow.
func (c *Constraints) Describe() string {
	if c == nil {
		return "any name at all: this CA has no name constraints"
	}
	var b strings.Builder
	if len(c.Domains) > 0 {
		b.WriteString("names under ")
		b.WriteString(strings.Join(c.Domains, ", "))
		b.WriteString(" (each with every name below it, as host names, email domains and URI hosts)")
	}
	if len(c.Ranges) == 0 && b.Len() > 0 {
		b.WriteString("; no IP addresses")
	}
	if len(c.Ranges) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		rs := make([]string, len(c.Ranges))
		for i, r := range c.Ranges {
			rs[i] = r.String()
		}
		b.WriteString("IP addresses in ")
		b.WriteString(strings.Join(rs, ", "))
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return b.String()
}

// apply writes the constraints into a CA certificate template. Email and URI
// subtrees list each domain twice: OpenSSL reads "test" as the host "test"
// exactly and ".test" as any host below it, where Go reads "test" as both.
func (c *Constraints) apply(t *x509.Certificate) {
	if c == nil {
		return
	}
	t.PermittedDNSDomainsCritical = true
	t.PermittedDNSDomains = append([]string(nil), c.Domains...)
	t.PermittedIPRanges = append([]*net.IPNet(nil), c.Ranges...)
	if len(c.Ranges) == 0 {
		// No permitted IP subtree would leave IP addresses unconstrained;
		// excluding both whole address families is how RFC 5280 says
		// "none" (the CA/Browser Forum's rule for constrained CAs too).
		t.ExcludedIPRanges = []*net.IPNet{
			{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)},
			{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)},
		}
	}
	for _, d := range c.Domains {
		t.PermittedEmailAddresses = append(t.PermittedEmailAddresses, d, "."+d)
		t.PermittedURIDomains = append(t.PermittedURIDomains, d, "."+d)
	}
}

// ConstraintsOf reads the constraints back from a CA certificate; nil when
// it has none.
func ConstraintsOf(cert *x509.Certificate) *Constraints {
	if len(cert.PermittedDNSDomains) == 0 && len(cert.PermittedIPRanges) == 0 &&
		len(cert.PermittedEmailAddresses) == 0 && len(cert.PermittedURIDomains) == 0 &&
		len(cert.ExcludedDNSDomains) == 0 && len(cert.ExcludedIPRanges) == 0 {
		return nil
	}
	c := &Constraints{}
	for _, d := range cert.PermittedDNSDomains {
		c.Domains = append(c.Domains, strings.TrimPrefix(d, "."))
	}
	for _, r := range cert.PermittedIPRanges {
		c.Ranges = append(c.Ranges, normalizeNet(r))
	}
	return c
}
