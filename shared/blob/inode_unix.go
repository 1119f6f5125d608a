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

// processGone reports whether no process has the id pid any more (so a temp
// file it was writing is the leftover of a crash). A pid that was reused
// since reads as alive; such a file is removed once it is stale by age.
func processGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}
