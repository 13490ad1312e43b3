package synth

import (
	"syscall"
	"testing"
	"time"

	"github.com/bixproject/bix/fingerprint"
)

// cpuTime returns the process's user+system CPU time. The benchmarks report
// CPU milliseconds per operation beside wall time because this project's
// machines are shared: on a loaded machine the wall time per operation
// includes waiting for a core, the CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration, perOp float64) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/(float64(b.N)*perOp), "cpu-ms/op")
}

func BenchmarkMasterGrow(b *testing.B) {
	c := cpuTime()
	for i := 0; b.Loop(); i++ {
		NewFinger(int64(i)).master()
	}
	reportCPU(b, c, 1)
}

func BenchmarkMasterMinutiae(b *testing.B) {
	c := cpuTime()
	for i := 0; b.Loop(); i++ {
		m := NewFinger(int64(i))
		m.master()
		extractMaster(m)
	}
	reportCPU(b, c, 1)
}

// BenchmarkImpression is the cost of one 388×374 impression image of a
// master that already exists (the target is ≥ 10 per second per core).
func BenchmarkImpression(b *testing.B) {
	m := NewFinger(1)
	m.master()
	c := cpuTime()
	for i := 0; b.Loop(); i++ {
		m.Impression(int64(i), ImpressionOptions{})
	}
	reportCPU(b, c, 1)
}

func BenchmarkImpressionTemplate(b *testing.B) {
	m := NewFinger(1)
	m.masterMinutiae()
	c := cpuTime()
	for i := 0; b.Loop(); i++ {
		m.ImpressionTemplate(int64(i), ImpressionOptions{})
	}
	reportCPU(b, c, 1)
}

// BenchmarkTemplates is Templates' throughput with 20 masters per 20,000
// templates (all CPUs), reported as templates per second.
func BenchmarkTemplates(b *testing.B) {
	const n = 20000
	c := cpuTime()
	for i := 0; b.Loop(); i++ {
		Templates(int64(i), n, TemplateOptions{Fingers: 20}, func(int, int, *fingerprint.Template) error { return nil })
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "templates/s")
	reportCPU(b, c, n)
}
