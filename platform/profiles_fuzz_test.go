package platform

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseProfilesINI: Firefox's profiles.ini, which any tool may have
// edited. Every profile read has a path with no padding, and there are no
// more profiles than [ProfileN] sections. A last section marked
// IsRelative=1 is read as that, whatever came before and whatever its path
// looks like.
func FuzzParseProfilesINI(f *testing.F) {
	f.Add([]byte("\xef\xbb\xbf[General]\nStartWithLastProfile=1\n\n[Profile0]\nName=default\nIsRelative=1\nPath=Profiles/abc.default\nDefault=1\n\n[Profile1]\nName=work\nIsRelative=0\nPath=/home/me/work\nStoreID=x\n"), "Profiles/x")
	f.Add([]byte("[Profile12]\r\nPath = C:\\Users\\me\\ff \r\n[Profile]\nPath=x\n[Install4F96D1932A9F858E]\nDefault=Profiles/abc\n"), "/abs")
	f.Fuzz(func(t *testing.T, data []byte, last string) {
		ini := parseProfilesINI(data)
		if sections := bytes.Count(data, []byte("[Profile")); len(ini.profiles) > sections {
			t.Fatalf("%d profiles from %d [Profile sections", len(ini.profiles), sections)
		}
		for _, p := range ini.profiles {
			if p.path == "" || p.path != strings.TrimSpace(p.path) {
				t.Fatalf("profile path %q", p.path)
			}
		}
		last = strings.TrimSpace(last)
		if last == "" || strings.ContainsAny(last, "\r\n") {
			return
		}
		ini = parseProfilesINI(append(append([]byte(nil), data...), "\n[Profile99]\nIsRelative=1\nPath="+last+"\n"...))
		if n := len(ini.profiles); n == 0 || ini.profiles[n-1].path != last || !ini.profiles[n-1].relative {
			t.Fatalf("the last section, IsRelative=1 with Path=%s, read as %+v", last, ini.profiles)
		}
	})
}
