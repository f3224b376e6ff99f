//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// firefoxPrefs keep a test profile offline and quiet, and let Marionette
// pick a free port and write it to the profile's MarionetteActivePort.
// network.dns.forceResolve sends every name to 127.0.0.1, which is how the
// forged evil.com leaf is reached.
const firefoxPrefs = `user_pref("marionette.port", 0);
user_pref("network.dns.forceResolve", "127.0.0.1");
user_pref("network.proxy.type", 0);
user_pref("network.trr.mode", 5);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("security.OCSP.enabled", 0);
user_pref("security.certerrors.mitm.priming.enabled", false);
user_pref("security.enterprise_roots.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("app.update.disabledForTesting", true);
user_pref("app.normandy.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("extensions.update.enabled", false);
`

// startFirefox trusts the root in a fresh profile's NSS database, as a user
// importing it in Firefox's settings would, starts one headless Firefox and
// drives it over Marionette for every verdict.
func startFirefox(t *testing.T, ca *vouchCA) session {
	home := newHome(t)
	env := sandboxEnv(home, "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_HEADLESS=1")
	profile := filepath.Join(home, "profile")
	newNSSDB(t, env, profile, ca)
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(firefoxPrefs), 0o644); err != nil {
		t.Fatal(err)
	}
	ff := launchFirefox(t, env, profile)
	run := func(insecure bool) probe {
		return func(ctx context.Context, tg target) (outcome, error) {
			return firefoxLoad(ctx, ff, tg, insecure)
		}
	}
	// Firefox will not let anyone click through a name-constraint
	// violation (it is not an overridable error), so its control loads
	// the target's self-signed twin instead.
	control := func(ctx context.Context, tg target) (outcome, error) {
		if tg.twin == nil {
			return outcome{}, fmt.Errorf("no self-signed twin for %s", tg.url())
		}
		return run(true)(ctx, *tg.twin)
	}
	return session{check: run(false), control: control}
}

// certErrorScript asks Firefox's certificate error page which NSS or
// mozilla::pkix error it shows, and whether a user could override it.
const certErrorScript = `const info = document.getFailedCertSecurityInfo();
return info.errorCodeString + (info.overridableErrorCategory === "unset" ? " (not overridable)" : "");`

// certErrorCode is the error code on the certificate error page Firefox is
// showing, or "insecure certificate" if the page will not say.
func (ff *firefox) certErrorCode(ctx context.Context) string {
	raw, err := ff.m.call(ctx, "WebDriver:ExecuteScript", map[string]any{"script": certErrorScript, "args": []any{}})
	var v struct{ Value string }
	if err != nil || json.Unmarshal(raw, &v) != nil || v.Value == "" {
		return "insecure certificate"
	}
	return v.Value
}

// firefox is one running Firefox and its Marionette session.
type firefox struct {
	m        *marionette
	session  bool
	insecure bool // whether the session accepts insecure certificates
}

