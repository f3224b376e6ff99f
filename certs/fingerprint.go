package certs

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// A root's SHA-256 fingerprint is read aloud or pasted between people, so
// vouch prints it in two forms that carry the same 32 bytes:
//
//   - voice hex: 16 groups of 4 uppercase hex digits ("3A7F 91C2 …");
//   - words: 32 words, one per byte, from the list below (byte 0 is
//     "acid", byte 255 "zipper"), in groups of four.
//
// ParseFingerprint reads either form back, and also the colon-separated
// pairs browsers and openssl show and bare hex, with or without a
// "SHA256:" style prefix. Every form is the whole hash: none is shortened,
// so comparing one is as strong as comparing the hex.

// FingerprintSize is the length of a SHA-256 fingerprint in bytes.
const FingerprintSize = sha256.Size

// FP is a SHA-256 certificate fingerprint.
type FP [FingerprintSize]byte

// FingerprintOf is the SHA-256 of the certificate's DER.
func FingerprintOf(cert *x509.Certificate) FP { return sha256.Sum256(cert.Raw) }

// Hex is the fingerprint as 64 lowercase hex digits.
func (f FP) Hex() string { return hex.EncodeToString(f[:]) }

// Fingerprint is the SHA-256 of a certificate's DER, as lowercase hex.
func Fingerprint(cert *x509.Certificate) string { return FingerprintOf(cert).Hex() }

// GroupedFingerprint is the fingerprint in colon-separated uppercase pairs,
// the form browsers and openssl show.
func GroupedFingerprint(cert *x509.Certificate) string { return FingerprintOf(cert).Pairs() }

// Pairs is the fingerprint as colon-separated uppercase hex pairs.
func (f FP) Pairs() string {
	pairs := make([]string, len(f))
	for i, c := range f {
		pairs[i] = fmt.Sprintf("%02X", c)
	}
	return strings.Join(pairs, ":")
}

// Voice is the fingerprint as 16 groups of 4 uppercase hex digits.
func (f FP) Voice() string {
	h := strings.ToUpper(f.Hex())
	groups := make([]string, 0, len(h)/4)
	for i := 0; i < len(h); i += 4 {
		groups = append(groups, h[i:i+4])
	}
	return strings.Join(groups, " ")
}

// Words is the fingerprint as 32 words, groups of four separated by " / ".
func (f FP) Words() string {
	var b strings.Builder
	for i, c := range f {
		switch {
		case i == 0:
		case i%4 == 0:
			b.WriteString(" / ")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(fingerprintWords[c])
	}
	return b.String()
}

// Equal compares two fingerprints in constant time.
func (f FP) Equal(g FP) bool { return subtle.ConstantTimeCompare(f[:], g[:]) == 1 }

// fingerprintPrefixes are labels people paste along with a fingerprint,
// longest first.
var fingerprintPrefixes = []string{"sha256 fingerprint=", "sha256 fingerprint:", "sha-256 fingerprint:", "sha-256 fingerprint=", "fingerprint:", "fingerprint=", "sha256:", "sha-256:", "sha256/", "sha256=", "sha256 ", "sha-256 "}

// ParseFingerprint reads a SHA-256 fingerprint in any form vouch prints
// (voice hex, words) or that browsers and openssl show (colon pairs).
func ParseFingerprint(s string) (FP, error) {
	var f FP
	t := strings.ToLower(strings.TrimSpace(s))
	for _, p := range fingerprintPrefixes {
		if strings.HasPrefix(t, p) {
			t = strings.TrimSpace(t[len(p):])
			break
		}
	}
	// A name after it, as people write one down: "D4EF … 9AB6 (alice)".
	if strings.HasSuffix(t, ")") {
		if i := strings.LastIndexByte(t, '('); i > 0 {
			t = strings.TrimSpace(t[:i])
		}
	}
	if t == "" {
		return f, fmt.Errorf("empty fingerprint")
	}
	// Any space (a chat app's no-break space too), dash (an en dash a web
	// page made of a hyphen), comma, colon or dot between the groups.
	compact := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || strings.ContainsRune(":.,;_", r) {
			return -1
		}
		return r
	}, t)
	if err := nearlyHex(compact); err != nil {
		return f, err
	}
	if isHex(compact) {
		switch len(compact) {
		case 2 * FingerprintSize:
			_, _ = hex.Decode(f[:], []byte(compact))
			return f, nil
		case 40:
			return f, fmt.Errorf("that is a SHA-1 fingerprint (40 hex digits); vouch compares SHA-256 fingerprints (64 hex digits)")
		default:
			return f, fmt.Errorf("a SHA-256 fingerprint has 64 hex digits, not %d", len(compact))
		}
	}
	fields := strings.FieldsFunc(t, func(r rune) bool { return r < 'a' || r > 'z' })
	if len(fields) == 0 {
		return f, fmt.Errorf("not a fingerprint: expected 64 hex digits or %d words", FingerprintSize)
	}
	for i, w := range fields {
		b, ok := wordIndex()[w]
		if !ok {
			if near, ok := nearestWord(w); ok {
				return f, fmt.Errorf("%q (word %d) is not one of vouch's fingerprint words; did you mean %q?", w, i+1, near)
			}
			return f, fmt.Errorf("%q (word %d) is not one of vouch's fingerprint words; expected 64 hex digits or %d words", w, i+1, FingerprintSize)
		}
		if i < FingerprintSize {
			f[i] = b
		}
	}
	if len(fields) != FingerprintSize {
		return f, fmt.Errorf("a word fingerprint has %d words, not %d", FingerprintSize, len(fields))
	}
	return f, nil
}

