package certs

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Kind is the subjectAltName type a Name becomes.
type Kind int

const (
	DNS Kind = iota + 1
	IP
	Email
	URI
)

func (k Kind) String() string {
	switch k {
	case DNS:
		return "DNS name"
	case IP:
		return "IP address"
	case Email:
		return "email address"
	case URI:
		return "URI"
	}
	return "unknown"
}

// Name is one validated subjectAltName. DNS names and the host parts of
// emails and URIs are in their ASCII (punycode) form, lowercased.
type Name struct {
	Kind  Kind
	DNS   string // "*.x.test" for a wildcard
	IP    net.IP
	Email string
	URI   *url.URL
}

// String is the canonical form of the name, as it goes into the certificate.
func (n Name) String() string {
	switch n.Kind {
	case DNS:
		return n.DNS
	case IP:
		return n.IP.String()
	case Email:
		return n.Email
	case URI:
		return n.URI.String()
	}
	return ""
}

// idnaProfile maps Unicode names to punycode the way a resolver would, but
// keeps underscores, which development names (_acme-challenge, srv_1) use.
var idnaProfile = idna.New(idna.MapForLookup(), idna.StrictDomainName(false), idna.BidiRule(), idna.Transitional(false))

// ParseName validates one name typed by a user (or found in a CSR) and
// decides which subjectAltName type it is.
func ParseName(s string) (Name, error) {
	if strings.TrimSpace(s) == "" {
		return Name{}, errors.New("empty name")
	}
	if !utf8.ValidString(s) {
		return Name{}, fmt.Errorf("%q is not valid UTF-8", s)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return Name{}, fmt.Errorf("%q contains white space", s)
	}
	if addr, err := netip.ParseAddr(s); err == nil {
		if addr.Zone() != "" {
			return Name{}, fmt.Errorf("IP address %q has a zone (%%%s); certificates can't name one, leave it out", s, addr.Zone())
		}
		return Name{Kind: IP, IP: net.IP(addr.AsSlice())}, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return Name{}, fmt.Errorf("%q: write IPv6 addresses without brackets", s)
	}
	if strings.Contains(s, "://") {
		return parseURI(s)
	}
	if strings.Contains(s, "@") {
		return parseEmail(s)
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		one := p.Masked().Addr().Next()
		if !one.IsValid() || !p.Contains(one) {
			one = p.Addr()
		}
		return Name{}, fmt.Errorf("%q is a range of addresses; a certificate names single ones, like %s (a range is for --permit, when a CA is made)", s, one)
	}
	if strings.Contains(s, "/") {
		return Name{}, fmt.Errorf("%q looks like a URI without a scheme; write it in full, like https://%s", s, strings.TrimPrefix(s, "//"))
	}
	if host, port, err := net.SplitHostPort(s); err == nil && port != "" {
		return Name{}, fmt.Errorf("%q has a port; certificates name hosts, not ports: use %q", s, host)
	}
	if strings.Contains(s, ":") {
		return Name{}, fmt.Errorf("%q is not a valid IP address, host name, email or URI", s)
	}
	d, err := parseDNS(s, true)
	if err != nil {
		return Name{}, err
	}
	return Name{Kind: DNS, DNS: d}, nil
}

