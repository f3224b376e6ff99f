package main

import (
	"slices"
	"strings"
	"testing"
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
