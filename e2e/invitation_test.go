//go:build linux

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// exported is the part of `vouch export --json` these tests read.
type exported struct {
	RootFile    string `json:"root_file"`
	Fingerprint struct {
		Hex, Voice, Words string
	} `json:"fingerprint"`
	Command    string `json:"command"`
	Invitation struct {
		Text, HTML string
	} `json:"invitation"`
}

// artifactsDir is where a test keeps files for people to look at:
// $VOUCH_ARTIFACTS, else $VOUCH_E2E_ARTIFACTS, else a temp folder.
func artifactsDir(t *testing.T) string {
	for _, k := range []string{"VOUCH_ARTIFACTS", "VOUCH_E2E_ARTIFACTS"} {
		if d := os.Getenv(k); d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	return t.TempDir()
}

// vouchRun runs vouch with a sandboxed environment and fails the test on a
// non-zero exit.
func vouchRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	res, err := runCmd(context.Background(), env, "", 60*time.Second, vouchBin, args...)
	if err != nil || res.exitCode != 0 {
		t.Fatalf("vouch %s: %v\n%v", strings.Join(args, " "), err, res)
	}
	return res
}

// TestInvitationInChromium opens the exported invitation page in headless
// Chromium with networking cut off: the page must render (a screenshot,
// kept as a test artifact) and its DOM must carry the fingerprint in both
// spoken forms, and nothing in it may point outside.
func TestInvitationInChromium(t *testing.T) {
	requireTools(t, tool{"chromium", "chromium"})
	home := newHome(t)
	env := sandboxEnv(home)
	caDir := filepath.Join(home, "ca")
	out := filepath.Join(home, "invite")
	vouchRun(t, env, "--caroot", caDir, "--only", "--permit", "photos.alice.example", "--permit", "192.168.1.20",
		"--cert-file", filepath.Join(home, "leaf.pem"), "--key-file", filepath.Join(home, "leaf-key.pem"), "photos.alice.example")
	res := vouchRun(t, env, "--caroot", caDir, "export", "--out", out, "--name", "alice", "--json")
	var ex exported
	if err := json.Unmarshal([]byte(res.stdout), &ex); err != nil {
		t.Fatalf("export --json: %v\n%s", err, res.stdout)
	}
	html, err := os.ReadFile(ex.Invitation.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//)`).FindString(string(html)); m != "" {
		t.Errorf("the page points outside: %s", m)
	}
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url("} {
		if bytes.Contains(bytes.ToLower(html), []byte(bad)) {
			t.Errorf("the page has %q", bad)
		}
	}

	art := artifactsDir(t)
	shot := filepath.Join(art, "invitation.png")
	os.Remove(shot)
	pageURL := "file://" + ex.Invitation.HTML
	// No proxy and every host name unresolvable: a page that tried to
	// fetch anything would get nothing, and the DOM checks would show it.
	common := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
	}
	run := func(extra ...string) result {
		t.Helper()
		args := append(append(append([]string{}, common...), "--user-data-dir="+filepath.Join(home, "profile-"+extra[0][2:8])), extra...)
		args = append(args, pageURL)
		r, err := runCmd(context.Background(), env, "", 90*time.Second, "chromium", args...)
		if err != nil || r.exitCode != 0 {
			t.Fatalf("chromium %s: %v\n%v", strings.Join(args, " "), err, r)
		}
		return r
	}
	run("--screenshot="+shot, "--window-size=1000,3200", "--hide-scrollbars")
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", shot, err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 3200 {
		t.Errorf("screenshot is %dx%d, want 1000x3200", b.Dx(), b.Dy())
	}
	// A blank page is one colour; the invitation has text in several.
	colours := map[uint32]bool{}
	for y := 0; y < img.Bounds().Dy() && len(colours) < 3; y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r<<16^g<<8^b] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("the screenshot looks blank (%d colours)", len(colours))
	}
	t.Logf("screenshot of the invitation page: %s (%d bytes)", shot, len(data))

	dom := run("--dump-dom").stdout
	voice := strings.Split(ex.Fingerprint.Voice, " ")
	words := strings.Split(ex.Fingerprint.Words, " / ")
	for _, want := range []string{
		strings.Join(voice[:8], " "), strings.Join(voice[8:], " "),
		strings.Join(words[:4], " / "), strings.Join(words[4:], " / "),
		"photos.alice.example", "192.168.1.20/32", "vouch trust alice-root.crt --fingerprint",
		"Certificate Trust Settings", "certmgr.msc", "Trust this CA to identify websites",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q", want)
		}
	}
	if t.Failed() {
		os.WriteFile(filepath.Join(art, "invitation-dom.html"), []byte(dom), 0o644)
	}
}

// TestChainWithRootServed serves a --chain-with-root certificate file and
// checks a client receives leaf, intermediate and the exported root, so a
// friend can take the root from the server and compare its fingerprint.
func TestChainWithRootServed(t *testing.T) {
	home := newHome(t)
	env := sandboxEnv(home)
	caDir := filepath.Join(home, "ca")
	certFile, keyFile := filepath.Join(home, "leaf.pem"), filepath.Join(home, "leaf-key.pem")
	vouchRun(t, env, "--caroot", caDir, "--only", "--permit", "photos.alice.example",
		"--chain-with-root", "--cert-file", certFile, "--key-file", keyFile, "photos.alice.example")
	res := vouchRun(t, env, "--caroot", caDir, "export", "--out", filepath.Join(home, "invite"), "--server", "photos.alice.example:443", "--json")
	var ex exported
	if err := json.Unmarshal([]byte(res.stdout), &ex); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ex.Command, "vouch trust photos.alice.example:443 --fingerprint ") {
		t.Errorf("command = %q", ex.Command)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	// Like a friend before trusting anything: no verification, just look.
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, ServerName: "photos.alice.example"})
	if err != nil {
		t.Fatal(err)
	}
	peer := conn.ConnectionState().PeerCertificates
	conn.Close()
	if len(peer) != 3 {
		t.Fatalf("the server sent %d certificates, want leaf, intermediate, root", len(peer))
	}
	rootPEM, _ := os.ReadFile(ex.RootFile)
	b, _ := pem.Decode(rootPEM)
	if b == nil || !bytes.Equal(peer[2].Raw, b.Bytes) {
		t.Fatalf("the last certificate the server sent is not the exported root")
	}
	// With that root alone as anchor, the chain the server sent verifies.
	roots := x509.NewCertPool()
	roots.AddCert(peer[2])
	inter := x509.NewCertPool()
	inter.AddCert(peer[1])
	if _, err := peer[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "photos.alice.example"}); err != nil {
		t.Errorf("verify with the served root: %v", err)
	}
}
