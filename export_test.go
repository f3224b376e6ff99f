package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/certs"
)

// exportCA makes a CA in the test app's CA folder with the given cert flags.
func exportCA(t *testing.T, a *app, flags ...string) *certs.CA {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"cert", "--cert-file", filepath.Join(dir, "c.pem"), "--key-file", filepath.Join(dir, "k.pem")}, flags...)
	if code := a.run(args); code != exitOK {
		t.Fatalf("vouch %s = %d; stderr %s", strings.Join(args, " "), code, a.stderr)
	}
	ca, err := certs.Load(a.getenv("VOUCH_CAROOT"))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func sortedKeys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// TestExportJSONShape pins the documented --json shape and checks every
// value against the root itself.
func TestExportJSONShape(t *testing.T) {
	a, stdout, stderr := testApp(t, true)
	ca := exportCA(t, a, "--only", "--permit", "photos.alice.example", "--permit", "192.168.1.20", "photos.alice.example")
	out := filepath.Join(t.TempDir(), "invite")
	stdout.Reset()
	stderr.Reset()
	if code := a.run([]string{"export", "--out", out, "--name", "alice", "--json"}); code != exitOK {
		t.Fatalf("export --json = %d; stderr %s", code, stderr)
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("export of a --only CA warned: %s", stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("export --json is not JSON: %v\n%s", err, stdout)
	}
	if k := sortedKeys(got); k != "command,constrained,fingerprint,invitation,label,may_vouch_for,not_after,permits,root_file,source,subject" {
		t.Errorf("top-level keys = %s", k)
	}
	fp := got["fingerprint"].(map[string]any)
	if k := sortedKeys(fp); k != "hex,voice,words" {
		t.Errorf("fingerprint keys = %s", k)
	}
	sum := sha256.Sum256(ca.Root.Raw)
	wantHex := hex.EncodeToString(sum[:])
	if fp["hex"] != wantHex {
		t.Errorf("fingerprint.hex = %v, want %s", fp["hex"], wantHex)
	}
	for _, form := range []string{"voice", "words"} {
		s, _ := fp[form].(string)
		back, err := certs.ParseFingerprint(s)
		if err != nil || back.Hex() != wantHex {
			t.Errorf("fingerprint.%s %q parses back to %s, %v; want %s", form, s, back.Hex(), err, wantHex)
		}
	}
	if v := fp["voice"].(string); !regexp.MustCompile(`^([0-9A-F]{4} ){15}[0-9A-F]{4}$`).MatchString(v) {
		t.Errorf("fingerprint.voice = %q, want 16 groups of 4 hex digits", v)
	}
	if w := fp["words"].(string); len(strings.Fields(strings.ReplaceAll(w, "/", ""))) != 32 || strings.Count(w, " / ") != 7 {
		t.Errorf("fingerprint.words = %q, want 32 words in 8 groups", w)
	}
	permits := got["permits"].(map[string]any)
	if k := sortedKeys(permits); k != "domains,ip_ranges" {
		t.Errorf("permits keys = %s", k)
	}
	if d, r := permits["domains"].([]any), permits["ip_ranges"].([]any); len(d) != 1 || d[0] != "photos.alice.example" || len(r) != 1 || r[0] != "192.168.1.20/32" {
		t.Errorf("permits = %v", permits)
	}
	if got["constrained"] != true || got["label"] != "alice" || got["source"] != "alice-root.crt" {
		t.Errorf("constrained, label, source = %v, %v, %v", got["constrained"], got["label"], got["source"])
	}
	if got["not_after"] != ca.Root.NotAfter.UTC().Format(time.RFC3339) {
		t.Errorf("not_after = %v, want %s", got["not_after"], ca.Root.NotAfter.UTC().Format(time.RFC3339))
	}
	wantCmd := `vouch trust alice-root.crt --fingerprint "` + certs.FingerprintOf(ca.Root).Voice() + `" --name alice`
	if got["command"] != wantCmd {
		t.Errorf("command = %v\nwant      %s", got["command"], wantCmd)
	}
	if !strings.HasPrefix(got["may_vouch_for"].(string), "names under photos.alice.example ") {
		t.Errorf("may_vouch_for = %v", got["may_vouch_for"])
	}
	rootFile := got["root_file"].(string)
	if rootFile != filepath.Join(out, "alice-root.crt") {
		t.Errorf("root_file = %s", rootFile)
	}
	data, err := os.ReadFile(rootFile)
	if err != nil {
		t.Fatal(err)
	}
	if rootPEM, _ := os.ReadFile(filepath.Join(ca.Dir, certs.RootCertFile)); string(data) != string(rootPEM) {
		t.Errorf("%s differs from the CA's rootCA.pem", rootFile)
	}
	inv := got["invitation"].(map[string]any)
	if k := sortedKeys(inv); k != "html,text" {
		t.Errorf("invitation keys = %s", k)
	}
	for _, k := range []string{"text", "html"} {
		p := inv[k].(string)
		if filepath.Dir(p) != out {
			t.Errorf("invitation.%s = %s, want it in %s", k, p, out)
		}
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("invitation.%s %s: %v %v", k, p, st, err)
		}
	}
}

