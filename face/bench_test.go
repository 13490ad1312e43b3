package face

import (
	"testing"

	"github.com/bixproject/bix/face/nn"
)

// BenchmarkEmbed times one 150×150 chip through the dlib ResNet; cpu-ms/op
// is the process CPU time per chip (run with GOMAXPROCS=1 for one core).
func BenchmarkEmbed(b *testing.B) {
	e := testEngine(b)
	rgb := make([]float32, ChipSize*ChipSize*3)
	for i := range rgb {
		rgb[i] = synthPixel(i/(ChipSize*3), i/3%ChipSize, i%3)
	}
	x, err := ChipTensor(rgb)
	if err != nil {
		b.Fatal(err)
	}
	c0 := processCPU()
	for b.Loop() {
		if _, err := e.emb.Forward(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkDetect times one 256×256 input through BlazeFace.
func BenchmarkDetect(b *testing.B) {
	e := testEngine(b)
	x := nn.New(DetectorSize, DetectorSize, 3)
	for i := range x.Data {
		x.Data[i] = synthPixel(i/(DetectorSize*3), i/3%DetectorSize, i%3)/127.5 - 1
	}
	c0 := processCPU()
	for b.Loop() {
		if _, err := e.det.Raw(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-c0)/1e6/float64(b.N), "cpu-ms/op")
}