// parseDNS returns the lowercase ASCII form of a host name, with a leading
// "*." kept when wildcards are allowed.
func parseDNS(s string, wildcard bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	prefix := ""
	rest := s
	if wildcard && strings.HasPrefix(s, "*.") {
		prefix, rest = "*.", s[2:]
	}
	if strings.Contains(rest, "*") {
		if wildcard {
			return "", fmt.Errorf("%q: only the leftmost label may be a wildcard, and only as a whole label (*.x.test)", s)
		}
		return "", fmt.Errorf("%q: wildcards are not allowed here", s)
	}
	ascii, err := idnaProfile.ToASCII(rest)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid host name: %v", s, err)
	}
	if strings.HasSuffix(ascii, ".") {
		return "", fmt.Errorf("%q ends with a dot; leave it out", s)
	}
	if len(ascii) > 253 {
		return "", fmt.Errorf("%q is longer than 253 bytes", s)
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" {
			return "", fmt.Errorf("%q has an empty label", s)
		}
		if len(label) > 63 {
			return "", fmt.Errorf("%q has a label longer than 63 bytes", s)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("%q has a label that starts or ends with a hyphen", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("%q is not a valid host name: %q is not allowed", s, string(c))
			}
		}
	}
	if _, err := netip.ParseAddr(ascii); err == nil {
		// An email's or URI's host that is an address (a@10.0.0.1).
		return "", fmt.Errorf("%q is an IP address, not a host name", s)
	}
	if last := ascii[strings.LastIndexByte(ascii, '.')+1:]; isNumber(last) {
		// 192.168.1.300, or 2130706433 and app.0x1, which URL parsers
		// read as IPv4 numbers: no host name ends in a number.
		return "", fmt.Errorf("%q is not a valid IP address, and a host name can't end in a number", s)
	}
	if prefix != "" && !strings.Contains(ascii, ".") {
		// "*.test" would cover a whole top-level domain; browsers refuse
		// such wildcards, so it would only ever fail later.
		return "", fmt.Errorf("%q: a wildcard needs at least two labels after it (*.app.test)", s)
	}
	return prefix + ascii, nil
}

// isNumber is a label that WHATWG URL parsers take for a number: decimal
// digits, or 0x and hex digits.
func isNumber(label string) bool {
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return label != "" && strings.Trim(label, "0123456789") == ""
}

func parseEmail(s string) (Name, error) {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return Name{}, fmt.Errorf("%q is not a valid email address", s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if !isASCII(local) {
		// A certificate holds an email name as an IA5String: ASCII only.
		return Name{}, fmt.Errorf("email %q: a certificate can hold only ASCII before the @", s)
	}
	d, err := parseDNS(domain, false)
	if err != nil {
		return Name{}, fmt.Errorf("email %q: %w", s, err)
	}
	return Name{Kind: Email, Email: local + "@" + d}, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func parseURI(s string) (Name, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Name{}, fmt.Errorf("%q is not a valid URI: %v", s, err)
	}
	if u.Scheme == "" {
		return Name{}, fmt.Errorf("%q is a URI without a scheme; write it in full, like https://%s", s, strings.TrimPrefix(s, "//"))
	}
	if u.Host == "" {
		return Name{}, fmt.Errorf("URI %q has no host", s)
	}
	if u.User != nil {
		return Name{}, fmt.Errorf("URI %q has user information; leave it out", s)
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return Name{}, fmt.Errorf("URI %q has an IP address with a zone", s)
		}
	} else {
		d, err := parseDNS(host, false)
		if err != nil {
			return Name{}, fmt.Errorf("URI %q: %w", s, err)
		}
		if p := u.Port(); p != "" {
			u.Host = net.JoinHostPort(d, p)
		} else {
			u.Host = d
		}
	}
	return Name{Kind: URI, URI: u}, nil
}

// ParseNames parses every name and fails on the first bad one, so nothing
// is issued for a list that has a mistake in it.
func ParseNames(args []string) ([]Name, error) {
	if len(args) == 0 {
		return nil, errors.New("no names given")
	}
	names := make([]Name, 0, len(args))
	for _, a := range args {
		n, err := ParseName(a)
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, nil
}

// FileBase is the mkcert-compatible base of a leaf's file names:
// "localhost+2" for three names, "_wildcard.x.test" for "*.x.test",
// "-client" added for client certificates. A URI first gives its scheme
// and host ("https_app.test"; mkcert can't write such a name at all), so
// that its certificate, which browsers reject, does not replace the host's.
func FileBase(names []Name, client bool) string {
	if len(names) == 0 {
		return "cert"
	}
	base := names[0].String()
	if names[0].Kind == URI {
		base = names[0].URI.Scheme + "_" + names[0].URI.Hostname()
	}
	base = strings.Replace(base, "*", "_wildcard", 1)
	base = strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(base)
	if len(names) > 1 {
		base += fmt.Sprintf("+%d", len(names)-1)
	}
	if client {
		base += "-client"
	}
	return base
}