// TestInvitationFiles checks both invitations carry the same facts, every
// platform's steps, and that the page needs nothing from outside.
func TestInvitationFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		extra []string // more export flags
		want  []string // more text both files hold
	}{
		{"only", []string{"--only", "--permit", "photos.alice.example", "photos.alice.example"}, nil, []string{"photos.alice.example", "could not vouch for any other site", `--name alice`}},
		{"url", []string{"a.test"}, []string{"--url", "https://photos.alice.example/root.crt?v=2"}, []string{`vouch trust "https://photos.alice.example/root.crt?v=2" --fingerprint`}},
		{"server", []string{"a.test"}, []string{"--server", "photos.alice.example:8443"}, []string{"vouch trust photos.alice.example:8443 --fingerprint"}},
		{"unconstrained", []string{"--unconstrained", "a.test"}, nil, []string{"--allow-unconstrained", "no name constraints"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, stderr := testApp(t, true)
			ca := exportCA(t, a, tc.flags...)
			out := t.TempDir()
			if code := a.run(append([]string{"export", "--out", out, "--name", "alice"}, tc.extra...)); code != exitOK {
				t.Fatalf("export = %d; stderr %s", code, stderr)
			}
			fp := certs.FingerprintOf(ca.Root)
			voice := strings.Split(fp.Voice(), " ")
			words := strings.Split(fp.Words(), " / ")
			facts := append([]string{
				strings.Join(voice[:8], " "), strings.Join(voice[8:], " "),
				strings.Join(words[:4], " / "), strings.Join(words[4:], " / "),
				certs.GroupedFingerprint(ca.Root),
				ca.Root.NotAfter.UTC().Format("2 January 2006"),
				// Firefox, macOS, Windows, Android, iOS.
				"Trust this CA to identify websites", "Authorities", "Keychain Access", "Always Trust",
				"certmgr.msc", "Trusted Root Certification Authorities", "Encryption &", "Install a certificate",
				"CA certificate", "Certificate Trust Settings", "VPN &", "alice-root.crt",
			}, tc.want...)
			text, _ := os.ReadFile(filepath.Join(out, "alice-invitation.txt"))
			html, _ := os.ReadFile(filepath.Join(out, "alice-invitation.html"))
			unescaped := strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "<b>", "", "</b>", "", "<br>", "\n", "&lt;", "<", "&gt;", ">").Replace(string(html))
			for _, f := range facts {
				if !strings.Contains(string(text), f) {
					t.Errorf("the text invitation lacks %q", f)
				}
				if !strings.Contains(unescaped, f) {
					t.Errorf("the HTML invitation lacks %q", f)
				}
			}
			if !strings.Contains(string(text), string(certs.CertPEM(ca.Root.Raw))) {
				t.Errorf("the text invitation lacks the root PEM")
			}
			assertSelfContained(t, string(html))
			// The download link carries the root itself.
			m := regexp.MustCompile(`href="data:application/x-x509-ca-cert;base64,([A-Za-z0-9+/=]+)"`).FindStringSubmatch(string(html))
			if m == nil {
				t.Fatalf("no data: download link in the page")
			}
			der, _ := base64.StdEncoding.DecodeString(m[1])
			if b, _ := pem.Decode(der); b == nil || string(b.Bytes) != string(ca.Root.Raw) {
				t.Errorf("the download link does not hold the root")
			}
		})
	}
}

// assertSelfContained fails when a page would fetch anything.
func assertSelfContained(t *testing.T, html string) {
	t.Helper()
	for _, p := range externalRefs(html) {
		t.Errorf("the page is not self-contained: %s", p)
	}
}

