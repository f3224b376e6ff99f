package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNearCommands(t *testing.T) {
	for _, c := range []struct {
		name string
		want []string
	}{
		{"instal", []string{"install"}},
		// Nearer to uninstall (one slip) than to install (two): the
		// first within reach in table order had been install.
		{"unistall", []string{"uninstall"}},
		{"uninstal", []string{"uninstall"}},
		// One slip from each: both are named, in table order.
		{"uinstall", []string{"install", "uninstall"}},
		{"statsu", []string{"status"}},
		{"versoin", []string{"version"}},
		{"status", nil},
		{"intranet", nil},
		{"instal.test", nil},
	} {
		if got := nearCommands(c.name); !slices.Equal(got, c.want) {
			t.Errorf("nearCommands(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTypoHintNamesTies(t *testing.T) {
	for _, c := range []struct{ arg, hint string }{
		{"unistall", "vouch: hint: unistall is not a command; did you mean vouch uninstall?\n"},
		{"uinstall", "vouch: hint: uinstall is not a command; did you mean vouch install or vouch uninstall?\n"},
	} {
		a, _, stderr := testApp(t, false)
		if code := a.run([]string{c.arg}); code != exitFail || !strings.HasSuffix(stderr.String(), c.hint) {
			t.Errorf("vouch %s = %d, stderr %q; want 1 and the hint %q", c.arg, code, stderr, c.hint)
		}
	}
}

func TestParseValidity(t *testing.T) {
	for _, c := range []struct {
		days       int
		daysGiven  bool
		valid      string
		validGiven bool
		want       time.Duration
		err        string
	}{
		{0, false, "", false, 0, ""},
		{30, true, "", false, 30 * 24 * time.Hour, ""},
		{0, false, "36h", true, 36 * time.Hour, ""},
		// 0 given is not "not given": it had issued the default 820 days.
		{0, true, "", false, 0, "--days 0 is shorter than a day: give 1 or more, or --valid for hours (at least 1h)"},
		{-1, true, "", false, 0, "--days -1 is negative"},
		// Nor does it slip past the check that only one is given.
		{0, true, "36h", true, 0, "give --days or --valid, not both"},
		{0, false, "", true, 0, `--valid "" is not a duration like 36h or 90d`},
		{0, false, "0d", true, 0, "--valid 0d is shorter than an hour"},
	} {
		got, err := parseValidity(c.days, c.daysGiven, c.valid, c.validGiven)
		if errText := fmt.Sprint(err); got != c.want || (c.err == "") != (err == nil) || (err != nil && errText != c.err) {
			t.Errorf("parseValidity(%d, %v, %q, %v) = %v, %v; want %v, %q", c.days, c.daysGiven, c.valid, c.validGiven, got, err, c.want, c.err)
		}
	}
}

func TestDaysZeroIsUsageError(t *testing.T) {
	a, stdout, stderr := testApp(t, false)
	dir := t.TempDir()
	if code := a.run([]string{"cert", "--days", "0", "--cert-file", dir + "/c.pem", "--key-file", dir + "/k.pem", "a.test"}); code != exitUsage ||
		!strings.Contains(stderr.String(), "vouch: error: --days 0 is shorter than a day") || stdout.Len() != 0 {
		t.Errorf("cert --days 0 = %d, stdout %q, stderr %q; want 2 and the error", code, stdout, stderr)
	}
}

// TestCSRReadError: a --csr that can't be read is named once, in plain
// words; it had been Go's "open /x: no such file or directory".
func TestCSRReadError(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{dir + "/missing.pem", "vouch: error: can't read the certificate request " + dir + "/missing.pem: no such file\n"},
		{dir, "vouch: error: can't read the certificate request " + dir + ": is a directory\n"},
	} {
		a, _, stderr := testApp(t, false)
		if code := a.run([]string{"cert", "--csr", c.path}); code != exitFail || stderr.String() != c.want {
			t.Errorf("cert --csr %s = %d, stderr %q; want 1 and %q", c.path, code, stderr, c.want)
		}
	}
}
