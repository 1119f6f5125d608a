//go:build !unix

package embedded

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
