//go:build !unix

package vectors_test

func cpuTime() int64 { return 0 }
