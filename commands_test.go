package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestSingleDashLongFlag: one of the command's own long flags written with
// one dash, as mkcert's users type them, is a usage error that says so and
// hints the line with two dashes; pflag had named only its first letter
// (unknown shorthand flag: 'd' in -days).
func TestSingleDashLongFlag(t *testing.T) {
	for _, c := range []struct {
		args        []string
		error, hint string
	}{
		{[]string{"-days", "30", "a.test"},
			"vouch: error: unknown flag -days: vouch's own flags take two dashes, as --days (only mkcert's work with one)\n",
			"vouch: hint: vouch --days 30 a.test\n"},
		{[]string{"status", "-json"},
			"vouch: error: unknown flag -json: vouch's own flags take two dashes, as --json (only mkcert's work with one)\n",
			"vouch: hint: vouch status --json\n"},
		// Every one is mended in the hint, and mkcert's -client kept working.
		{[]string{"cert", "-days=3", "-client", "-key-type", "rsa2048", "a.test"},
			"vouch: error: unknown flag -days=3: vouch's own flags take two dashes, as --days (only mkcert's work with one)\n",
			"vouch: hint: vouch cert --days=3 --client --key-type rsa2048 a.test\n"},
		// A flag of no command keeps pflag's words.
		{[]string{"cert", "-z", "a.test"},
			"vouch: error: unknown shorthand flag: 'z' in -z\n",
			"vouch: hint: vouch help cert\n"},
		// --json is status's, not cert's.
		{[]string{"cert", "-json", "a.test"},
			"vouch: error: unknown shorthand flag: 'j' in -json\n",
			"vouch: hint: vouch help cert\n"},
	} {
		a, stdout, stderr := testApp(t, false)
		code := a.run(c.args)
		if code != exitUsage || stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), c.error) || !strings.HasSuffix(stderr.String(), c.hint) {
			t.Errorf("vouch %s = %d, stdout %q, stderr %q; want 2, %q and %q", strings.Join(c.args, " "), code, stdout, stderr, c.error, c.hint)
		}
	}
}

// TestREADMECarootCommands: the README names the commands that take
// --caroot, and only those; it had said every command did, and trust,
// untrust, completion and version refuse it.
func TestREADMECarootCommands(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.Lines(string(data)) {
		if strings.HasPrefix(l, "| `--caroot DIR` |") {
			line = l
		}
	}
	claimed, _, _ := strings.Cut(strings.TrimPrefix(line, "| `--caroot DIR` |"), "(")
	var named []string
	for i, part := range strings.Split(claimed, "`") {
		if i%2 == 1 {
			named = append(named, part)
		}
	}
	var want []string
	for _, c := range commands() {
		fs := newFlagSet(c.name)
		c.flags(fs)
		if fs.Lookup("caroot") != nil {
			want = append(want, c.name)
		}
	}
	if !slices.Equal(named, want) {
		t.Errorf("README's --caroot row names %q; the commands that take it are %q", named, want)
	}
}

func TestHelpUsageLines(t *testing.T) {
	a, stdout, stderr := testApp(t, false)
	// help took the first command and ignored the rest.
	if code := a.run([]string{"help", "cert", "extra"}); code != exitUsage || stdout.Len() != 0 ||
		!strings.HasPrefix(stderr.String(), "vouch: error: unexpected argument \"extra\": help shows one command\nusage: vouch help [COMMAND]\n") {
		t.Errorf("help cert extra = %d, stdout %q, stderr %q; want 2 and the error", code, stdout, stderr)
	}
	// A command with no arguments had its usage line end in a space.
	stderr.Reset()
	if code := a.run([]string{"version", "extra"}); code != exitUsage || !strings.Contains(stderr.String(), "\nusage: vouch version\n") {
		t.Errorf("version extra = %d, stderr %q; want the usage line \"usage: vouch version\"", code, stderr)
	}
	stdout.Reset()
	if code := a.run([]string{"help", "version"}); code != exitOK || !strings.HasPrefix(stdout.String(), "Usage: vouch version\n") {
		t.Errorf("help version = %d, stdout %q; want it to start \"Usage: vouch version\\n\"", code, stdout)
	}
}
