//go:build linux

package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vouchdev/vouch/internal/nstest"
)

// The names of the story in the README ("Handing trust to other people"),
// under .test so that nothing here can reach a real server.
const (
	storyHost = "photos.alice.test"
	bankHost  = "www.bank.example"
)

// TestOwnerFriendStory plays the README's story end to end in one
// namespace, with the real Debian system store and the friend's Firefox
// profile: the owner makes a CA that may vouch only for photos.alice.test
// (never installed anywhere) and exports it; the friend refuses the root
// under a wrong fingerprint (every store and the friend's HOME unchanged),
// trusts it under the right one, taken from the owner's server, and then
// curl, openssl, Go, Python, Node, Java and Firefox accept the server;
// vouch check calls the owner's next leaf a routine renewal, another CA on
// the same name NOT TRUSTED (exit 3), and a leaf for a bank forged with
// the owner's issuing key NAME NOT PERMITTED (exit 4), which every client
// rejects too.
func TestOwnerFriendStory(t *testing.T) {
	debianStoreTest(t, "runs update-ca-certificates, Firefox and real clients")
	requireTools(t, toolCurl, toolOpenSSL, toolPython, toolNode, toolJava, toolJavac, toolFirefox, toolCertutil)
	nstest.Run(t, func(t *testing.T, env *nstest.Env) {
		base := t.TempDir()
		homeA, homeC := filepath.Join(base, "alice"), filepath.Join(base, "mallory")
		for _, d := range []string{homeA, homeC} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		caA, caC := filepath.Join(base, "alice-ca"), filepath.Join(base, "mallory-ca")
		owner := &sysHost{home: homeA, extra: []string{"XDG_STATE_HOME=" + filepath.Join(homeA, ".local", "state")}}
		attacker := &sysHost{home: homeC, extra: []string{"XDG_STATE_HOME=" + filepath.Join(homeC, ".local", "state")}}
		friend := &sysHost{home: env.Home}
		if err := env.SetHosts("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 " + storyHost + " " + bankHost + "\n"); err != nil {
			t.Fatal(err)
		}
		t.Logf("/etc/hosts in the namespace: 127.0.0.1 %s %s", storyHost, bankHost)

		// 1. The owner makes a CA for photos.alice.test alone and a leaf
		// whose file ends with the root, installs nothing, and exports.
		storesBefore := storySnapshot(t, env)
		leaf1 := storyIssue(t, owner, caA, "alice-1", "--only", "--permit", storyHost, "--chain-with-root")
		leafC := storyIssue(t, attacker, caC, "mallory-1", "--only", "--permit", storyHost, "--chain-with-root")
		if d := nstest.Diff(storesBefore, storySnapshot(t, env)); d != "" {
			t.Fatalf("vouch cert (no install) changed the trust stores or the friend's HOME:\n%s", d)
		}
		rootA := readOneCert(t, filepath.Join(caA, "rootCA.pem"))
		rootC := readOneCert(t, filepath.Join(caC, "rootCA.pem"))
		exp := storyExport(t, owner, caA, filepath.Join(homeA, "invite"))
		if exp.Fingerprint.Hex != sha256Hex(rootA.Raw) {
			t.Fatalf("export fingerprint %s, want the SHA-256 of %s/rootCA.pem, %s", exp.Fingerprint.Hex, caA, sha256Hex(rootA.Raw))
		}
		if !slices.Equal(exp.Permits.Domains, []string{storyHost}) || len(exp.Permits.IPRanges) != 0 {
			t.Fatalf("export permits %+v, want only %s", exp.Permits, storyHost)
		}
		srv := serveSwappable(t, leaf1)
		tg := target{host: storyHost, port: srv.port, marker: srv.marker, leaf: leaf1}
		hostPort := net.JoinHostPort(storyHost, srv.port)
		t.Logf("the owner's server: https://%s/ (serving %s)", hostPort, describeLeaf(leaf1))

		// The friend's clients, Firefox with a profile it made and has
		// opened once (which makes its certificate database), all before
		// the snapshot: they write to the friend's HOME.
		clients := systemClients(t, friend)
		// Java resolves names through the hosts file systemClients wrote,
		// not /etc/hosts; it must know the story's names too.
		if err := os.WriteFile(filepath.Join(friend.home, "java-hosts"), []byte("127.0.0.1 localhost "+storyHost+" "+bankHost+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ffEnv := sandboxEnv(env.Home, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1")
		mozRoot := filepath.Join(env.Home, ".mozilla", "firefox")
		if err := os.MkdirAll(mozRoot, 0o700); err != nil {
			t.Fatal(err)
		}
		profile := createFirefoxProfile(t, ffEnv, mozRoot, "friend")
		firefoxPhase(t, ffEnv, "firefox before trust", tg, false, profile)
		expectVerdicts(t, "before trust", clients, []target{tg}, false)

		// 2. A wrong fingerprint (the other CA's): refused, nothing changed.
		before := storySnapshot(t, env)
		wrong := voiceHex(sha256Hex(rootC.Raw))
		res := friend.vouch(t, "trust", hostPort, "--fingerprint", wrong, "--name", "alice")
		if res.exitCode != 1 || !strings.Contains(res.stderr, "nothing was installed") ||
			!strings.Contains(res.stderr, wrong) || !strings.Contains(res.stderr, exp.Fingerprint.Voice) {
			t.Fatalf("trust with a wrong fingerprint = exit %d; want 1, \"nothing was installed\" and both fingerprints (%s, %s)", res.exitCode, wrong, exp.Fingerprint.Voice)
		}
		if d := nstest.Diff(before, storySnapshot(t, env)); d != "" {
			t.Fatalf("a refused trust changed the trust stores or the friend's HOME:\n%s", d)
		}
		t.Logf("after the refused trust every trust store and the friend's HOME are byte-identical (%d entries compared)", strings.Count(before, "\n")+1)

		// The right one, as the owner reads it aloud.
		res = friend.vouch(t, "trust", hostPort, "--fingerprint", exp.Fingerprint.Voice, "--name", "alice")
		if res.exitCode != 0 || !strings.Contains(res.stderr, "system: trusted now") || !strings.Contains(res.stderr, storyHost) {
			t.Fatalf("trust = exit %d; want 0, \"system: trusted now\" and %s", res.exitCode, storyHost)
		}
		checkInstalled(t, friend, rootA)
		expectVerdicts(t, "after trust", clients, []target{tg}, true)
		firefoxPhase(t, ffEnv, "firefox after trust", tg, true, profile)
		storyCheck(t, friend, "https://"+hostPort, 0, "TRUSTED", "first check of this server")

		// 3. The owner issues a new leaf; the server reloads it.
		leaf2 := storyIssue(t, owner, caA, "alice-2", "--chain-with-root")
		srv.set(leaf2)
		t.Logf("the server now serves %s", describeLeaf(leaf2))
		storyCheck(t, friend, "https://"+hostPort, 0, "TRUSTED", "routine renewal")
		expectVerdicts(t, "renewed leaf", clients, []target{{host: storyHost, port: srv.port, marker: srv.marker, leaf: leaf2}}, true)

		// 4. Another CA, permitted the same name, answers for it.
		srv.set(leafC)
		t.Logf("the server now serves %s", describeLeaf(leafC))
		storyCheck(t, friend, "https://"+hostPort, 3, "NOT TRUSTED", "different root")
		expectVerdicts(t, "another CA", clients, []target{{host: storyHost, port: srv.port, marker: srv.marker, leaf: leafC}}, false)

		// 5. A leaf for the bank, forged with the owner's issuing key.
		ca := &vouchCA{dir: caA, home: homeA}
		ca.load(t)
		forged := ca.forge(t, "bank", []string{bankHost}, nil, nil)
		srv.set(forged)
		bank := target{host: bankHost, port: srv.port, marker: srv.marker, leaf: forged}
		t.Logf("the server now serves %s, signed with %s/intermediateCA-key.pem", describeLeaf(forged), caA)
		goInProcess(t, leaf1, forged, ca)
		expectVerdicts(t, "forged bank leaf", clients, []target{bank}, false)
		t.Run("firefox forged bank leaf", func(t *testing.T) {
			ff := launchFirefox(t, ffEnv, profile)
			out, err := firefoxLoad(t.Context(), ff, bank, false)
			if err != nil {
				t.Fatalf("firefox %s: %v", bank.url(), err)
			}
			t.Logf("firefox %s: accepted %v (%s)", bank.url(), out.accepted, out.detail)
			if out.accepted || !strings.HasPrefix(out.detail, "SEC_ERROR_CERT_NOT_IN_NAME_SPACE") {
				t.Errorf("firefox on the forged leaf: accepted %v (%s), want a rejection with SEC_ERROR_CERT_NOT_IN_NAME_SPACE", out.accepted, out.detail)
			}
		})
		storyCheck(t, friend, bank.url(), 4, "NAME NOT PERMITTED", bankHost)
	})
}

// storySnapshot lists every trust store the namespace copied, /etc/pki,
// and the friend's HOME.
func storySnapshot(t *testing.T, env *nstest.Env) string {
	t.Helper()
	paths := append(slices.Clone(env.Paths), env.Home)
	if !slices.Contains(paths, "/etc/pki") {
		paths = append(paths, "/etc/pki")
	}
	s, err := nstest.Snapshot(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storyIssue runs vouch --caroot caroot cert for storyHost with flags.
func storyIssue(t *testing.T, h *sysHost, caroot, name string, flags ...string) *leaf {
	t.Helper()
	l := newLeafFiles(t, name)
	args := append([]string{"--caroot", caroot, "cert", "--cert-file", l.chainFile, "--key-file", l.keyFile}, flags...)
	res := h.vouch(t, append(args, storyHost)...)
	if res.exitCode != 0 {
		t.Fatalf("vouch cert = exit %d, want 0", res.exitCode)
	}
	l.load(t)
	chain := readCerts(t, l.chainFile)
	if len(chain) != 3 || !chain[2].Equal(readOneCert(t, filepath.Join(caroot, "rootCA.pem"))) {
		t.Fatalf("%s holds %d certificates, want 3 ending with %s/rootCA.pem (--chain-with-root)", l.chainFile, len(chain), caroot)
	}
	return l
}

// storyExportJSON is the part of vouch export --json the story reads.
type storyExportJSON struct {
	Label       string `json:"label"`
	RootFile    string `json:"root_file"`
	Fingerprint struct {
		Hex   string `json:"hex"`
		Voice string `json:"voice"`
		Words string `json:"words"`
	} `json:"fingerprint"`
	Permits struct {
		Domains  []string `json:"domains"`
		IPRanges []string `json:"ip_ranges"`
	} `json:"permits"`
	Command string `json:"command"`
}

func storyExport(t *testing.T, h *sysHost, caroot, out string) storyExportJSON {
	t.Helper()
	res := h.vouch(t, "--caroot", caroot, "export", "--out", out, "--name", "alice", "--json")
	if res.exitCode != 0 {
		t.Fatalf("vouch export = exit %d, want 0", res.exitCode)
	}
	var exp storyExportJSON
	if err := json.Unmarshal([]byte(res.stdout), &exp); err != nil {
		t.Fatalf("vouch export --json printed %q: %v", res.stdout, err)
	}
	if exp.Label != "alice" || exp.Fingerprint.Voice != voiceHex(exp.Fingerprint.Hex) {
		t.Fatalf("vouch export --json: label %q, voice %q; want alice and the hex %s in groups of four", exp.Label, exp.Fingerprint.Voice, exp.Fingerprint.Hex)
	}
	return exp
}

// storyCheck runs vouch check as h and wants the exit code and each
// string in its output.
func storyCheck(t *testing.T, h *sysHost, url string, wantCode int, want ...string) {
	t.Helper()
	res := h.vouch(t, "check", url)
	out := res.stdout + res.stderr
	if res.exitCode != wantCode {
		t.Errorf("vouch check %s = exit %d, want %d", url, res.exitCode, wantCode)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("vouch check %s printed no %q", url, w)
		}
	}
}

// goInProcess verifies, in this process, the owner's first leaf and the
// forged one against a pool read afresh from the system bundle (this
// process may have loaded Go's own system pool before the trust).
func goInProcess(t *testing.T, good, forged *leaf, ca *vouchCA) {
	t.Helper()
	data, err := os.ReadFile(debBundle)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("%s holds no certificate", debBundle)
	}
	inter := x509.NewCertPool()
	inter.AddCert(ca.inter)
	_, err = good.cert.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: storyHost})
	t.Logf("go (in process, roots from %s): %s leaf: %v", debBundle, storyHost, errOrOK(err))
	if err != nil {
		t.Errorf("go in process rejects the owner's leaf: %v", err)
	}
	_, err = forged.cert.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: bankHost})
	t.Logf("go (in process, roots from %s): forged %s leaf: %v", debBundle, bankHost, errOrOK(err))
	if err == nil || !strings.Contains(err.Error(), "constraint") {
		t.Errorf("go in process on the forged leaf = %v, want a name-constraint error", err)
	}
}

