//go:build !linux

package quality

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