// externalRefs lists what would make a page fetch something: http(s) or
// protocol-relative src/href, scripts, frames, images, external style
// sheets and CSS urls.
func externalRefs(html string) []string {
	var out []string
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//)`).FindString(html); m != "" {
		out = append(out, m)
	}
	for _, bad := range []string{"<script", "<link", "<iframe", "<img", "@import", "url("} {
		if strings.Contains(strings.ToLower(html), bad) {
			out = append(out, bad)
		}
	}
	return out
}

func TestExternalRefs(t *testing.T) {
	for _, page := range []string{`<img src="https://x.example/a.png">`, `<a href='http://x'>`, `<a HREF=//x.example/>`, `<style>@import "x.css";</style>`, `<script>1</script>`} {
		if len(externalRefs(page)) == 0 {
			t.Errorf("externalRefs(%q) found nothing", page)
		}
	}
	if r := externalRefs(`<a href="data:text/plain,https://x">https://x</a>`); len(r) != 0 {
		t.Errorf("a data: link and text were flagged: %v", r)
	}
}

func TestExportWarnsAndRefuses(t *testing.T) {
	t.Run("unconstrained", func(t *testing.T) {
		a, stdout, stderr := testApp(t, true)
		exportCA(t, a, "--unconstrained", "a.test")
		stderr.Reset()
		if code := a.run([]string{"export", "--out", t.TempDir()}); code != exitOK {
			t.Fatalf("export = %d; stderr %s", code, stderr)
		}
		if !strings.Contains(stderr.String(), "vouch: warning: this root has no name constraints: whoever trusts it can be shown a certificate for any site") ||
			!strings.Contains(stderr.String(), "vouch: hint: vouch --caroot NEW_FOLDER install --only --permit ") {
			t.Errorf("stderr = %s", stderr)
		}
		if !strings.Contains(stdout.String(), "--allow-unconstrained") {
			t.Errorf("the friend's command lacks --allow-unconstrained:\n%s", stdout)
		}
	})
	t.Run("expiring", func(t *testing.T) {
		a, stdout, stderr := testApp(t, true)
		ca := exportCA(t, a, "a.test")
		a.now = func() time.Time { return ca.Root.NotAfter.Add(-30 * 24 * time.Hour) }
		stderr.Reset()
		if code := a.run([]string{"export", "--out", t.TempDir()}); code != exitOK {
			t.Fatalf("export = %d; stderr %s", code, stderr)
		}
		if !strings.Contains(stderr.String(), "vouch: warning: this root expires on "+ca.Root.NotAfter.UTC().Format(time.DateOnly)+", in 30 days") ||
			!strings.Contains(stderr.String(), "vouch: hint: vouch rotate   (a new CA, trusted wherever this one is)\n") {
			t.Errorf("stderr = %s", stderr)
		}
		if !strings.Contains(stdout.String(), "(in 30 days)") {
			t.Errorf("stdout = %s", stdout)
		}
		// 91 days ahead: no warning.
		a.now = func() time.Time { return ca.Root.NotAfter.Add(-91 * 24 * time.Hour) }
		stderr.Reset()
		a.run([]string{"export", "--out", t.TempDir()})
		if strings.Contains(stderr.String(), "expires") {
			t.Errorf("91 days before expiry: %s", stderr)
		}
	})
	t.Run("expired", func(t *testing.T) {
		a, stdout, stderr := testApp(t, true)
		ca := exportCA(t, a, "a.test")
		a.now = func() time.Time { return ca.Root.NotAfter.Add(time.Hour) }
		stdout.Reset()
		stderr.Reset()
		out := filepath.Join(t.TempDir(), "inv")
		if code := a.run([]string{"export", "--out", out}); code != exitFail {
			t.Fatalf("export of an expired root = %d, want 1", code)
		}
		if stdout.Len() != 0 || !strings.Contains(stderr.String(), "expired on") || !strings.Contains(stderr.String(), "vouch: hint: vouch rotate") {
			t.Errorf("stdout %q stderr %q", stdout, stderr)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s was made: %v", out, err)
		}
	})
}

func TestDefaultLabel(t *testing.T) {
	for _, tc := range []struct {
		subject pkix.Name
		want    string
	}{
		{pkix.Name{CommonName: "vouch root alice@laptop", OrganizationalUnit: []string{"alice@laptop"}}, "alice"},
		{pkix.Name{CommonName: "mkcert bob@mac.lan (Bob Smith)", OrganizationalUnit: []string{"bob@mac.lan (Bob Smith)"}}, "bob"},
		{pkix.Name{CommonName: "vouch root Ünïcode User"}, "n-code"},
		{pkix.Name{CommonName: "vouch root"}, "vouch"},
		{pkix.Name{OrganizationalUnit: []string{"@@@"}}, "vouch"},
		{pkix.Name{OrganizationalUnit: []string{"J.Doe_2"}}, "j.doe_2"},
	} {
		if got := defaultLabel(&x509.Certificate{Subject: tc.subject}); got != tc.want {
			t.Errorf("defaultLabel(%v) = %q, want %q", tc.subject, got, tc.want)
		}
	}
}

