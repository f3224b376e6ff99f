//go:build linux

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// target is one thing a client is asked to trust: a server, the name the
// client asks it for, and the chain that server presents.
type target struct {
	host   string // the name the client connects to
	port   string
	marker string // on the page only that server serves
	leaf   *leaf
	// twin serves a self-signed leaf with the same names, for a browser
	// that will not let anyone click through the real leaf's error.
	twin *target
}

func (tg target) url() string { return "https://" + net.JoinHostPort(tg.host, tg.port) + "/" }

func (tg target) isIP() bool { return net.ParseIP(tg.host) != nil }

// outcome is a client's verdict on a target.
type outcome struct {
	accepted bool
	detail   string // why, for a rejection; the client's own words
}

// probe asks one client about one target. It returns an error when the
// probe could not give a verdict (the program failed to run, the connection
// failed, the page lacked the marker): a broken probe never counts as a
// rejection.
type probe func(ctx context.Context, tg target) (outcome, error)

// client is a real TLS client, set up to trust only the vouch root.
type client struct {
	name  string
	tools []tool
	// start prepares the client's trust store for the root in a temp HOME.
	start func(t *testing.T, ca *vouchCA) session
	// controlLabel says what the session's control probe does.
	controlLabel string
}

// session is a client ready to give verdicts.
type session struct {
	check probe
	// control, for browsers, loads a target with certificate errors
	// ignored: it must show the page, which proves that a rejection by
	// check came from the certificate and not from a probe that cannot
	// reach or read the page.
	control probe
	// explain, if set, runs once every probe is done and may add the
	// client's own reasons to the details of rejections.
	explain func(targets []target, outs []outcome)
}

var (
	toolOpenSSL  = tool{"openssl", "openssl"}
	toolCurl     = tool{"curl", "curl"}
	toolPython   = tool{"python3", "python3"}
	toolNode     = tool{"node", "nodejs"}
	toolJava     = tool{"java", "openjdk-17-jre-headless"}
	toolJavac    = tool{"javac", "openjdk-17-jdk-headless"}
	toolKeytool  = tool{"keytool", "openjdk-17-jre-headless"}
	toolCertutil = tool{"certutil", "libnss3-tools"}
	toolChromium = tool{"chromium", "chromium"}
	toolFirefox  = tool{"firefox-esr", "firefox-esr"}
)

func clients() []client {
	return []client{
		{name: "openssl verify", tools: []tool{toolOpenSSL}, start: startOpenSSLVerify},
		{name: "openssl s_client", tools: []tool{toolOpenSSL}, start: startOpenSSLClient},
		{name: "curl", tools: []tool{toolCurl}, start: startCurl},
		{name: "go", start: startGo},
		{name: "python", tools: []tool{toolPython}, start: startPython},
		{name: "node", tools: []tool{toolNode}, start: startNode},
		{name: "java", tools: []tool{toolJava, toolJavac, toolKeytool}, start: startJava},
		{name: "chromium", tools: []tool{toolChromium, toolCertutil}, start: startChromium,
			controlLabel: "(cert errors ignored)"},
		{name: "firefox", tools: []tool{toolFirefox, toolCertutil}, start: startFirefox,
			controlLabel: "(self-signed twin, cert errors ignored)"},
	}
}

// newHome makes an empty HOME for one client.
func newHome(t *testing.T) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

