package certs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// aclXattr holds a file's POSIX access ACL (setfacl's user:www-data:r).
const aclXattr = "system.posix_acl_access"

// keepACL gives tmp the access ACL of the file at path, which it is to
// replace: a server let read the old key by a named-user or named-group
// entry reads the new one, and the group bits, which on such a file are
// the ACL's mask, grant no more than they did. A file without one, or a
// file system without ACLs, leaves tmp as it is.
func keepACL(tmp *os.File, path string) error {
	size, err := unix.Getxattr(path, aclXattr, nil)
	if err != nil || size <= 0 {
		return nil
	}
	acl := make([]byte, size)
	if size, err = unix.Getxattr(path, aclXattr, acl); err != nil {
		if errors.Is(err, unix.ENODATA) {
			return nil
		}
		return err
	}
	return unix.Fsetxattr(int(tmp.Fd()), aclXattr, acl[:size], 0)
}
