package certs

import (
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		want string
	}{
		{"localhost", DNS, "localhost"},
		{"LocalHost", DNS, "localhost"},
		{"*.api.test", DNS, "*.api.test"},
		{"bücher.test", DNS, "xn--bcher-kva.test"},
		{"_acme-challenge.x.test", DNS, "_acme-challenge.x.test"},
		{"127.0.0.1", IP, "127.0.0.1"},
		{"::1", IP, "::1"},
		{"fe80::1", IP, "fe80::1"},
		{"me@example.test", Email, "me@example.test"},
		{"me@Bücher.TEST", Email, "me@xn--bcher-kva.test"},
		{"https://api.test/path", URI, "https://api.test/path"},
		{"spiffe://x.test/ns/a", URI, "spiffe://x.test/ns/a"},
		{"https://API.test:8443/", URI, "https://api.test:8443/"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, err := ParseName(tt.in)
			if err != nil {
				t.Fatalf("ParseName(%q) error: %v", tt.in, err)
			}
			if n.Kind != tt.kind || n.String() != tt.want {
				t.Errorf("ParseName(%q) = %v %q, want %v %q", tt.in, n.Kind, n.String(), tt.kind, tt.want)
			}
		})
	}
}

func TestParseNameErrors(t *testing.T) {
	long := strings.Repeat("a", 64) + ".test"
	tests := []struct{ in, want string }{
		{"", "empty name"},
		{"  ", "empty name"},
		{"a b.test", "white space"},
		{"*.*.x.test", "only the leftmost label"},
		{"x.*.test", "only the leftmost label"},
		{"*x.test", "only the leftmost label"},
		{"*", "only the leftmost label"},
		{"*.test", "at least two labels"},
		{long, "longer than 63"},
		{strings.Repeat("abcdefghi.", 26) + "test", "longer than 253"},
		{"a..test", "empty label"},
		{"x.test.", "ends with a dot"},
		{"-x.test", "invalid label"},
		{"x!.test", "not allowed"},
		{"fe80::1%eth0", "zone"},
		{"[::1]", "without brackets"},
		{"//x.test/a", "without a scheme"},
		{"x.test/a", "without a scheme"},
		{"localhost:8443", "has a port"},
		{"192.168.1.300", "not a valid IP address, and a host name can't end in a number"},
		{"2130706433", "can't end in a number"},
		{"*.x.1", "can't end in a number"},
		{"https://1.2.3.999/", "can't end in a number"},
		{"10.0.0.0/8", "a range of addresses; a certificate names single ones, like 10.0.0.1"},
		{"192.168.1.5/24", "like 192.168.1.1 "},
		{"10.0.0.5/32", "like 10.0.0.5 "},
		{"255.255.255.255/32", "like 255.255.255.255 "},
		{"app.0x1", "can't end in a number"},
		{"app.0x", "can't end in a number"},
		{"a@10.0.0.1", `"10.0.0.1" is an IP address, not a host name`},
		{"fc00::/7", "a range of addresses"},
		{"a:b:c", "not a valid"},
		{"me@", "not a valid email"},
		{"bü@x.test", "only ASCII before the @"},
		{"Me <me@x.test>", "white space"},
		{"me@x!.test", "not allowed"},
		{"https://", "no host"},
		{"https://u:p@x.test/", "user information"},
		{"https://x..test/", "empty label"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseName(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseName(%q) error = %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestFileBase(t *testing.T) {
	tests := []struct {
		names  []string
		client bool
		want   string
	}{
		{[]string{"localhost", "127.0.0.1", "::1"}, false, "localhost+2"},
		{[]string{"*.x.test"}, false, "_wildcard.x.test"},
		{[]string{"alice.test"}, true, "alice.test-client"},
		{[]string{"::1"}, false, "__1"},
		// A URI's files are not the host's: a certificate for the URI
		// would replace the one browsers accept for the host.
		{[]string{"https://api.test/x"}, false, "https_api.test"},
		{[]string{"spiffe://app.test/api", "app.test"}, true, "spiffe_app.test+1-client"},
		{[]string{"me@x.test", "a.test"}, false, "me@x.test+1"},
	}
	for _, tt := range tests {
		names, err := ParseNames(tt.names)
		if err != nil {
			t.Fatal(err)
		}
		if got := FileBase(names, tt.client); got != tt.want {
			t.Errorf("FileBase(%q, %v) = %q, want %q", tt.names, tt.client, got, tt.want)
		}
	}
}