// nearlyHex finds a fingerprint of the hex digits' length with a few
// characters that are not hex digits, a mistyped or misread one ("O" for
// 0), and says which; it is nil for anything else (a word fingerprint).
func nearlyHex(s string) error {
	rs := []rune(s)
	if len(rs) != 2*FingerprintSize && len(rs) != 40 {
		return nil
	}
	var bad []int
	for i, r := range rs {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			bad = append(bad, i)
		}
	}
	if len(bad) == 0 || len(bad) > 4 {
		return nil
	}
	c := rs[bad[0]]
	msg := fmt.Sprintf("character %d of the fingerprint (not counting spaces and colons), %q, is not a hex digit (0-9, A-F)", bad[0]+1, c)
	switch c {
	case 'o':
		msg += "; did you mean 0 (zero)?"
	case 'l', 'i':
		msg += "; did you mean 1 (one)?"
	}
	if len(bad) > 1 {
		msg += fmt.Sprintf(" (%d such characters in all)", len(bad))
	}
	return errors.New(msg)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// wordIndex maps a word back to its byte; built on first use, so no
// other command pays for it when vouch starts.
var wordIndex = sync.OnceValue(func() map[string]byte {
	m := make(map[string]byte, len(fingerprintWords))
	for i, w := range fingerprintWords {
		m[w] = byte(i)
	}
	return m
})

// fingerprintWords are 256 distinct, common English words, sorted, none
// made only of hex letters, so a word fingerprint is never read as hex.
var fingerprintWords = [256]string{
	"acid", "acorn", "actor", "adult", "agent", "alarm", "album", "alley",
	"amber", "anchor", "angel", "ankle", "apple", "apron", "arena", "armor",
	"arrow", "atlas", "attic", "autumn", "badge", "badger", "bagel", "bamboo",
	"banjo", "barrel", "basil", "basket", "beacon", "beaver", "beetle", "berry",
	"biscuit", "bishop", "blanket", "blossom", "bobcat", "bonfire", "bonnet", "border",
	"bottle", "bounty", "bramble", "bridge", "bronze", "bubble", "bucket", "buffalo",
	"bugle", "butter", "buzzard", "cabin", "cactus", "camel", "camera", "candle",
	"canvas", "canyon", "carrot", "castle", "cattle", "cellar", "cement", "cereal",
	"cherry", "chimney", "circus", "cobra", "cocoa", "comet", "compass", "cookie",
	"copper", "coral", "cotton", "cowboy", "cradle", "crayon", "cricket", "crystal",
	"cushion", "dagger", "daisy", "dancer", "denim", "desert", "diamond", "dinner",
	"doctor", "dolphin", "domino", "donkey", "dragon", "drawer", "eagle", "easel",
	"eclipse", "elbow", "ember", "emerald", "engine", "falcon", "feather", "ferret",
	"fiddle", "finger", "flute", "forest", "fossil", "fountain", "gadget", "garlic",
	"gazelle", "giant", "ginger", "glacier", "goblin", "goose", "gravel", "guitar",
	"hammer", "harbor", "harp", "hazel", "helmet", "hermit", "honey", "hornet",
	"iceberg", "igloo", "island", "ivory", "jacket", "jaguar", "jasmine", "jelly",
	"jigsaw", "juggler", "jungle", "kayak", "kernel", "kettle", "kitten", "koala",
	"ladder", "lantern", "lemon", "lentil", "leopard", "lizard", "lobster", "locket",
	"lumber", "magnet", "mammoth", "mango", "marble", "meadow", "melon", "meteor",
	"mirror", "monkey", "mosaic", "muffin", "museum", "mustard", "napkin", "nectar",
	"needle", "nickel", "noodle", "nutmeg", "oasis", "ocean", "olive", "onion",
	"orange", "orbit", "orchid", "otter", "oyster", "paddle", "palace", "panda",
	"parrot", "peanut", "pebble", "pencil", "pepper", "pickle", "pigeon", "pillow",
	"pirate", "planet", "plum", "pocket", "potato", "puffin", "puppet", "pyramid",
	"quartz", "quiver", "rabbit", "radish", "raven", "ribbon", "rocket", "rubber",
	"saddle", "salmon", "sandal", "saucer", "scarf", "shovel", "silver", "sketch",
	"sleigh", "socket", "spider", "spinach", "sponge", "squid", "stable", "statue",
	"sugar", "summit", "sunset", "swamp", "tablet", "tailor", "teapot", "temple",
	"thimble", "thunder", "tiger", "tomato", "tractor", "trumpet", "tulip", "tunnel",
	"turtle", "velvet", "violin", "volcano", "waffle", "wagon", "walnut", "walrus",
	"weasel", "whistle", "willow", "window", "wizard", "yogurt", "zebra", "zipper",
}

// nearestWord is the one fingerprint word within two typed letters of w
// (one left out, added, changed or two swapped), if exactly one is
// closest: a suggestion to retype, never a correction, since the whole
// fingerprint is still compared.
func nearestWord(w string) (string, bool) {
	best, bestD, ties := "", 3, 0
	for cand := range wordIndex() {
		switch d := typoDistance(w, cand); {
		case d < bestD:
			best, bestD, ties = cand, d, 1
		case d == bestD:
			ties++
		}
	}
	return best, bestD <= 2 && ties == 1
}

// typoDistance counts the edits between a and b: letters left out,
// added or changed, and two neighbours swapped.
func typoDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