// useSession makes sure the open session accepts insecure certificates
// exactly when insecure is set, replacing it if not.
func (ff *firefox) useSession(ctx context.Context, insecure bool) error {
	if ff.session && ff.insecure == insecure {
		return nil
	}
	if ff.session {
		if _, err := ff.m.call(ctx, "WebDriver:DeleteSession", nil); err != nil {
			return err
		}
		ff.session = false
	}
	// Marionette takes the capabilities as the parameters themselves,
	// already matched (geckodriver's job when there is one).
	caps := map[string]any{
		"acceptInsecureCerts": insecure,
		"pageLoadStrategy":    "normal",
		"timeouts":            map[string]int{"pageLoad": 30000},
	}
	raw, err := ff.m.call(ctx, "WebDriver:NewSession", caps)
	if err != nil {
		return err
	}
	ff.session, ff.insecure = true, insecure
	var got struct {
		Capabilities struct {
			AcceptInsecureCerts bool `json:"acceptInsecureCerts"`
		} `json:"capabilities"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		return fmt.Errorf("marionette new session: %w", err)
	}
	if got.Capabilities.AcceptInsecureCerts != insecure {
		return fmt.Errorf("marionette new session: acceptInsecureCerts = %v, want %v", got.Capabilities.AcceptInsecureCerts, insecure)
	}
	return nil
}

// launchFirefox starts a headless Firefox on profile in its own process
// group and connects to its Marionette port. Cleanup asks it to quit, then
// kills its group.
func launchFirefox(t *testing.T, env []string, profile string) *firefox {
	t.Helper()
	cmd := exec.Command("firefox-esr", "--headless", "--marionette", "--no-remote", "-profile", profile, "about:blank")
	cmd.Env = env
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("failed to start firefox-esr: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ff := &firefox{}
	t.Cleanup(func() {
		if ff.m != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, _ = ff.m.call(ctx, "Marionette:Quit", map[string]any{"flags": []string{"eForceQuit"}})
			cancel()
			ff.m.conn.Close()
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
		// Firefox's content processes share its group; end any left over.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
	})

	portFile := filepath.Join(profile, "MarionetteActivePort")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if data, err := os.ReadFile(portFile); err == nil && len(bytes.TrimSpace(data)) > 0 {
			port := strings.TrimSpace(string(data))
			m, err := dialMarionette(net.JoinHostPort("127.0.0.1", port))
			if err != nil {
				t.Fatalf("firefox marionette on port %s: %v\n%s", port, err, output.String())
			}
			ff.m = m
			return ff
		}
		select {
		case err := <-exited:
			t.Fatalf("firefox-esr exited before Marionette listened: %v\n%s", err, output.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("firefox-esr wrote no %s within 90s\n%s", portFile, output.String())
		}
	}
}

// marionette speaks Firefox's remote protocol: each message is its JSON
// length in decimal, a colon, and the JSON. Commands are
// [0, id, name, params]; replies are [1, id, error, result].
type marionette struct {
	conn net.Conn
	r    *bufio.Reader
	id   int
}

// marionetteError is an error Firefox returned for a command, with the
// WebDriver error code ("insecure certificate", "unknown error", …).
type marionetteError struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *marionetteError) Error() string { return e.Code + ": " + e.Message }

func dialMarionette(addr string) (*marionette, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	m := &marionette{conn: conn, r: bufio.NewReader(conn)}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	hello, err := m.read()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("failed to read marionette greeting: %w", err)
	}
	var h struct {
		ApplicationType    string `json:"applicationType"`
		MarionetteProtocol int    `json:"marionetteProtocol"`
	}
	if err := json.Unmarshal(hello, &h); err != nil || h.MarionetteProtocol < 3 {
		conn.Close()
		return nil, fmt.Errorf("unexpected marionette greeting %q", hello)
	}
	return m, nil
}

func (m *marionette) read() ([]byte, error) {
	lenText, err := m.r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(lenText, ":"))
	if err != nil || n < 0 || n > 64<<20 {
		return nil, fmt.Errorf("bad marionette frame length %q", lenText)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(m.r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// call sends one command and waits for its reply.
func (m *marionette) call(ctx context.Context, name string, params any) (json.RawMessage, error) {
	if params == nil {
		params = map[string]any{}
	}
	m.id++
	msg, err := json.Marshal([]any{0, m.id, name, params})
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(60 * time.Second)
	}
	_ = m.conn.SetDeadline(deadline)
	if _, err := fmt.Fprintf(m.conn, "%d:%s", len(msg), msg); err != nil {
		return nil, fmt.Errorf("marionette %s: %w", name, err)
	}
	for {
		frame, err := m.read()
		if err != nil {
			return nil, fmt.Errorf("marionette %s: %w", name, err)
		}
		var reply []json.RawMessage
		if err := json.Unmarshal(frame, &reply); err != nil || len(reply) != 4 {
			return nil, fmt.Errorf("marionette %s: malformed reply %q", name, frame)
		}
		var kind, id int
		if json.Unmarshal(reply[0], &kind) != nil || json.Unmarshal(reply[1], &id) != nil {
			return nil, fmt.Errorf("marionette %s: malformed reply %q", name, frame)
		}
		if kind != 1 || id != m.id {
			continue
		}
		if string(reply[2]) != "null" {
			merr := &marionetteError{}
			if err := json.Unmarshal(reply[2], merr); err != nil {
				return nil, fmt.Errorf("marionette %s: malformed error %q", name, reply[2])
			}
			return nil, merr
		}
		return reply[3], nil
	}
}
