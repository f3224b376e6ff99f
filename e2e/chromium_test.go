//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startChromium trusts the root the way a Linux desktop user does, in the
// NSS database under $HOME/.pki/nssdb, starts one headless Chromium and
// opens a fresh tab for every verdict, driving it over the DevTools
// protocol on a pipe.
func startChromium(t *testing.T, ca *vouchCA) session {
	home := newHome(t)
	env := sandboxEnv(home)
	newNSSDB(t, env, filepath.Join(home, ".pki", "nssdb"), ca)
	netLog := filepath.Join(home, "netlog.json")
	cr := launchChromium(t, env, filepath.Join(home, "profile"), netLog)

	run := func(ctx context.Context, tg target) (outcome, error) {
		return cr.load(ctx, tg)
	}
	ignoring := false
	control := func(ctx context.Context, tg target) (outcome, error) {
		if !ignoring {
			params := map[string]any{"ignore": true}
			if _, err := cr.call(ctx, "", "Security.setIgnoreCertificateErrors", params); err != nil {
				return outcome{}, err
			}
			ignoring = true
		}
		return cr.load(ctx, tg)
	}
	explain := func(targets []target, outs []outcome) {
		// The net log is whole only once the browser has quit.
		cr.quit()
		why := netLogPathErrors(netLog)
		for i, tg := range targets {
			if r := why[string(tg.leaf.cert.Raw)]; r != "" && !outs[i].accepted {
				outs[i].detail += " (" + r + ")"
			}
		}
	}
	return session{check: run, control: control, explain: explain}
}

// chromium is one running headless Chromium and its DevTools pipe.
type chromium struct {
	cmd    *exec.Cmd
	exited chan error
	output *bytes.Buffer
	toCR   *os.File      // Chromium reads commands from its fd 3
	fromCR *bufio.Reader // and writes replies and events to its fd 4
	pipe   *os.File
	id     int
	done   bool
}

// launchChromium starts Chromium in its own process group. Cleanup (or
// quit) closes it and kills what is left of the group.
func launchChromium(t *testing.T, env []string, profile, netLog string) *chromium {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
		"--user-data-dir=" + profile,
		// Every name the targets use goes to the local servers.
		"--host-resolver-rules=MAP evil.com 127.0.0.1, MAP localhost 127.0.0.1",
		"--log-net-log=" + netLog,
		"about:blank",
	}
	cmd := exec.Command("chromium", args...)
	cmd.Env = env
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{cmdR, evW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("failed to start chromium: %v", err)
	}
	cmdR.Close()
	evW.Close()
	cr := &chromium{cmd: cmd, exited: make(chan error, 1), output: out, toCR: cmdW, fromCR: bufio.NewReader(evR), pipe: evR}
	go func() { cr.exited <- cmd.Wait() }()
	t.Cleanup(cr.quit)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := cr.call(ctx, "", "Browser.getVersion", nil); err != nil {
		t.Fatalf("chromium DevTools pipe: %v\n%s", err, out.String())
	}
	return cr
}

// quit asks the browser to close, so it finishes its net log, and then
// ends its process group.
func (cr *chromium) quit() {
	if cr.done {
		return
	}
	cr.done = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, _ = cr.call(ctx, "", "Browser.close", nil)
	cancel()
	select {
	case <-cr.exited:
	case <-time.After(15 * time.Second):
	}
	_ = syscall.Kill(-cr.cmd.Process.Pid, syscall.SIGKILL)
	cr.toCR.Close()
	cr.pipe.Close()
}

// cdpError is an error the DevTools protocol returned for a command.
type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *cdpError) Error() string { return fmt.Sprintf("devtools error %d: %s", e.Code, e.Message) }

