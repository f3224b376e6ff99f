//go:build linux

package platform

import (
	"os"
	"path/filepath"
	"strings"
)

// CanTellFilesInUse: FilesInUse works here (it reads /proc).
const CanTellFilesInUse = true

// FilesInUse returns those of paths that some process has open now, as
// far as /proc shows this user: every process's open files are links in
// /proc/PID/fd. A process whose folder can't be read (another user's,
// when not root) is not counted; a browser runs as the user whose
// profile it opens, so its files are seen. A path that does not exist is
// never in use.
func FilesInUse(paths []string) ([]string, error) {
	want := map[string][]string{}
	for _, p := range paths {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if abs, err := filepath.Abs(real); err == nil {
			want[abs] = append(want[abs], p)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, pe := range procs {
		if !isPID(pe.Name()) {
			continue
		}
		fdDir := filepath.Join("/proc", pe.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil {
				continue
			}
			if ps, ok := want[target]; ok {
				out = append(out, ps...)
				delete(want, target)
				if len(want) == 0 {
					return out, nil
				}
			}
		}
	}
	return out, nil
}

func isPID(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
