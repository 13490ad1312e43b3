//go:build !linux

package fvc

import "time"

// threadCPU is unavailable here; Run falls back to wall-clock time.
func threadCPU() (time.Duration, bool) { return 0, false }
