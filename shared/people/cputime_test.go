//go:build unix

package people

import "syscall"

// cpuTime is the process's user + system CPU time in nanoseconds: on a
// shared machine the benchmarks report it beside the wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