func TestExportSource(t *testing.T) {
	for _, tc := range []struct {
		url, server, want string
		bad               bool
	}{
		{"", "", "", false},
		{"https://photos.alice.example/root.crt", "", "https://photos.alice.example/root.crt", false},
		{"", "photos.alice.example:443", "photos.alice.example:443", false},
		{"", "[::1]:8443", "[::1]:8443", false},
		{"http://photos.alice.example/root.crt", "", "", true},
		{"https:///root.crt", "", "", true},
		{"https://u:p@x.example/r", "", "", true},
		{"https://x.example/$(rm -rf ~)", "", "", true},
		{"https://x.example/a", "x.example:1", "", true},
		{"", "photos.alice.example", "", true},
		{"", "photos.alice.example:0", "", true},
		{"", "photos.alice.example:https", "", true},
		{"", ":443", "", true},
	} {
		got, err := exportSource(tc.url, tc.server)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("exportSource(%q, %q) = %q, %v; want %q, error %v", tc.url, tc.server, got, err, tc.want, tc.bad)
		}
	}
}

// FuzzExportSource: whatever --url or --server is accepted goes into a
// command line a friend pastes, so it must be one shell word after
// shellWord, with nothing a shell would expand.
func FuzzExportSource(f *testing.F) {
	f.Add("https://photos.alice.example/root.crt?a=1&b=2", "")
	f.Add("", "[::1]:443")
	f.Add("https://x.example/%24HOME", "")
	f.Fuzz(func(t *testing.T, rawURL, server string) {
		src, err := exportSource(rawURL, server)
		if err != nil || src == "" {
			return
		}
		w := shellWord(src)
		inner := strings.TrimSuffix(strings.TrimPrefix(w, `"`), `"`)
		if strings.ContainsAny(inner, "\"$`\\'!\n\r\t ;|<>(){}*?[]~#") && w == src {
			t.Fatalf("shellWord(%q) = %q left unquoted with shell characters", src, w)
		}
		if strings.ContainsAny(inner, "\"$`\\!\n\r\t ") {
			t.Fatalf("exportSource accepted %q, which double quotes don't protect", src)
		}
	})
}

// TestExportTogether: exports run at once into one folder, each with its
// own --url, take turns: one writes, every other finds its files there
// with other contents and is refused. Before, several checked, found
// nothing, and renamed over one another, each saying it had written.
func TestExportTogether(t *testing.T) {
	base, _, _ := testApp(t, true)
	exportCA(t, base, "a.test")
	out := filepath.Join(t.TempDir(), "invite")
	for round := 0; round < 10; round++ {
		dir := fmt.Sprintf("%s%d", out, round)
		codes := make([]int, 8)
		var wg sync.WaitGroup
		for i := range codes {
			a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: base.getenv, home: base.home, goos: "linux", owner: "tester@host", now: time.Now, isRoot: true}
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = a.run([]string{"export", "--out", dir, "--url", fmt.Sprintf("https://h.test/r%d/root.crt", i)})
			}()
		}
		wg.Wait()
		if ok := slices.Index(codes, exitOK); ok < 0 || slices.Index(codes[ok+1:], exitOK) >= 0 {
			t.Fatalf("round %d: exits %v, want exactly one 0", round, codes)
		}
	}
}

// TestExportSaysItWaits: an export kept waiting on the CA folder's lock
// (an install at a sudo prompt holds it) says why nothing happens; before,
// it waited without a word (found by review).
func TestExportSaysItWaits(t *testing.T) {
	a, _, stderr := testApp(t, true)
	exportCA(t, a, "a.test")
	unlock, err := certs.Lock(a.getenv("VOUCH_CAROOT"), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() { done <- a.run([]string{"export", "--out", filepath.Join(t.TempDir(), "inv")}) }()
	time.Sleep(1500 * time.Millisecond)
	unlock()
	if code := <-done; code != exitOK || !strings.Contains(stderr.String(), "waiting for another vouch that is using "+a.getenv("VOUCH_CAROOT")) {
		t.Errorf("export behind the lock = %d, stderr:\n%s\nwant 0 and a word that it waits", code, stderr)
	}
}
