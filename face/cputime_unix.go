//go:build unix

package face

import "syscall"

// processCPU returns the CPU time (user+system) consumed by the process so
// far; a stage timed with it while nothing else runs in the process costs
// that much of one core, whatever other load the machine carries.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
