package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"completion", shell}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run(completion %s) = %d, want %d; stderr:\n%s", shell, code, exitOK, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("run(completion %s) wrote to stderr:\n%s", shell, stderr.String())
	}
	return stdout.String()
}

// bashComplete runs the generated bash completion for line, with the cursor
// at its end, in dir, and returns COMPREPLY.
func bashComplete(t *testing.T, bash, script, dir, line string) []string {
	t.Helper()
	words := strings.Fields(line)
	if strings.HasSuffix(line, " ") {
		words = append(words, "")
	}
	// The words go in as positional parameters so no quoting is needed.
	prog := `source "$1"; shift; COMP_LINE=$1; COMP_POINT=${#1}; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
_vouch vouch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, append([]string{"--norc", "--noprofile", "-c", prog, "bash", script, line}, words...)...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("bash completing %q: %v\n%s", line, err, stderr.String())
	}
	return strings.Fields(string(out))
}

func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "vouch.bash")
	if err := os.WriteFile(script, []byte(completionScript(t, "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	for _, d := range []string{"work/cadir", "work/other"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "req.csr"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		line string
		want []string // exactly these, sorted as offered
		has  []string // at least these
		not  []string // none of these
	}{
		{line: "vouch ins", want: []string{"install"}},
		{line: "vouch uni", want: []string{"uninstall"}},
		{line: "vouch un", want: []string{"uninstall", "untrust"}},
		{line: "vouch trust --f", want: []string{"--fingerprint"}},
		{line: "vouch trust --", has: []string{"--fingerprint", "--name", "--replace", "--allow-unconstrained", "--stores"}, not: []string{"--caroot"}},
		{line: "vouch ", has: []string{"cert", "install", "status", "completion", "help"}},
		{line: "vouch install --st", want: []string{"--stores"}},
		{line: "vouch install --", has: []string{"--caroot", "--stores", "--permit", "--help"}, not: []string{"--key-type"}},
		{line: "vouch install --stores ", want: []string{"system", "nss", "java", "windows"}},
		{line: "vouch install --stores n", want: []string{"nss"}},
		{line: "vouch install --stores system,j", want: []string{"system,java"}},
		// --stores=<TAB> and --stores=n<TAB>, as bash splits them at "=".
		{line: "vouch status --stores =", want: []string{"system", "nss", "java", "windows"}},
		{line: "vouch status --stores = n", want: []string{"nss"}},
		{line: "vouch cert --key-type ", has: []string{"ecdsa", "rsa2048", "rsa3072", "rsa4096"}},
		{line: "vouch cert --key-type rsa3", want: []string{"rsa3072"}},
		{line: "vouch --key-type rsa3", want: []string{"rsa3072"}},
		{line: "vouch --key-", want: []string{"--key-file", "--key-type"}},
		{line: "vouch a.test --pk", want: []string{"--pkcs12"}},
		{line: "vouch --caroot cadir ins", want: []string{"install"}},
		{line: "vouch --caroot cadir install --st", want: []string{"--stores"}},
		// --caroot=cadir and --json=true arrive as three words each.
		{line: "vouch --caroot = cadir install --st", want: []string{"--stores"}},
		{line: "vouch --caroot = cadir install --", has: []string{"--stores"}, not: []string{"--key-file"}},
		{line: "vouch --only = true ins", want: []string{"install"}},
		{line: "vouch --caroot = cadir ins", want: []string{"install"}},
		{line: "vouch env --shell ", want: []string{"sh", "fish", "powershell"}},
		{line: "vouch env --", has: []string{"--shell", "--caroot"}, not: []string{"--stores"}},
		{line: "vouch cert --csr req", want: []string{"req.csr"}},
		{line: "vouch cert --cert-file ", has: []string{"req.csr", "cadir"}},
		{line: "vouch install --caroot ", want: []string{"cadir", "other"}},
		{line: "vouch completion ", want: []string{"bash", "zsh", "fish", "powershell"}},
		{line: "vouch help st", want: []string{"status"}},
		{line: "vouch cert --days ", want: nil},
		{line: "vouch a.test ", want: nil},
	} {
		t.Run(tt.line, func(t *testing.T) {
			got := bashComplete(t, bash, script, work, tt.line)
			if tt.has == nil && tt.not == nil {
				g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tt.want))
				if !slices.Equal(g, w) {
					t.Errorf("complete(%q) = %q, want %q", tt.line, got, tt.want)
				}
			}
			for _, w := range tt.has {
				if !slices.Contains(got, w) {
					t.Errorf("complete(%q) = %q, want it to include %q", tt.line, got, w)
				}
			}
			for _, w := range tt.not {
				if slices.Contains(got, w) {
					t.Errorf("complete(%q) = %q, want no %q", tt.line, got, w)
				}
			}
		})
	}
}

// TestCompletionCoversTable checks that every script names every command
// and every flag, and is valid for its shell where that shell is installed.
func TestCompletionCoversTable(t *testing.T) {
	syntax := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "-n"}}
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			for _, c := range commands() {
				if !strings.Contains(script, c.name) {
					t.Errorf("the %s script does not mention the command %q", shell, c.name)
				}
				fs := newFlagSet(c.name)
				c.flags(fs)
				fs.VisitAll(func(f *pflag.Flag) {
					want := "--" + f.Name
					if shell == "fish" {
						want = "-l " + f.Name
					}
					if !strings.Contains(script, want) {
						t.Errorf("the %s script does not mention %s's flag --%s", shell, c.name, f.Name)
					}
				})
			}
			if shell == "fish" && !strings.Contains(script, "-n 'not __fish_seen_subcommand_from caroot install") {
				t.Errorf("the fish script does not offer cert's flags after \"vouch cert\"")
			}
			argv, ok := syntax[shell]
			if !ok {
				return
			}
			path, err := exec.LookPath(argv[0])
			if err != nil {
				t.Skipf("%s is not installed; syntax not checked", argv[0])
			}
			file := filepath.Join(t.TempDir(), "vouch."+shell)
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(path, append(argv[1:], file)...).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", argv[0], err, out)
			}
		})
	}
}

func TestCompletionUsage(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("run(%q) = %d, want %d", args, code, exitUsage)
		}
		if stdout.Len() > 0 {
			t.Errorf("run(%q) wrote to stdout:\n%s", args, stdout.String())
		}
		if !strings.Contains(stderr.String(), "usage: vouch completion bash|zsh|fish|powershell") {
			t.Errorf("run(%q) stderr = %q, want the usage line", args, stderr.String())
		}
	}
}