// call sends one DevTools command (to the browser when sessionID is "",
// else to that attached tab) and waits for its reply, skipping events.
// Messages on the pipe are JSON, each ended by a NUL byte.
func (cr *chromium) call(ctx context.Context, sessionID, method string, params any) (json.RawMessage, error) {
	if params == nil {
		params = map[string]any{}
	}
	cr.id++
	msg := map[string]any{"id": cr.id, "method": method, "params": params}
	if sessionID != "" {
		msg["sessionId"] = sessionID
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(60 * time.Second)
	}
	_ = cr.toCR.SetWriteDeadline(deadline)
	_ = cr.pipe.SetReadDeadline(deadline)
	if _, err := cr.toCR.Write(append(data, 0)); err != nil {
		return nil, fmt.Errorf("devtools %s: %w", method, err)
	}
	for {
		frame, err := cr.fromCR.ReadBytes(0)
		if err != nil {
			return nil, fmt.Errorf("devtools %s: %w", method, err)
		}
		var reply struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *cdpError       `json:"error"`
		}
		if err := json.Unmarshal(frame[:len(frame)-1], &reply); err != nil {
			return nil, fmt.Errorf("devtools %s: malformed message %q", method, frame)
		}
		if reply.ID != cr.id {
			continue // an event, or a reply to a command given up on
		}
		if reply.Error != nil {
			return nil, reply.Error
		}
		return reply.Result, nil
	}
}

// load opens tg in a new tab. A navigation that fails with a certificate
// error is a rejection; the page showing the marker is an acceptance.
func (cr *chromium) load(ctx context.Context, tg target) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	raw, err := cr.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return outcome{}, err
	}
	var tab struct {
		TargetID string `json:"targetId"`
	}
	if err := json.Unmarshal(raw, &tab); err != nil {
		return outcome{}, err
	}
	defer func() { _, _ = cr.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": tab.TargetID}) }()
	raw, err = cr.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": tab.TargetID, "flatten": true})
	if err != nil {
		return outcome{}, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(raw, &attached); err != nil {
		return outcome{}, err
	}
	raw, err = cr.call(ctx, attached.SessionID, "Page.navigate", map[string]any{"url": tg.url()})
	if err != nil {
		return outcome{}, err
	}
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := json.Unmarshal(raw, &nav); err != nil {
		return outcome{}, err
	}
	if strings.HasPrefix(nav.ErrorText, "net::ERR_CERT_") {
		return outcome{detail: nav.ErrorText}, nil
	}
	if nav.ErrorText != "" {
		return outcome{}, fmt.Errorf("chromium could not load %s: %s", tg.url(), nav.ErrorText)
	}
	// The navigation has committed; the page may still be arriving.
	var html string
	for {
		raw, err := cr.call(ctx, attached.SessionID, "Runtime.evaluate", map[string]any{
			"expression": "document.documentElement.outerHTML", "returnByValue": true,
		})
		if err != nil {
			return outcome{}, err
		}
		var ev struct {
			Result struct {
				Value string `json:"value"`
			} `json:"result"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			return outcome{}, err
		}
		html = ev.Result.Value
		if strings.Contains(html, tg.marker) {
			return outcome{accepted: true}, nil
		}
		select {
		case <-ctx.Done():
			return outcome{}, fmt.Errorf("chromium loaded %s but the page lacks marker %q:\n%s", tg.url(), tg.marker, html)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// netLogPathErrors reads Chromium's net log and returns, for each leaf
// certificate (keyed by its DER) that Chromium failed to verify, the path
// builder's own reasons, which the net error alone does not give. It
// returns nothing if the log is missing or incomplete.
func netLogPathErrors(path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var log struct {
		Events []struct {
			Source struct {
				ID int `json:"id"`
			} `json:"source"`
			Params struct {
				Certificates []string `json:"certificates"`
				Errors       string   `json:"errors"`
			} `json:"params"`
		} `json:"events"`
	}
	if json.Unmarshal(data, &log) != nil {
		return nil
	}
	leafOf := map[int]string{}    // verification job -> leaf DER
	reasons := map[int][]string{} // verification job -> errors
	for _, e := range log.Events {
		if len(e.Params.Certificates) > 0 {
			if b, _ := pem.Decode([]byte(e.Params.Certificates[0])); b != nil {
				leafOf[e.Source.ID] = string(b.Bytes)
			}
		}
		for _, line := range strings.Split(e.Params.Errors, "\n") {
			line = strings.TrimSpace(line)
			if r, ok := strings.CutPrefix(line, "ERROR: "); ok && !slices.Contains(reasons[e.Source.ID], r) {
				reasons[e.Source.ID] = append(reasons[e.Source.ID], r)
			}
		}
	}
	out := map[string]string{}
	for id, rs := range reasons {
		if leaf, ok := leafOf[id]; ok {
			out[leaf] = strings.Join(rs, "; ")
		}
	}
	return out
}
