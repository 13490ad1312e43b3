//go:build unix

package fingerprint

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time the process has used, so that
// benchmarks on a shared machine can report CPU time per operation.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
