//go:build linux

package quality

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time used so far by the calling OS thread, and
// whether it is known.
func threadCPU() (time.Duration, bool) {
	var r syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &r); err != nil {
		return 0, false
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano()), true
}
