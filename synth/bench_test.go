package synth

import (
	"testing"

	"github.com/bixproject/bix/fingerprint"
)

func BenchmarkMasterGrow(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		NewFinger(int64(i)).master()
	}
}

func BenchmarkMasterMinutiae(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		m := NewFinger(int64(i))
		m.master()
		extractMaster(m)
	}
}

// BenchmarkImpression is the cost of one 400×448 impression image of a
// master that already exists (the target is ≥ 10 per second per core).
func BenchmarkImpression(b *testing.B) {
	m := NewFinger(1)
	m.master()
	for i := 0; b.Loop(); i++ {
		m.Impression(int64(i), ImpressionOptions{})
	}
}

func BenchmarkImpressionTemplate(b *testing.B) {
	m := NewFinger(1)
	m.masterMinutiae()
	for i := 0; b.Loop(); i++ {
		m.ImpressionTemplate(int64(i), ImpressionOptions{})
	}
}

// BenchmarkTemplates is Templates' throughput with 20 masters per 20,000
// templates (all CPUs), reported as templates per second.
func BenchmarkTemplates(b *testing.B) {
	const n = 20000
	for i := 0; b.Loop(); i++ {
		Templates(int64(i), n, TemplateOptions{Fingers: 20}, func(int, int, *fingerprint.Template) error { return nil })
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "templates/s")
}
