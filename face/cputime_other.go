//go:build !unix

package face

// processCPU is unavailable here; CPU timings read 0.
func processCPU() int64 { return 0 }