// testdata is the absolute path of a file in testdata/.
func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mustRun runs a setup command that has to succeed.
func mustRun(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	res, err := runCmd(context.Background(), env, "", 2*time.Minute, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	if res.exitCode != 0 {
		t.Fatalf("%s %q = exit %d, want 0\n%v", name, args, res.exitCode, res)
	}
}

// accepted checks that a client which exited 0 really fetched the page.
func accepted(tg target, res result) (outcome, error) {
	if !strings.Contains(res.stdout, tg.marker) {
		return outcome{}, fmt.Errorf("exit 0 but the page lacks marker %q\n%v", tg.marker, res)
	}
	return outcome{accepted: true}, nil
}

// firstMatch is the first line of s matching re, or all of s trimmed.
func firstMatch(re *regexp.Regexp, s string) string {
	if m := re.FindString(s); m != "" {
		return strings.TrimSpace(m)
	}
	return strings.TrimSpace(s)
}

// hostCheck is openssl's flag that checks the target's name against the leaf.
func hostCheck(tg target) []string {
	if tg.isIP() {
		return []string{"-verify_ip", tg.host}
	}
	return []string{"-verify_hostname", tg.host}
}

var opensslVerifyError = regexp.MustCompile(`(?m)^error \d+ at \d+ depth lookup: .*$`)

func startOpenSSLVerify(t *testing.T, ca *vouchCA) session {
	env := sandboxEnv(newHome(t))
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		args := []string{"verify", "-no-CApath", "-no-CAstore", "-CAfile", ca.rootFile,
			"-untrusted", ca.interFile, "-purpose", "sslserver"}
		args = append(append(args, hostCheck(tg)...), tg.leaf.leafFile)
		res, err := runCmd(ctx, env, "", time.Minute, "openssl", args...)
		switch {
		case err != nil:
			return outcome{}, err
		case res.exitCode == 0 && strings.Contains(res.stdout, ": OK"):
			return outcome{accepted: true}, nil
		case res.exitCode != 0 && opensslVerifyError.MatchString(res.stdout+res.stderr):
			return outcome{detail: firstMatch(opensslVerifyError, res.stdout+res.stderr)}, nil
		}
		return outcome{}, fmt.Errorf("openssl verify gave no verdict\n%v", res)
	}}
}

var sClientVerifyError = regexp.MustCompile(`(?m)^verify error:.*$`)

func startOpenSSLClient(t *testing.T, ca *vouchCA) session {
	env := sandboxEnv(newHome(t))
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		args := []string{"s_client", "-connect", net.JoinHostPort("127.0.0.1", tg.port),
			"-verify_return_error", "-no-CApath", "-no-CAstore", "-CAfile", ca.rootFile, "-ign_eof"}
		if !tg.isIP() {
			args = append(args, "-servername", tg.host)
		}
		args = append(args, hostCheck(tg)...)
		req := "GET / HTTP/1.0\r\nHost: " + tg.host + "\r\n\r\n"
		res, err := runCmd(ctx, env, req, time.Minute, "openssl", args...)
		switch {
		case err != nil:
			return outcome{}, err
		case res.exitCode == 0 && strings.Contains(res.stdout, "Verify return code: 0 (ok)"):
			return accepted(tg, res)
		case res.exitCode != 0 && sClientVerifyError.MatchString(res.stdout+res.stderr):
			return outcome{detail: firstMatch(sClientVerifyError, res.stdout+res.stderr)}, nil
		}
		return outcome{}, fmt.Errorf("openssl s_client gave no verdict\n%v", res)
	}}
}

// curlPeerFailedVerification is curl's exit code for a certificate it does
// not trust (CURLE_PEER_FAILED_VERIFICATION).
const curlPeerFailedVerification = 60

func startCurl(t *testing.T, ca *vouchCA) session {
	home := newHome(t)
	env := sandboxEnv(home)
	// curl adds its built-in CA path to --cacert unless told another one;
	// an empty one leaves the vouch root the only anchor.
	emptyCAPath := filepath.Join(home, "no-capath")
	if err := os.Mkdir(emptyCAPath, 0o700); err != nil {
		t.Fatal(err)
	}
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		return curlVerdict(ctx, env, tg, "127.0.0.1", "--cacert", ca.rootFile, "--capath", emptyCAPath)
	}}
}

// curlVerdict asks curl for tg, connecting to addr whatever the name, with
// trust as the trust arguments (none: the system store).
func curlVerdict(ctx context.Context, env []string, tg target, addr string, trust ...string) (outcome, error) {
	args := append([]string{"--silent", "--show-error", "--noproxy", "*", "--max-time", "30"}, trust...)
	if !tg.isIP() {
		args = append(args, "--resolve", tg.host+":"+tg.port+":"+addr)
	}
	res, err := runCmd(ctx, env, "", time.Minute, "curl", append(args, tg.url())...)
	switch {
	case err != nil:
		return outcome{}, err
	case res.exitCode == 0:
		return accepted(tg, res)
	case res.exitCode == curlPeerFailedVerification:
		return outcome{detail: firstLine(strings.TrimSpace(res.stderr))}, nil
	}
	return outcome{}, fmt.Errorf("curl gave no verdict\n%v", res)
}

