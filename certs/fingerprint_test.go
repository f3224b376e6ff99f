package certs

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestFingerprintFormsRoundTrip(t *testing.T) {
	for i := 0; i < 200; i++ {
		var f FP
		if _, err := rand.Read(f[:]); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f = FP{} // all acid
		}
		if i == 1 {
			for j := range f {
				f[j] = 0xff
			}
		}
		colons := strings.ToUpper(f.Hex()[0:2])
		for j := 2; j < 64; j += 2 {
			colons += ":" + strings.ToUpper(f.Hex()[j:j+2])
		}
		// As pasted from elsewhere: a chat app's no-break spaces, a web
		// page's en dashes, commas, a label with a colon, a name after it.
		pasted := []string{
			strings.ReplaceAll(f.Voice(), " ", "\u00a0"),
			strings.ReplaceAll(f.Voice(), " ", " \u2013 "),
			strings.ReplaceAll(f.Voice(), " ", ", "),
			"SHA256 Fingerprint: " + colons,
			f.Voice() + " (alice)",
		}
		for _, form := range append([]string{f.Hex(), f.Voice(), f.Words(), colons, "SHA256:" + f.Hex(), "sha256 Fingerprint=" + colons, strings.ToUpper(f.Words()), "  " + f.Voice() + "\n"}, pasted...) {
			got, err := ParseFingerprint(form)
			if err != nil {
				t.Fatalf("ParseFingerprint(%q): %v", form, err)
			}
			if got != f || !got.Equal(f) {
				t.Fatalf("ParseFingerprint(%q) = %s, want %s", form, got.Hex(), f.Hex())
			}
		}
	}
}

func TestFingerprintShapes(t *testing.T) {
	var f FP
	for i := range f {
		f[i] = byte(i * 8)
	}
	if got, want := f.Voice(), "0008 1018 2028 3038 4048 5058 6068 7078 8088 9098 A0A8 B0B8 C0C8 D0D8 E0E8 F0F8"; got != want {
		t.Errorf("Voice = %q, want %q", got, want)
	}
	w := f.Words()
	if groups := strings.Split(w, " / "); len(groups) != 8 {
		t.Errorf("Words has %d groups, want 8: %q", len(groups), w)
	}
	if !strings.HasPrefix(w, "acid ") {
		t.Errorf("byte 0 should be acid: %q", w)
	}
}

func TestFingerprintWordList(t *testing.T) {
	if !sort.StringsAreSorted(fingerprintWords[:]) {
		t.Error("word list is not sorted")
	}
	seen := map[string]bool{}
	for i, w := range fingerprintWords {
		if w == "" || seen[w] {
			t.Errorf("word %d %q is empty or repeated", i, w)
		}
		seen[w] = true
		if isHex(w) {
			t.Errorf("word %q is made of hex letters only", w)
		}
		if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("word %q has characters outside a-z", w)
		}
	}
}

func TestParseFingerprintErrors(t *testing.T) {
	sha1 := strings.Repeat("ab", 20)
	var f FP
	words := strings.Fields(strings.ReplaceAll(f.Words(), "/", ""))
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"sha256:", "empty"},
		{sha1, "SHA-1"},
		{strings.Repeat("a", 63), "64 hex digits, not 63"},
		{strings.Repeat("a", 65), "64 hex digits, not 65"},
		{strings.Join(words[:31], " "), "32 words, not 31"},
		{strings.Join(append(words, "acid"), " "), "32 words, not 33"},
		{strings.Join(words[:31], " ") + " banana", `"banana" (word 32)`},
		{"12 34 zz", `"zz"`},
		{"!!!", "not a fingerprint"},
		// A typo in a word is met with the word it most likely was.
		{strings.Join(words[:31], " ") + " " + words[0][1:], fmt.Sprintf("(word 32) is not one of vouch's fingerprint words; did you mean %q?", words[0])},
		{words[0][1:2] + words[0][:1] + words[0][2:], fmt.Sprintf("did you mean %q?", words[0])},
		{words[0] + "s", fmt.Sprintf("did you mean %q?", words[0])},
		{"zzzzzzzz", `"zzzzzzzz" (word 1) is not one of vouch's fingerprint words; expected 64 hex digits or 32 words`},
		// A misread or mistyped digit is named, where a hint helps.
		{"D4EF 5BO2" + strings.Repeat(" ABCD", 14), `character 7 of the fingerprint (not counting spaces and colons), 'o', is not a hex digit (0-9, A-F); did you mean 0 (zero)?`},
		{"D4EF 5Bl2" + strings.Repeat(" ABCD", 14), `'l', is not a hex digit (0-9, A-F); did you mean 1 (one)?`},
		{"D4EF 5BX2" + strings.Repeat(" ABCD", 13) + " ABCG", `character 7 of the fingerprint (not counting spaces and colons), 'x', is not a hex digit (0-9, A-F) (2 such characters in all)`},
	} {
		_, err := ParseFingerprint(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseFingerprint(%q) = %v, want error containing %q", c.in, err, c.want)
		}
	}
}

func TestFingerprintOfMatchesHex(t *testing.T) {
	ca := newCA(t)
	f := FingerprintOf(ca.Root)
	if f.Hex() != Fingerprint(ca.Root) || f != FP(sha256.Sum256(ca.Root.Raw)) {
		t.Fatalf("FingerprintOf = %s, Fingerprint = %s", f.Hex(), Fingerprint(ca.Root))
	}
	var g FP
	if f.Equal(g) {
		t.Fatal("different fingerprints compare equal")
	}
}

// TestNearestWordNeverAnother: a word with one letter left out or two
// swapped is met with that word or with nothing (rocket, socket and
// pocket are one letter apart, so "ocket" gets no suggestion), never with
// another word.
func TestNearestWordNeverAnother(t *testing.T) {
	suggested := 0
	for w := range wordIndex() {
		var typos []string
		for i := range w {
			typos = append(typos, w[:i]+w[i+1:])
			if i+1 < len(w) && w[i] != w[i+1] {
				typos = append(typos, w[:i]+w[i+1:i+2]+w[i:i+1]+w[i+2:])
			}
		}
		for _, typo := range typos {
			if _, isWord := wordIndex()[typo]; isWord {
				continue
			}
			near, ok := nearestWord(typo)
			if ok && near != w {
				t.Errorf("%q, a typo of %q, is met with %q", typo, w, near)
			}
			if ok {
				suggested++
			}
		}
	}
	t.Logf("%d typos met with their word", suggested)
	if suggested == 0 {
		t.Error("no typo was met with its word")
	}
	if d := typoDistance("hazle", "hazel"); d != 1 {
		t.Errorf("a swap counts %d, want 1", d)
	}
}
