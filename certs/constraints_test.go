package certs

import (
	"strings"
	"testing"
)

func TestPermit(t *testing.T) {
	c := DefaultConstraints()
	for _, p := range []string{"photos.alice.example.org", ".corp.example.net", "*.dev.example.com", "192.168.1.20", "203.0.113.0/24", "2001:db8::/32", "x.test"} {
		if err := c.Permit(p); err != nil {
			t.Fatalf("Permit(%q): %v", p, err)
		}
	}
	ok := []string{"photos.alice.example.org", "a.photos.alice.example.org", "corp.example.net", "x.dev.example.com", "203.0.113.9", "2001:db8::5", "me@corp.example.net"}
	for _, n := range ok {
		if err := c.Check(mustParse(t, n)); err != nil {
			t.Errorf("Check(%s) after Permit: %v", n, err)
		}
	}
	bad := []string{"alice.example.org", "example.net", "203.0.114.1", "x.example.com"}
	for _, n := range bad {
		if err := c.Check(mustParse(t, n)); err == nil {
			t.Errorf("Check(%s) passed, want outside", n)
		}
	}
	// x.test is already under test: no duplicate.
	if strings.Count(c.String(), "x.test") != 0 {
		t.Errorf("Permit(x.test) added a redundant domain: %s", c)
	}
	// A public suffix or every address would let the CA vouch for other
	// people's sites (vouch trust refuses such a root); a name reserved
	// for local use is fine, though some are on the public suffix list.
	// (Permit takes them; Wide, asked before a CA is made, refuses them,
	// so that an existing CA made so still issues with the same flags.)
	for _, p := range []string{"com", ".co.uk", "*.github.io", "0.0.0.0/0", "::/0"} {
		c := DefaultConstraints()
		if err := c.Permit(p); err != nil {
			t.Fatalf("Permit(%q): %v", p, err)
		}
		if err := c.Wide(); err == nil || !strings.Contains(err.Error(), "--unconstrained if you really mean that") {
			t.Errorf("Wide() after Permit(%q) = %v, want it refused", p, err)
		}
	}
	for _, p := range []string{"home.arpa", "lan", "corp", "example.com", "8.8.8.0/24"} {
		c := DefaultConstraints()
		if err := c.Permit(p); err != nil || c.Wide() != nil {
			t.Errorf("Permit(%q) = %v, Wide() = %v; want it allowed", p, err, c.Wide())
		}
	}
	if err := DefaultConstraints().Wide(); err != nil {
		t.Errorf("the defaults are Wide: %v", err)
	}
	if err := DefaultConstraints().Permit("https://photos.example.org/app"); err == nil || !strings.Contains(err.Error(), "not a URL: for https://photos.example.org/app that is --permit photos.example.org") {
		t.Errorf("Permit(a URL) = %v, want it refused with the domain to permit", err)
	}
	for _, p := range []string{".", "*.", "", "10.0.0.0/33", "a..b", "fe80::/10%eth0"} {
		if err := DefaultConstraints().Permit(p); err == nil {
			t.Errorf("Permit(%q) succeeded, want an error", p)
		}
	}
}

func TestCovers(t *testing.T) {
	def := DefaultConstraints()
	more := DefaultConstraints()
	more.Permit("photos.example.org")
	if !more.Covers(def) || def.Covers(more) {
		t.Errorf("Covers: more⊇def=%v def⊇more=%v, want true, false", more.Covers(def), def.Covers(more))
	}
	var none *Constraints
	if !none.Covers(def) || def.Covers(none) {
		t.Errorf("nil (unconstrained) must cover everything and be covered by nothing")
	}
}

func TestConstraintsRoundTrip(t *testing.T) {
	c := DefaultConstraints()
	c.Permit("photos.example.org")
	c.Permit("192.168.1.0/24") // inside 192.168/16 already
	ca, err := Create(t.TempDir(), CreateOptions{Constraints: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := ConstraintsOf(ca.Issuer).String(); got != c.String() {
		t.Errorf("constraints read back = %s, want %s", got, c)
	}
	if strings.Contains(c.String(), "192.168.1.0/24") {
		t.Errorf("a range inside another was added: %s", c)
	}
}
