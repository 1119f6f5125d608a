//go:build unix

package blob

import (
	"io/fs"
	"syscall"
)

// inode identifies the file behind fi, so that a file replaced by a rename
// is told apart from the one an ETag was cached for.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
