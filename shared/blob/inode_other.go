//go:build !unix

package blob

import "io/fs"

// inode is unknown here; size and modification time alone guard the ETag cache.
func inode(fs.FileInfo) uint64 { return 0 }

// processGone is unknown here; temp files are removed once stale by age.
func processGone(int) bool { return false }