func startGo(t *testing.T, ca *vouchCA) session {
	roots := x509.NewCertPool()
	roots.AddCert(ca.root)
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		var dialer net.Dialer
		tr := &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", tg.port))
			},
			DisableKeepAlives: true,
		}
		defer tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.url(), nil)
		if err != nil {
			return outcome{}, err
		}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		var verr *tls.CertificateVerificationError
		if errors.As(err, &verr) {
			return outcome{detail: verr.Err.Error()}, nil
		}
		if err != nil {
			return outcome{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return outcome{}, err
		}
		return accepted(tg, result{stdout: string(body)})
	}}
}

// rejectLine is how the script probes in testdata report a rejection.
var rejectLine = regexp.MustCompile(`(?m)^REJECT .*$`)

// scriptVerdict reads the exit-code convention the testdata probes share:
// 0 is accept, 3 is a certificate rejection, anything else is no verdict.
func scriptVerdict(name string, tg target, res result, err error) (outcome, error) {
	switch {
	case err != nil:
		return outcome{}, err
	case res.exitCode == 0:
		return accepted(tg, res)
	case res.exitCode == 3 && rejectLine.MatchString(res.stdout):
		return outcome{detail: strings.TrimPrefix(firstMatch(rejectLine, res.stdout), "REJECT ")}, nil
	}
	return outcome{}, fmt.Errorf("%s gave no verdict\n%v", name, res)
}

func startPython(t *testing.T, ca *vouchCA) session {
	env := sandboxEnv(newHome(t))
	script := testdata(t, "probe.py")
	// Ask python3 for the interpreter behind it once: a version manager's
	// shim in PATH (pyenv) costs seconds a run.
	res, err := runCmd(context.Background(), env, "", time.Minute, "python3", "-c", "import sys; print(sys.executable)")
	if err != nil || res.exitCode != 0 {
		t.Fatalf("python3 -c 'print(sys.executable)' = %v, %v", err, res)
	}
	python := strings.TrimSpace(res.stdout)
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		res, err := runCmd(ctx, env, "", time.Minute, python, script, tg.url(), "127.0.0.1", ca.rootFile)
		return scriptVerdict("python3", tg, res, err)
	}}
}

func startNode(t *testing.T, ca *vouchCA) session {
	env := sandboxEnv(newHome(t), "NODE_EXTRA_CA_CERTS="+ca.rootFile)
	script := testdata(t, "probe.js")
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		res, err := runCmd(ctx, env, "", time.Minute, "node", script, tg.url(), "127.0.0.1")
		return scriptVerdict("node", tg, res, err)
	}}
}

func startJava(t *testing.T, ca *vouchCA) session {
	home := newHome(t)
	env := sandboxEnv(home)
	store := filepath.Join(home, "vouch-trust.p12")
	mustRun(t, env, "keytool", "-importcert", "-noprompt", "-storetype", "PKCS12", "-keystore", store,
		"-storepass", "changeit", "-alias", "vouch", "-file", ca.rootFile)
	classes := filepath.Join(home, "classes")
	mustRun(t, env, "javac", "-d", classes, testdata(t, "Probe.java"))
	// Java resolves names through this file instead of the system's, so the
	// forged evil.com leaf can be served from 127.0.0.1.
	hosts := filepath.Join(home, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost evil.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return session{check: func(ctx context.Context, tg target) (outcome, error) {
		res, err := runCmd(ctx, env, "", time.Minute, "java",
			"-XX:TieredStopAtLevel=1",
			"-Djavax.net.ssl.trustStore="+store,
			"-Djavax.net.ssl.trustStorePassword=changeit",
			"-Djavax.net.ssl.trustStoreType=PKCS12",
			"-Djdk.net.hosts.file="+hosts,
			"-cp", classes, "Probe", tg.url())
		return scriptVerdict("java", tg, res, err)
	}}
}

// newNSSDB makes an NSS database in dir trusting root as a TLS server CA,
// the way a user (or vouch install) adds a root to Chromium or Firefox.
func newNSSDB(t *testing.T, env []string, dir string, ca *vouchCA) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := "sql:" + dir
	mustRun(t, env, "certutil", "-N", "-d", db, "--empty-password")
	mustRun(t, env, "certutil", "-A", "-d", db, "-t", "C,,", "-n", "vouch-e2e", "-i", ca.rootFile)
}