func errOrOK(err error) string {
	if err == nil {
		return "OK"
	}
	return err.Error()
}

// voiceHex is a hex fingerprint as vouch reads it aloud: uppercase, in
// groups of four.
func voiceHex(h string) string {
	h = strings.ToUpper(h)
	var groups []string
	for i := 0; i+4 <= len(h); i += 4 {
		groups = append(groups, h[i:i+4])
	}
	return strings.Join(groups, " ")
}

func describeLeaf(l *leaf) string {
	sum := sha256.Sum256(l.cert.Raw)
	return fmt.Sprintf("leaf for %v issued by %q (sha256 %s…)", l.cert.DNSNames, l.cert.Issuer.CommonName, hex.EncodeToString(sum[:6]))
}

// swapServer is a TLS server on 127.0.0.1 whose certificate can be
// replaced while it runs, as a server reloads its certificate file.
type swapServer struct {
	port   string
	marker string
	cert   atomic.Pointer[tls.Certificate]
}

func serveSwappable(t *testing.T, l *leaf) *swapServer {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	s := &swapServer{marker: "vouch-e2e-story-" + hex.EncodeToString(b)}
	s.set(l)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		fmt.Fprintf(w, "<!DOCTYPE html><title>%s</title><p>%s</p>\n", s.marker, s.marker)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		return s.cert.Load(), nil
	}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, s.port, err = net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *swapServer) set(l *leaf) {
	pair := l.pair
	s.cert.Store(&pair)
}
