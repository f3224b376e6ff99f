package nstest

import (
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func TestRunPattern(t *testing.T) {
	for _, name := range []string{
		"TestX",
		"TestX/with_spaces",
		`TestX/regexp_.*+?()[]{}|^$_meta`,
		`TestX/back\slash`,
		"TestX/slash/inside",
		"TestX/dup#01",
		"TestX/#00",
	} {
		pattern := runPattern(name)
		elems := strings.Split(name, "/")
		parts := strings.Split(pattern, "/")
		if len(parts) != len(elems) {
			t.Errorf("runPattern(%q) = %q, want %d elements", name, pattern, len(elems))
			continue
		}
		for i, part := range parts {
			re := regexp.MustCompile(part)
			if !re.MatchString(elems[i]) || re.MatchString(elems[i]+"x") || re.MatchString("x"+elems[i]) {
				t.Errorf("runPattern(%q) element %q does not match exactly %q", name, part, elems[i])
			}
		}
	}
}

func TestExisting(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"ssl/certs/java", "ssl-old", "pki"} {
		if err := os.MkdirAll(dir+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("ssl", dir+"/ssl-link"); err != nil {
		t.Fatal(err)
	}
	got := existing([]string{dir + "/ssl/certs/java", dir + "/pki", dir + "/ssl-old", dir + "/ssl-link", dir + "/ssl", dir + "/missing"})
	want := []string{dir + "/pki", dir + "/ssl", dir + "/ssl-old"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("existing() = %q, want %q", got, want)
	}
}

func TestJudge(t *testing.T) {
	const name = "TestX/a(b)"
	start, pass := markerLine("start", name), markerLine("pass", name)
	exit1 := errors.New("exit status 1")
	for _, tt := range []struct {
		desc    string
		out     string
		err     error
		wantErr string
		envSkip string
		skip    bool
	}{
		{desc: "passed", out: "=== RUN TestX\n" + start + "\n" + pass + "\n--- SKIP: TestX\n"},
		{desc: "no tests", out: "testing: warning: no tests to run\nPASS\n", wantErr: "matched nothing"},
		{desc: "top level only", out: "=== RUN TestX\n--- PASS: TestX\nPASS\n", wantErr: "never reached the body"},
		{desc: "other test's marker", out: markerLine("start", "TestX/a") + "\n" + markerLine("pass", "TestX/a") + "\n", wantErr: "never reached"},
		{desc: "body failed", out: start + "\n--- FAIL: TestX\n", err: exit1, wantErr: "body failed"},
		{desc: "exit 0 without pass", out: start + "\n", wantErr: "never reported"},
		{desc: "unshare refused", out: "unshare: unshare failed: Operation not permitted\n", err: exit1, envSkip: "kernel refused"},
		{desc: "mount refused", out: start + "\n" + markerLine("skip-env", name) + " nstest: mounting is not permitted here\n", envSkip: "mounting is not permitted"},
		{desc: "body skipped", out: start + "\n" + markerLine("skip-body", name) + "\n", skip: true},
	} {
		v := judge(name, "pattern", tt.out, tt.err)
		switch {
		case tt.wantErr != "" && (v.err == nil || !strings.Contains(v.err.Error(), tt.wantErr)):
			t.Errorf("%s: judge() error = %v, want one containing %q", tt.desc, v.err, tt.wantErr)
		case tt.wantErr == "" && v.err != nil:
			t.Errorf("%s: judge() error = %v, want none", tt.desc, v.err)
		case !strings.Contains(v.envSkip, tt.envSkip) || (tt.envSkip == "") != (v.envSkip == ""):
			t.Errorf("%s: judge() envSkip = %q, want %q", tt.desc, v.envSkip, tt.envSkip)
		case v.bodySkip != tt.skip:
			t.Errorf("%s: judge() bodySkip = %v, want %v", tt.desc, v.bodySkip, tt.skip)
		}
	}
}

// TestCheckPrivateRefusesOwnNamespace: a child told the parent's namespace
// is its own must refuse to mount.
func TestCheckPrivateRefusesOwnNamespace(t *testing.T) {
	if _, ok := os.LookupEnv(childEnv); ok {
		t.Skip("running as a child")
	}
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Skip(err)
	}
	t.Setenv(parentNSEnv, ns)
	if err := checkPrivate(); err == nil || !strings.Contains(err.Error(), "parent's mount namespace") {
		t.Errorf("checkPrivate() in the parent's namespace = %v, want a refusal", err)
	}
	t.Setenv(parentNSEnv, "")
	if err := checkPrivate(); err == nil {
		t.Error("checkPrivate() without the parent's namespace = nil, want a refusal")
	}
}

// TestMisquotedPatternFails runs the child with patterns that miss the
// body's test and checks that the parent calls that a failure, not a pass.
func TestMisquotedPatternFails(t *testing.T) {
	t.Run("a(b)", func(t *testing.T) {
		Run(t, func(t *testing.T, env *Env) {})
	})
	if _, ok := os.LookupEnv(childEnv); ok {
		return
	}
	if os.Geteuid() != 0 {
		skipOrFatal(t, "nstest: needs root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		skipOrFatal(t, "nstest: unshare not found (apt install util-linux)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ns, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	name := t.Name() + "/a(b)"
	for _, pattern := range []string{
		"^" + t.Name() + "$/^a(b)$", // unquoted: selects a subtest "ab"
		"^TestDiff$",                // a passing test, but another one
		"^TestNoSuchTest$",
	} {
		cmd := childCommand(t, unshare, exe, name, pattern, ns, t.TempDir())
		out, err := runLogged(t, cmd)
		v := judge(name, pattern, out, err)
		if v.err == nil {
			t.Errorf("judge() for -test.run %q = %+v, want an error", pattern, v)
			continue
		}
		t.Logf("-test.run %q: %v", pattern, v.err)
	}
}
