package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
	"github.com/vouchdev/vouch/platform"
	"github.com/vouchdev/vouch/record"
)

// checkFriend is the friend's side of a check test: an app with its own
// home (so its own record), checking servers this test runs on 127.0.0.1.
type checkFriend struct {
	t      *testing.T
	a      *app
	stdout *bytes.Buffer
	stderr *bytes.Buffer
}

func newCheckFriend(t *testing.T) *checkFriend {
	t.Helper()
	a, stdout, stderr := testApp(t, false)
	// No machine roots: a public verdict comes only from tests that ask.
	testOnlySystemRoots = x509.NewCertPool()
	t.Cleanup(func() { testOnlySystemRoots, testOnlyDialAddr = nil, nil })
	return &checkFriend{t: t, a: a, stdout: stdout, stderr: stderr}
}

func (f *checkFriend) stateDir() string {
	return platform.StateDir(f.a.goos, f.a.home, f.a.getenv)
}

// trust records root as vouch trust would: label, when, and the root it
// replaces. It drops an entry with the same label, as a re-trust does.
func (f *checkFriend) trust(ca *certs.CA, label string, at time.Time, replaces string) {
	f.t.Helper()
	b, err := record.Load(f.stateDir())
	if err != nil {
		f.t.Fatal(err)
	}
	if r, err := b.Find(label); err == nil {
		b.Remove(r.Fingerprint)
	}
	if _, err := b.WriteRoot(ca.Root); err != nil {
		f.t.Fatal(err)
	}
	b.Add(record.Root{Label: label, Fingerprint: ca.Fingerprint(), Subject: ca.Root.Subject.String(), Source: "test",
		TrustedAt: at.UTC(), NotAfter: ca.Root.NotAfter.UTC(), Permits: ca.Constraints.Describe(), Replaces: replaces})
	if err := b.Save(); err != nil {
		f.t.Fatal(err)
	}
}

// check runs `vouch check ARGS...` through the CLI and returns the exit
// code; stdout and stderr are kept in f until the next call.
func (f *checkFriend) check(args ...string) int {
	f.stdout.Reset()
	f.stderr.Reset()
	return f.a.run(append([]string{"check"}, args...))
}

func (f *checkFriend) seen(host string) *record.Seen {
	f.t.Helper()
	b, err := record.Load(f.stateDir())
	if err != nil {
		f.t.Fatal(err)
	}
	return b.LastSeen(host)
}

// testServer is a TLS server on 127.0.0.1 whose certificate can be
// swapped between handshakes.
type testServer struct {
	addr string
	cert atomic.Pointer[tls.Certificate]
}

func serveTLS(t *testing.T, c tls.Certificate) *testServer {
	t.Helper()
	s := &testServer{}
	s.cert.Store(&c)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cert.Load(), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s.addr = ln.Addr().String()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				conn.(*tls.Conn).Handshake()
				conn.Close()
			}()
		}
	}()
	return s
}

func (s *testServer) serve(c tls.Certificate) { s.cert.Store(&c) }

func (s *testServer) port() string {
	_, p, _ := net.SplitHostPort(s.addr)
	return p
}

// at makes check connect to s whatever host name it is given.
func (s *testServer) answerFor(t *testing.T) {
	testOnlyDialAddr = func(string) string { return s.addr }
}

