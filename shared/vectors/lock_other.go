//go:build !unix

package vectors

import "os"

// lockFile is a no-op where flock is unavailable: on such systems nothing
// stops two processes from opening the same directory, which they must not.
func lockFile(f *os.File) error { return nil }

func unlockFile(f *os.File) error { return nil }
