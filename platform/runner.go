// Package platform owns what differs between operating systems: where the
// system trust store lives, which tool refreshes it, and the one seam
// through which vouch runs external commands (and sudo, only there).
//
// It must not know about certificates beyond bytes and paths; deciding
// what to trust is the truststore package's job.
package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
)

// Cmd is one external command. Root marks a command that needs root; the
// runner adds sudo when vouch is not root.
type Cmd struct {
	Argv  []string
	Stdin []byte
	Root  bool
}

func (c Cmd) String() string { return shellJoin(c.Argv) }

// Runner runs commands. Tests swap in a recorder.
type Runner interface {
	Run(ctx context.Context, c Cmd) ([]byte, error)
}

// ExecError is a failed command: what ran and what it said.
type ExecError struct {
	Argv   []string
	Output string
	Err    error
}

func (e *ExecError) Error() string {
	msg := fmt.Sprintf("%s failed: %v", shellJoin(e.Argv), e.Err)
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	return msg
}

func (e *ExecError) Unwrap() error { return e.Err }

// NeedRootError says a command needs root and sudo can't give it here.
// Commands are what the user can paste into a root shell instead.
type NeedRootError struct {
	Reason   string
	Commands []Cmd
}

func (e *NeedRootError) Error() string {
	return fmt.Sprintf("this needs root and %s", e.Reason)
}

// Exec runs commands for real.
type Exec struct {
	// IsRoot: commands run as they are, never through sudo.
	IsRoot bool
	// Interactive: sudo may ask for a password on the terminal; otherwise
	// it runs with -n and fails rather than wait for one.
	Interactive bool
	LookPath    func(string) (string, error)
	// Prompt is sudo's password prompt (%u is the user).
	Prompt string
}

// Argv is the command line Exec runs for c: c's own, or wrapped in sudo.
func (e *Exec) Argv(c Cmd) ([]string, error) {
	if !c.Root || e.IsRoot {
		return c.Argv, nil
	}
	lookPath := e.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	if _, err := lookPath("sudo"); err != nil {
		return nil, &NeedRootError{Reason: "sudo is not installed", Commands: []Cmd{c}}
	}
	if !e.Interactive {
		return append([]string{"sudo", "-n", "--"}, c.Argv...), nil
	}
	prompt := e.Prompt
	if prompt == "" {
		prompt = "vouch: sudo password for %u: "
	}
	return append([]string{"sudo", "--prompt", prompt, "--"}, c.Argv...), nil
}

func (e *Exec) Run(ctx context.Context, c Cmd) ([]byte, error) {
	argv, err := e.Argv(c)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	given := shieldChild()
	err = cmd.Start()
	given()
	if err == nil {
		err = cmd.Wait()
	}
	out := buf.Bytes()
	if err != nil {
		trimmed := strings.TrimSpace(string(out))
		if argv[0] == "sudo" && !e.Interactive && strings.Contains(trimmed, "password is required") {
			return out, &NeedRootError{Reason: "sudo wants a password, which it can't ask for here (no terminal)", Commands: []Cmd{c}}
		}
		var ee *exec.Error
		if errors.As(err, &ee) || errors.Is(err, fs.ErrNotExist) {
			return out, &ExecError{Argv: argv, Err: fmt.Errorf("%s not found", argv[0])}
		}
		return out, &ExecError{Argv: argv, Output: trimmed, Err: err}
	}
	return out, nil
}

// shellJoin quotes argv for a POSIX shell, so printed commands paste.
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			parts[i] = a
		} else {
			parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(parts, " ")
}