// newTestCA makes a CA as the owner's install would, permitting extra
// names on top of the defaults, as if made at time made.
func newTestCA(t *testing.T, made time.Time, permit ...string) *certs.CA {
	t.Helper()
	c := certs.DefaultConstraints()
	for _, p := range permit {
		if err := c.Permit(p); err != nil {
			t.Fatal(err)
		}
	}
	ca, err := certs.Create(t.TempDir(), certs.CreateOptions{Constraints: c, Owner: "alice@host", Now: func() time.Time { return made }})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// issue signs a leaf with vouch's own issuing code; withRoot also sends
// the root, as a chain file that includes it would.
func issue(t *testing.T, ca *certs.CA, withRoot bool, names ...string) tls.Certificate {
	t.Helper()
	ns, err := certs.ParseNames(names)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ca.Issue(certs.LeafRequest{Names: ns})
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Certificate{Certificate: [][]byte{l.Cert.Raw, ca.Issuer.Raw}, PrivateKey: l.Key, Leaf: l.Cert}
	if withRoot {
		c.Certificate = append(c.Certificate, ca.Root.Raw)
	}
	return c
}

// forge signs a leaf directly with the CA's issuing key, bypassing the
// checks in certs.Issue: names outside the constraints, any dates. With a
// nil ca the leaf signs itself.
func forge(t *testing.T, ca *certs.CA, notBefore, notAfter time.Time, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{Organization: []string{"forged"}, CommonName: names[0]},
		NotBefore:    notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := tmpl, crypto.Signer(key)
	var chain [][]byte
	if ca != nil {
		data, err := os.ReadFile(filepath.Join(ca.Dir, certs.IssuerKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		if signer, err = certs.ParseKey(data); err != nil {
			t.Fatal(err)
		}
		parent, chain = ca.Issuer, [][]byte{ca.Issuer.Raw}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: append([][]byte{der}, chain...), PrivateKey: key, Leaf: leaf}
}

func voice(ca *certs.CA) string { return certs.FingerprintOf(ca.Root).Voice() }

func wantCheck(t *testing.T, f *checkFriend, code, want int, patterns ...string) {
	t.Helper()
	if code != want {
		t.Errorf("check = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, f.stdout, f.stderr)
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(f.stdout.String()) {
			t.Errorf("stdout does not match %q:\n%s", p, f.stdout)
		}
	}
}

// TestCheckRenewalAndConfirmedRotation follows one friend through the
// life of alice's server: the first check, the same certificate, a
// renewal, a rotation the friend confirmed with vouch trust.
func TestCheckRenewalAndConfirmedRotation(t *testing.T) {
	f := newCheckFriend(t)
	now := time.Now()
	ca1 := newTestCA(t, now, "alice.org")
	trustedAt := now.Add(-48 * time.Hour)
	f.trust(ca1, "alice", trustedAt, "")

	leaf1 := issue(t, ca1, false, "photos.alice.org")
	srv := serveTLS(t, leaf1)
	srv.answerFor(t)
	target := "https://photos.alice.org/album?x=1"
	host := "photos.alice.org:443"

	code := f.check(target)
	wantCheck(t, f, code, exitOK,
		`^TRUSTED: chains to the root "alice" \(trusted on `+day(trustedAt)+`, fingerprint `+regexp.QuoteMeta(voice(ca1))+`\)\n`,
		`first check of this server`,
		`certificate for photos.alice.org, valid until `)
	s := f.seen(host)
	if s == nil || s.Leaf != certs.Fingerprint(leaf1.Leaf) || s.Root != ca1.Fingerprint() {
		t.Fatalf("after a trusted check, seen[%s] = %+v, want leaf %s under root %s", host, s, certs.Fingerprint(leaf1.Leaf), ca1.Fingerprint())
	}

	wantCheck(t, f, f.check(target), exitOK, `same certificate as last seen on `+day(now))

	leaf2 := issue(t, ca1, false, "photos.alice.org")
	srv.serve(leaf2)
	wantCheck(t, f, f.check(target), exitOK, `^TRUSTED: `, `routine renewal: a new certificate since `+day(now)+`, same root`)
	if s := f.seen(host); s.Leaf != certs.Fingerprint(leaf2.Leaf) {
		t.Errorf("renewal not recorded: seen leaf %s, want %s", s.Leaf, certs.Fingerprint(leaf2.Leaf))
	}

	// alice rotates; the friend re-trusts under the same label; check
	// reports the change as confirmed.
	ca2 := newTestCA(t, now, "alice.org")
	f.trust(ca2, "alice", now, ca1.Fingerprint())
	srv.serve(issue(t, ca2, true, "photos.alice.org"))
	wantCheck(t, f, f.check(target), exitOK,
		`^TRUSTED: chains to the root "alice" .*fingerprint `+regexp.QuoteMeta(voice(ca2)),
		`the root changed from the root `+regexp.QuoteMeta(voice(ca1))+` to `+regexp.QuoteMeta(voice(ca2))+`, and you confirmed it on `+day(now)+` \(vouch trust\)`)
	if s := f.seen(host); s.Root != ca2.Fingerprint() {
		t.Errorf("confirmed rotation not recorded: seen root %s, want %s", s.Root, ca2.Fingerprint())
	}
	if f.stderr.Len() != 0 {
		t.Errorf("stderr: %s", f.stderr)
	}
}

// TestCheckDifferentRoot: a root the friend never trusted, where the old
// one has years left (suspicious) or days (an expected rotation); and a
// server never seen under a trusted root.
func TestCheckDifferentRoot(t *testing.T) {
	for _, tc := range []struct {
		name     string
		oldMade  time.Time // the old CA lives ten years from here
		sendRoot bool
		rotation string
		want     []string
	}{
		{"suspicious", time.Now(), true, "suspicious", []string{`good until \S+ \(\d+ more days\): nothing needed replacing, so this change is SUSPICIOUS`}},
		{"suspicious, root not sent", time.Now(), false, "suspicious", []string{`its chain ends at "CN=vouch root alice@host,[^"]*", whose root it did not send`, `SUSPICIOUS`}},
		{"expected rotation", time.Now().Add(-10*365*24*time.Hour + 20*24*time.Hour), true, "expected", []string{`expires on \S+ \(in (19|20) days\): this looks like an expected rotation`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCheckFriend(t)
			old := newTestCA(t, tc.oldMade)
			f.trust(old, "alice", time.Now(), "")
			srv := serveTLS(t, issue(t, old, false, "127.0.0.1"))
			target := "127.0.0.1:" + srv.port()
			wantCheck(t, f, f.check(target), exitOK, `^TRUSTED`)
			before := f.seen(target)

			attacker := newTestCA(t, time.Now())
			srv.serve(issue(t, attacker, tc.sendRoot, "127.0.0.1"))
			want := append([]string{
				`If alice did not tell you about a change, do not continue; ask them to read you their fingerprint.`,
				`last time \(` + day(time.Now()) + `\) this server chained to the root "alice" \(` + regexp.QuoteMeta(voice(old)) + `\)`,
			}, tc.want...)
			if tc.sendRoot {
				want = append(want, `^NOT TRUSTED: this server presents a different root \(fingerprint `+regexp.QuoteMeta(voice(attacker))+`\)\n`)
			}
			wantCheck(t, f, f.check(target), exitNotTrusted, want...)
			// vouch trust HOST:PORT takes the root the server sends; one
			// that sends none needs the root's file (the hint had given
			// the server's address, and trust then failed).
			hint := "vouch: hint: vouch trust " + target + " --fingerprint"
			if !tc.sendRoot {
				hint = "vouch: hint: vouch trust ROOT_FILE --fingerprint 'THE FINGERPRINT THEY READ YOU' --name LABEL   (the server does not send its root: ask its owner for the file"
			}
			if !strings.Contains(f.stderr.String(), hint) {
				t.Errorf("stderr lacks %q: %s", hint, f.stderr)
			}
			if after := f.seen(target); *after != *before {
				t.Errorf("an untrusted certificate was recorded: %+v, was %+v", after, before)
			}

			f.check("--json", target)
			var res checkJSON
			if err := json.Unmarshal(f.stdout.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if res.Rotation != tc.rotation || res.Result != resultNotTrusted || res.ExitCode != exitNotTrusted || res.Recorded {
				t.Errorf("json: rotation %q result %q exit %d recorded %v; want %q, %q, %d, false", res.Rotation, res.Result, res.ExitCode, res.Recorded, tc.rotation, resultNotTrusted, exitNotTrusted)
			}
			if res.PreviousRoot == nil || res.PreviousRoot.FingerprintSHA256 != old.Fingerprint() {
				t.Errorf("json: previous_root = %+v, want the old root", res.PreviousRoot)
			}
		})
	}

	t.Run("never seen, no root permits it", func(t *testing.T) {
		f := newCheckFriend(t)
		srv := serveTLS(t, issue(t, newTestCA(t, time.Now()), true, "127.0.0.1"))
		wantCheck(t, f, f.check("127.0.0.1:"+srv.port()), exitNotTrusted, `^NOT TRUSTED: this server presents a different root`, `vouch has never seen this server`)
		if s := f.seen("127.0.0.1:" + srv.port()); s != nil {
			t.Errorf("recorded %+v", s)
		}
	})

	t.Run("never seen, a trusted root permits its name", func(t *testing.T) {
		f := newCheckFriend(t)
		f.trust(newTestCA(t, time.Now(), "alice.org"), "alice", time.Now(), "")
		srv := serveTLS(t, issue(t, newTestCA(t, time.Now(), "alice.org"), true, "photos.alice.org"))
		srv.answerFor(t)
		wantCheck(t, f, f.check("photos.alice.org"), exitNotTrusted,
			`If alice did not tell you about a change`, `its name is one the root "alice" \(.*\) may vouch for`, `SUSPICIOUS`)
	})
}

// TestCheckVerdicts: every other verdict, with its exit code.
func TestCheckVerdicts(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		// cert builds what the server presents, from the trusted CA.
		cert func(t *testing.T, ca *certs.CA) tls.Certificate
		host string
		code int
		want []string
	}{
		{"name outside the root's list", func(t *testing.T, ca *certs.CA) tls.Certificate {
			return forge(t, ca, now.Add(-time.Hour), now.Add(time.Hour), "bank.example.com")
		}, "bank.example.com", exitBadName, []string{`^NAME NOT PERMITTED: the root "alice" may vouch only for names under localhost.*alice\.org.*; this server's certificate names bank\.example\.com, outside it`}},
		{"name outside, alongside a permitted one", func(t *testing.T, ca *certs.CA) tls.Certificate {
			return forge(t, ca, now.Add(-time.Hour), now.Add(time.Hour), "photos.alice.org", "bank.example.com")
		}, "photos.alice.org", exitBadName, []string{`^NAME NOT PERMITTED: .*names bank\.example\.com, outside it`}},
		{"expired leaf", func(t *testing.T, ca *certs.CA) tls.Certificate {
			return forge(t, ca, now.Add(-72*time.Hour), now.Add(-48*time.Hour), "photos.alice.org")
		}, "photos.alice.org", exitExpired, []string{`^EXPIRED: this server's certificate expired on ` + day(now.Add(-48*time.Hour)) + `T\S+ \(2 days ago\)`, `chains to the root "alice" you trusted`}},
		{"not yet valid", func(t *testing.T, ca *certs.CA) tls.Certificate {
			return forge(t, ca, now.Add(48*time.Hour), now.Add(72*time.Hour), "photos.alice.org")
		}, "photos.alice.org", exitExpired, []string{`^EXPIRED: this server's certificate is not valid until `}},
		{"name mismatch", func(t *testing.T, ca *certs.CA) tls.Certificate {
			return issue(t, ca, false, "wiki.alice.org")
		}, "photos.alice.org", exitBadName, []string{`^NAME MISMATCH: this certificate is for wiki\.alice\.org, not photos\.alice\.org`}},
		{"self-signed leaf", func(t *testing.T, ca *certs.CA) tls.Certificate {
			return forge(t, nil, now.Add(-time.Hour), now.Add(time.Hour), "photos.alice.org")
		}, "photos.alice.org", exitSelfSigned, []string{`^SELF-SIGNED: this server's certificate vouches for itself \(fingerprint [0-9A-F]{4}( [0-9A-F]{4}){15}\); no root signed it`, `If alice did not tell you about a change`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCheckFriend(t)
			ca := newTestCA(t, now, "alice.org")
			f.trust(ca, "alice", now, "")
			srv := serveTLS(t, tc.cert(t, ca))
			srv.answerFor(t)
			wantCheck(t, f, f.check(tc.host+":8443"), tc.code, tc.want...)
			if tc.code == exitSelfSigned && (strings.Contains(f.stderr.String(), "vouch trust") || !strings.Contains(f.stderr.String(), "can't be trusted as a root")) {
				t.Errorf("a self-signed leaf's hint: %s; want no vouch trust, which refuses a server's own certificate", f.stderr)
			}
			if s := f.seen(tc.host + ":8443"); s != nil {
				t.Errorf("a failed check was recorded: %+v", s)
			}
		})
	}
}

// TestCheckHintUnconstrained: the vouch trust that check hints for a root
// with no name constraints carries --allow-unconstrained, and says what it
// means; trust refused the command as hinted before.
func TestCheckHintUnconstrained(t *testing.T) {
	allow := "--name LABEL --allow-unconstrained   (only after comparing it with the owner over a channel you trust; --allow-unconstrained, since this root could vouch for any site, your bank's included (it puts no limit on host names; it puts no limit on IP addresses): add it only if you trust its owner with every site you visit)\n"

	t.Run("a chain ending in a root with no limits", func(t *testing.T) {
		f := newCheckFriend(t)
		wide, err := certs.Create(t.TempDir(), certs.CreateOptions{Owner: "eve@x"})
		if err != nil {
			t.Fatal(err)
		}
		srv := serveTLS(t, issue(t, wide, true, "127.0.0.1"))
		target := "127.0.0.1:" + srv.port()
		wantCheck(t, f, f.check(target), exitNotTrusted, `^NOT TRUSTED: this server presents a different root`)
		wantSaid(t, f.stderr, "check of a server under an unconstrained root", "vouch: hint: vouch trust "+target+" --fingerprint 'THE FINGERPRINT THEY READ YOU' "+allow)
	})

	t.Run("a self-signed CA certificate with no limits", func(t *testing.T) {
		f := newCheckFriend(t)
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "photos.alice.org"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: true,
			DNSNames: []string{"photos.alice.org"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		srv := serveTLS(t, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
		srv.answerFor(t)
		wantCheck(t, f, f.check("photos.alice.org:8443"), exitSelfSigned, `^SELF-SIGNED: `)
		wantSaid(t, f.stderr, "check of a self-signed CA with no limits", "vouch: hint: vouch trust photos.alice.org:8443 --fingerprint 'THE FINGERPRINT THEY READ YOU' "+allow)
	})

	t.Run("a root with limits", func(t *testing.T) {
		f := newCheckFriend(t)
		srv := serveTLS(t, issue(t, newTestCA(t, time.Now()), true, "127.0.0.1"))
		target := "127.0.0.1:" + srv.port()
		wantCheck(t, f, f.check(target), exitNotTrusted, `^NOT TRUSTED: `)
		wantSaid(t, f.stderr, "check of a server under a constrained root", "vouch: hint: vouch trust "+target+" --fingerprint 'THE FINGERPRINT THEY READ YOU' --name LABEL   (only after comparing it with the owner over a channel you trust)\n")
	})
}

func TestCheckPublic(t *testing.T) {
	f := newCheckFriend(t)
	public := newTestCA(t, time.Now())
	testOnlySystemRoots = x509.NewCertPool()
	testOnlySystemRoots.AddCert(public.Root)
	srv := serveTLS(t, issue(t, public, false, "127.0.0.1"))
	target := "127.0.0.1:" + srv.port()
	wantCheck(t, f, f.check(target), exitOK, `^TRUSTED BY THIS MACHINE: the chain reaches the system's roots .*, not a root you trusted for someone with vouch trust`)
	if s := f.seen(target); s != nil {
		t.Errorf("a public site was recorded: %+v", s)
	}
	// The JSON names the system root itself: its fingerprint and end, as
	// for every other root; before, the fingerprint was "" and the end
	// left out.
	f.check(target, "--json")
	var res checkJSON
	if err := json.Unmarshal(f.stdout.Bytes(), &res); err != nil || res.Root == nil || res.Root.Source != "system" ||
		res.Root.FingerprintSHA256 != certs.FingerprintOf(public.Root).Hex() || !res.Root.NotAfter.Equal(public.Root.NotAfter) ||
		res.Root.Subject != public.Root.Subject.String() {
		t.Errorf("check --json = %s (%v); want root.source \"system\" with the root's fingerprint, subject and end", f.stdout, err)
	}
	srv.serve(issue(t, public, false, "wiki.test"))
	wantCheck(t, f, f.check(target), exitBadName, `^NAME MISMATCH: this certificate is for wiki\.test, not 127\.0\.0\.1`)

	// A server vouch saw under a root trusted for a friend, now under one
	// of the system's roots: which of them vouch can't tell (public, or
	// installed there), so the move is said as no more than that.
	alice := newTestCA(t, time.Now())
	f.trust(alice, "alice", time.Now(), "")
	srv.serve(issue(t, alice, false, "127.0.0.1"))
	wantCheck(t, f, f.check(target), exitOK, `^TRUSTED: chains to the root "alice"`)
	srv.serve(issue(t, public, false, "127.0.0.1"))
	wantCheck(t, f, f.check(target), exitOK, `^TRUSTED BY THIS MACHINE: `)
	if want := `this server chained to the root "alice" (` + certs.FingerprintOf(alice.Root).Voice() + `); it has moved to one of the system's roots`; !strings.Contains(f.stdout.String(), want) {
		t.Errorf("check after the move: stdout %q lacks %q", f.stdout, want)
	}
}

// ownCA makes the CA vouch cert would issue from, in the app's
// VOUCH_CAROOT, as made at now.
func (f *checkFriend) ownCA(now time.Time) *certs.CA {
	f.t.Helper()
	dir := f.a.getenv("VOUCH_CAROOT")
	if err := os.Mkdir(dir, 0o700); err != nil {
		f.t.Fatal(err)
	}
	ca, err := certs.Create(dir, certs.CreateOptions{Constraints: certs.DefaultConstraints(), Owner: "me@host", Now: func() time.Time { return now }})
	if err != nil {
		f.t.Fatal(err)
	}
	return ca
}

// TestCheckOwnCA: a server under the user's own CA (the one vouch cert
// issues from) is named as such: not trusted by this machine until vouch
// install, trusted after, and the name or date that is wrong otherwise.
func TestCheckOwnCA(t *testing.T) {
	f := newCheckFriend(t)
	now := time.Now()
	own := f.ownCA(now)
	srv := serveTLS(t, issue(t, own, false, "127.0.0.1"))
	target := "127.0.0.1:" + srv.port()
	ownCA := regexp.QuoteMeta("your own CA (" + own.Dir + ", fingerprint " + voice(own) + ")")

	wantCheck(t, f, f.check(target), exitNotTrusted, `^NOT TRUSTED BY THIS MACHINE YET: the chain reaches `+ownCA+`, which the system store does not trust\n  vouch install trusts it here`)
	if got := f.stderr.String(); got != "vouch: hint: vouch install\n" {
		t.Errorf("stderr %q, want only the hint to run vouch install (no vouch trust: it is this user's CA)", got)
	}
	f.check(target, "--json")
	var res checkJSON
	if err := json.Unmarshal(f.stdout.Bytes(), &res); err != nil || res.Result != resultNotTrusted || res.Root == nil || res.Root.Source != "your CA" || res.Root.FingerprintSHA256 != own.Fingerprint() {
		t.Errorf("check --json = %s (%v); want not_trusted, root.source \"your CA\" with its fingerprint", f.stdout, err)
	}

	// A server that sends its certificate alone, without the intermediate
	// (openssl s_server without -cert_chain): no client can chain it.
	leafOnly := issue(t, own, false, "127.0.0.1")
	leafOnly.Certificate = leafOnly.Certificate[:1]
	srv.serve(leafOnly)
	wantCheck(t, f, f.check(target), exitNotTrusted, `^INCOMPLETE CHAIN: this server sends its certificate without the intermediate of `+regexp.QuoteMeta("your own CA ("+own.Dir+", fingerprint "+voice(own)+")")+`, so clients can't reach the root \(only a browser that kept the right intermediate from elsewhere might\)\n  serve the whole certificate file vouch wrote`)
	if got := f.stderr.String(); got != "" {
		t.Errorf("stderr %q, want no hint: vouch install does not mend the chain", got)
	}
	f.check(target, "--json")
	if err := json.Unmarshal(f.stdout.Bytes(), &res); err != nil || res.Result != "incomplete_chain" || res.ExitCode != exitNotTrusted {
		t.Errorf("check --json = %s (%v); want incomplete_chain, exit 3", f.stdout, err)
	}
	srv.serve(issue(t, own, false, "127.0.0.1"))

	// After vouch install the system's roots hold it.
	testOnlySystemRoots.AddCert(own.Root)
	wantCheck(t, f, f.check(target), exitOK, `^TRUSTED BY THIS MACHINE: the chain reaches `+ownCA+`, which the system store trusts\n`)
	if s := f.seen(target); s != nil {
		t.Errorf("a server under the user's own CA was recorded: %+v", s)
	}

	srv.serve(issue(t, own, false, "wiki.test"))
	wantCheck(t, f, f.check(target), exitBadName, `^NAME MISMATCH: this certificate is for wiki\.test, not 127\.0\.0\.1\n  it chains to `+ownCA)
	srv.serve(forge(t, own, now.Add(-48*time.Hour), now.Add(-24*time.Hour), "127.0.0.1"))
	wantCheck(t, f, f.check(target), exitExpired, `^EXPIRED: this server's certificate expired on .*\n  it chains to `+ownCA)
	srv.serve(forge(t, own, now.Add(-time.Hour), now.Add(time.Hour), "evil.com"))
	srv.answerFor(t)
	wantCheck(t, f, f.check("evil.com:443"), exitBadName, `^NAME NOT PERMITTED: `+ownCA+` may vouch only for names under localhost, .*; this server's certificate names evil\.com, outside it`)

	// A CA in another folder is the user's own only with --caroot; without
	// it, it is just a different root.
	other := newTestCA(t, now)
	srv.serve(issue(t, other, false, "127.0.0.1"))
	wantCheck(t, f, f.check("127.0.0.1:443"), exitNotTrusted, `^NOT TRUSTED: this server presents a different root`)
	// A --caroot with no CA in it (mistyped) is said, not passed over.
	wantCheck(t, f, f.check("127.0.0.1:443", "--caroot", other.Dir+"x"), exitNotTrusted, `^NOT TRUSTED: this server presents a different root`)
	if !strings.Contains(f.stderr.String(), "vouch: warning: --caroot: ") || !strings.Contains(f.stderr.String(), other.Dir+"x") {
		t.Errorf("check --caroot with no CA there: stderr %q, want a warning naming it", f.stderr)
	}
	wantCheck(t, f, f.check("127.0.0.1:443", "--caroot", other.Dir), exitNotTrusted,
		`^NOT TRUSTED BY THIS MACHINE YET: the chain reaches `+regexp.QuoteMeta("your own CA ("+other.Dir+", fingerprint "+voice(other)+")"))
	// The commands it names keep --caroot: without it, the one for a new
	// certificate would make one from (or a new CA in) the default folder.
	srv.serve(issue(t, other, false, "wiki.test"))
	wantCheck(t, f, f.check("127.0.0.1:443", "--caroot", other.Dir), exitBadName,
		`\n  it chains to .*; `+regexp.QuoteMeta("vouch --caroot "+other.Dir+" 127.0.0.1 issues one for this name"))
}

// TestCheckRetiredCA: a server still on a certificate from before vouch
// rotate is named as under the user's old CA: trusted while the system
// store still holds the old root, not trusted once it is out, with the
// command that issues a new certificate.
func TestCheckRetiredCA(t *testing.T) {
	f := newCheckFriend(t)
	now := time.Now()
	old := f.ownCA(now)
	dir := old.Dir
	opts := certs.CreateOptions{Constraints: certs.DefaultConstraints(), Owner: "me@host", Now: func() time.Time { return now }}
	before := issue(t, old, false, "127.0.0.1")
	wrongName := issue(t, old, false, "wiki.test")
	_, fresh, retired, err := certs.Rotate(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := serveTLS(t, before)
	target := "127.0.0.1:" + srv.port()
	oldCA := regexp.QuoteMeta("your old CA (" + retired + ", fingerprint " + voice(old) + ", retired by vouch rotate on " + now.UTC().Format(time.DateOnly) + ")")

	wantCheck(t, f, f.check(target), exitNotTrusted, `^NOT TRUSTED: the chain reaches `+oldCA+`, which this machine no longer trusts\n  this server still uses a certificate from before the rotation: vouch 127\.0\.0\.1 issues a certificate from your current CA`)
	if got := f.stderr.String(); got != "vouch: hint: vouch 127.0.0.1   (a certificate from your current CA, for the server)\n" {
		t.Errorf("stderr %q, want only the hint to issue a new certificate", got)
	}
	f.check(target, "--json")
	var res checkJSON
	if err := json.Unmarshal(f.stdout.Bytes(), &res); err != nil || res.Root == nil || res.Root.Source != "your old CA" || res.Root.FingerprintSHA256 != old.Fingerprint() {
		t.Errorf("check --json = %s (%v); want root.source \"your old CA\" with the old root's fingerprint", f.stdout, err)
	}

	// The old root still in the system store (no vouch uninstall --caroot
	// on the retired folder yet).
	testOnlySystemRoots.AddCert(old.Root)
	wantCheck(t, f, f.check(target), exitOK, `^TRUSTED BY THIS MACHINE: the chain reaches `+oldCA+`; the system store still trusts it\n  it does until vouch uninstall --caroot `+regexp.QuoteMeta(retired)+` takes it out`)
	srv.serve(wrongName)
	wantCheck(t, f, f.check(target), exitBadName, `^NAME MISMATCH: this certificate is for wiki\.test, not 127\.0\.0\.1`)

	// The new CA's certificate is the user's own CA's, as before rotate.
	srv.serve(issue(t, fresh, false, "127.0.0.1"))
	wantCheck(t, f, f.check(target), exitNotTrusted, `^NOT TRUSTED BY THIS MACHINE YET: the chain reaches your own CA \(`+regexp.QuoteMeta(dir+", fingerprint "+voice(fresh)))

	// Sent without their intermediates: the old CA's leaf alone, and the
	// new CA's leaf with the old chain file (both intermediates have the
	// same name).
	alone := issue(t, old, false, "127.0.0.1")
	alone.Certificate = alone.Certificate[:1]
	srv.serve(alone)
	wantCheck(t, f, f.check(target), exitNotTrusted, `^INCOMPLETE CHAIN: this server sends its certificate without the intermediate of `+regexp.QuoteMeta("your old CA (retired on "+now.UTC().Format(time.DateOnly)+" to "+retired+")"))
	stale := issue(t, fresh, false, "wiki.test")
	stale.Certificate[1] = old.Issuer.Raw
	srv.serve(stale)
	wantCheck(t, f, f.check(target), exitNotTrusted, `^INCOMPLETE CHAIN: this server sends its certificate with an intermediate that has the right name but is not the one of your own CA \(.*\n  serve the whole certificate file vouch wrote.*\n  the certificate is also for wiki\.test, not 127\.0\.0\.1`)
}

func TestCheckCantConnect(t *testing.T) {
	f := newCheckFriend(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if code := f.check(addr); code != exitFail || f.stdout.Len() != 0 {
		t.Errorf("check of a closed port = %d, stdout %q; want 1 and nothing", code, f.stdout)
	}
	if !strings.Contains(f.stderr.String(), "vouch: error: can't connect to "+addr) || !strings.Contains(f.stderr.String(), "vouch: hint: ") {
		t.Errorf("stderr = %q", f.stderr)
	}
	// The hint's command is the one given, flags and all.
	if code := f.check("--timeout", "2s", "--json", addr); code != exitFail {
		t.Errorf("check --timeout 2s --json of a closed port = %d, want 1", code)
	}
	if want := "; then again: vouch check --timeout 2s --json " + addr + "\n"; !strings.Contains(f.stderr.String(), want) {
		t.Errorf("stderr = %q, want the hint to end %q", f.stderr, want)
	}

	// Plain TCP that never speaks TLS back.
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	go func() {
		for {
			c, err := plain.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	if code := f.check(plain.Addr().String()); code != exitFail || !strings.Contains(f.stderr.String(), "does not speak TLS") {
		t.Errorf("check of plain HTTP = %d, stderr %q", code, f.stderr)
	}

	f.check("--json", addr)
	var res map[string]any
	if err := json.Unmarshal(f.stdout.Bytes(), &res); err != nil || res["result"] != "error" || res["exit_code"] != float64(1) {
		t.Errorf("--json on a closed port = %s (%v)", f.stdout, err)
	}
}

func TestCheckUsage(t *testing.T) {
	f := newCheckFriend(t)
	for _, args := range [][]string{{}, {"a.test", "b.test"}, {"http://a.test"}, {"a.test:0"}, {"a.test:http"}, {"*.a.test"}, {"https://u@a.test/"}, {"--timeout", "0s", "a.test"}} {
		if code := f.check(args...); code != exitUsage || !strings.Contains(f.stderr.String(), "usage: vouch check") {
			t.Errorf("check %q = %d, stderr %q; want 2 and the usage", args, code, f.stderr)
		}
	}
	if code := f.a.run([]string{"help", "check"}); code != exitOK || !strings.Contains(f.stdout.String(), "  6  self-signed") {
		t.Errorf("help check = %d: %s", code, f.stdout)
	}
}

// TestCheckJSONShape pins the documented --json keys.
func TestCheckJSONShape(t *testing.T) {
	f := newCheckFriend(t)
	ca := newTestCA(t, time.Now())
	f.trust(ca, "alice", time.Now(), "")
	srv := serveTLS(t, issue(t, ca, false, "127.0.0.1"))
	target := "127.0.0.1:" + srv.port()
	f.check(target)
	if code := f.check("--json", target); code != exitOK {
		t.Fatalf("check --json = %d: %s", code, f.stderr)
	}
	var m map[string]any
	if err := json.Unmarshal(f.stdout.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	for _, tc := range []struct {
		got  []string
		want string
	}{
		{keys(m), "change details exit_code last_seen leaf previous_root recorded result root summary target"},
		{keys(m["leaf"].(map[string]any)), "fingerprint_sha256 issuer names not_after not_before"},
		{keys(m["root"].(map[string]any)), "fingerprint_sha256 label not_after source subject trusted_at"},
		{keys(m["last_seen"].(map[string]any)), "host leaf leaf_not_after root seen_at"},
	} {
		if got := strings.Join(tc.got, " "); got != tc.want {
			t.Errorf("keys = %q, want %q", got, tc.want)
		}
	}
	if m["result"] != "trusted" || m["change"] != "same" || m["exit_code"] != float64(0) || m["recorded"] != true || m["previous_root"] != nil {
		t.Errorf("json = %s", f.stdout)
	}
}

func TestParseCheckTarget(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://photos.alice.org", "photos.alice.org:443"},
		{"https://Photos.Alice.Example:8443/album?x=1#y", "photos.alice.example:8443"},
		{"HTTPS://x.test/", "x.test:443"},
		{"x.test:8443", "x.test:8443"},
		{"x.test", "x.test:443"},
		{"127.0.0.1:443", "127.0.0.1:443"},
		{"127.0.0.1", "127.0.0.1:443"},
		{"[::1]:8443", "[::1]:8443"},
		{"::1", "[::1]:443"},
		{"[::1]", "[::1]:443"},
		{"https://[::1]:9/", "[::1]:9"},
		{"bücher.test", "xn--bcher-kva.test:443"},
	} {
		got, err := parseCheckTarget(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("parseCheckTarget(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "http://x.test", "ftp://x.test", "https://", "https://x.test:", "x.test:", "x.test:0", "x.test:65536", "x.test:+1", "x.test:08",
		"x.test/path", "https://u:p@x.test", "*.x.test", "me@x.test", "fe80::1%eth0", "[fe80::1%25eth0]:443", "a..b", "x.test:1:2", "x y"} {
		if got, err := parseCheckTarget(in); err == nil {
			t.Errorf("parseCheckTarget(%q) = %q, want an error", in, got)
		}
	}
}

func FuzzParseCheckTarget(f *testing.F) {
	for _, s := range []string{"https://x.test:8443/p?q#f", "x.test:443", "[::1]:1", "::1", "127.0.0.1", "bücher.test", "https://[fe80::1%25en0]/", "https://u@x/", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseCheckTarget(s)
		if err != nil {
			return
		}
		if got.Host == "" || got.Port == "" {
			t.Fatalf("parseCheckTarget(%q) = %+v: empty host or port", s, got)
		}
		// The canonical form parses again to itself, as HOST:PORT and as a URL.
		for _, again := range []string{got.String(), "https://" + got.String() + "/"} {
			g, err := parseCheckTarget(again)
			if err != nil || g != got {
				t.Fatalf("parseCheckTarget(%q) = %+v, but %q parses to %+v, %v", s, got, again, g, err)
			}
		}
	})
}
