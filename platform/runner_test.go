package platform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExecArgv(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/sudo", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	cmd := Cmd{Argv: []string{"update-ca-certificates"}, Root: true}
	tests := []struct {
		name string
		e    Exec
		c    Cmd
		want []string
		need bool
	}{
		{"root runs as is", Exec{IsRoot: true, LookPath: found}, cmd, []string{"update-ca-certificates"}, false},
		{"unprivileged command", Exec{LookPath: found}, Cmd{Argv: []string{"certutil", "-L"}}, []string{"certutil", "-L"}, false},
		{"interactive sudo prompts", Exec{Interactive: true, LookPath: found, Prompt: "p %u: "}, cmd, []string{"sudo", "--prompt", "p %u: ", "--", "update-ca-certificates"}, false},
		{"non-interactive sudo never waits", Exec{LookPath: found}, cmd, []string{"sudo", "-n", "--", "update-ca-certificates"}, false},
		{"no sudo", Exec{Interactive: true, LookPath: missing}, cmd, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.e.Argv(tt.c)
			var nr *NeedRootError
			if tt.need {
				if !errors.As(err, &nr) || len(nr.Commands) != 1 {
					t.Fatalf("Argv = %q, %v; want a NeedRootError", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Argv = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// A fake sudo that refuses as `sudo -n` does without cached credentials.
func TestExecSudoRefuses(t *testing.T) {
	dir := t.TempDir()
	sudo := filepath.Join(dir, "sudo")
	os.WriteFile(sudo, []byte("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n"), 0o755)
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	e := &Exec{}
	_, err := e.Run(context.Background(), Cmd{Argv: []string{"update-ca-certificates"}, Root: true})
	var nr *NeedRootError
	if !errors.As(err, &nr) || !strings.Contains(nr.Reason, "password") {
		t.Errorf("Run with a refusing sudo = %v, want a NeedRootError about the password", err)
	}
}

func TestExecError(t *testing.T) {
	e := &Exec{IsRoot: true}
	_, err := e.Run(context.Background(), Cmd{Argv: []string{"sh", "-c", "echo broken bundle >&2; exit 3"}})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Output != "broken bundle" || !slices.Equal(ee.Argv, []string{"sh", "-c", "echo broken bundle >&2; exit 3"}) {
		t.Fatalf("Run(failing) = %v, want an ExecError with argv and output", err)
	}
	if !strings.Contains(err.Error(), "broken bundle") || errors.Unwrap(err) == nil {
		t.Errorf("ExecError %q: want the output in the message and an Unwrap", err)
	}
	_, err = e.Run(context.Background(), Cmd{Argv: []string{"/nonexistent/tool"}})
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("Run(missing tool) = %v, want an ExecError saying not found", err)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"install", "-m", "0644", "/home/a b/rootCA.pem", "it's"})
	want := `install -m 0644 '/home/a b/rootCA.pem' 'it'\''s'`
	if got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
}
