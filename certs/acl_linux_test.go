package certs

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWriteNamedKeepsACL: a key whose old file let a server's user read
// it through an ACL entry (setfacl -m u:www-data:r), and not the file's
// group, is replaced with the same ACL. Before, the ACL was dropped (the
// server could no longer read the key) and the mask, taken for the
// group's bits, let the group read it.
func TestWriteNamedKeepsACL(t *testing.T) {
	key := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(key, []byte("old key"), 0o600); err != nil {
		t.Fatal(err)
	}
	// user::rw- user:65534:r-- group::--- mask::r-- other::---
	var acl bytes.Buffer
	binary.Write(&acl, binary.LittleEndian, uint32(2))
	for _, e := range []struct {
		tag, perm uint16
		id        uint32
	}{{0x01, 6, ^uint32(0)}, {0x02, 4, 65534}, {0x04, 0, ^uint32(0)}, {0x10, 4, ^uint32(0)}, {0x20, 0, ^uint32(0)}} {
		binary.Write(&acl, binary.LittleEndian, e)
	}
	if err := unix.Setxattr(key, aclXattr, acl.Bytes(), 0); err != nil {
		t.Skipf("no POSIX ACLs here: %v", err)
	}
	if _, _, err := WriteNamed(File{Path: key, Data: []byte("new key"), Mode: 0o600, Named: true}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 256)
	n, err := unix.Getxattr(key, aclXattr, got)
	if err != nil || !bytes.Equal(got[:n], acl.Bytes()) {
		t.Errorf("the new key's ACL = %x (%v), want the old one's %x", got[:max(n, 0)], err, acl.Bytes())
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the new key's mode = %v, %v; want 0640 (the group bits are the ACL's mask)", fi.Mode(), err)
	}
}
