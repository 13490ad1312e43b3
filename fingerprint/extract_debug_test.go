package fingerprint

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var debugDir = flag.String("fpdebug", "", "write extraction stage images for -fpdebug-files to this directory")
var debugFiles = flag.String("fpdebug-files", "", "glob of images for -fpdebug")

func TestDebugDump(t *testing.T) {
	if *debugDir == "" {
		t.Skip("no -fpdebug")
	}
	files, _ := filepath.Glob(*debugFiles)
	for _, f := range files {
		g, err := LoadImage(f)
		if err != nil {
			t.Fatal(err)
		}
		a := new(analysis)
		if err := a.run(g, true); err != nil {
			t.Log(f, err)
			continue
		}
		tpl, err := Extract(g, ExtractOptions{})
		q := a.quality()
		n := 0
		if tpl != nil {
			n = len(tpl.Minutiae)
		}
		t.Logf("%s: median period %.2f scale %.3f fg %d/%d minutiae %d err %v quality %+v", f, a.medianPeriod, a.estimatedScale(), a.fgBlocks, a.bw*a.bh, n, err, q)
		if *debugDir == "-" {
			continue
		}
		out := image.NewRGBA(image.Rect(0, 0, 5*a.w, a.h))
		for y := 0; y < a.h; y++ {
			for x := 0; x < a.w; x++ {
				p := (y+pad)*a.pw + x + pad
				v := uint8(a.img[p])
				b := (y/blockSize)*a.bw + x/blockSize
				c := color.RGBA{v, v, v, 255}
				if !a.mask[b] {
					c = color.RGBA{v / 2, v / 2, v, 255}
				}
				out.Set(x, y, c)
				e := a.enh[p]
				ev := uint8(max(0, min(255, 128+e*2)))
				out.Set(a.w+x, y, color.RGBA{ev, ev, ev, 255})
				s := uint8(255)
				if a.skel[p] != 0 {
					s = 0
				}
				out.Set(2*a.w+x, y, color.RGBA{s, s, s, 255})
				cl := uint8(max(0, min(255, a.clarity[b]*255)))
				out.Set(3*a.w+x, y, color.RGBA{cl, cl, cl, 255})
				ch := uint8(max(0, min(255, a.coh[b]*255)))
				out.Set(4*a.w+x, y, color.RGBA{ch, ch, uint8(min(255, a.energy[b]/20)), 255})
			}
		}
		if tpl != nil {
			for _, m := range tpl.Minutiae {
				col := color.RGBA{255, 0, 0, 255}
				if m.Kind == KindBifurcation {
					col = color.RGBA{0, 160, 255, 255}
				}
				for d := -2; d <= 2; d++ {
					for e := -2; e <= 2; e++ {
						out.Set(2*a.w+m.X+d, m.Y+e, col)
					}
				}
				for r := 3; r < 12; r++ {
					out.Set(2*a.w+m.X+int(float64(r)*math.Cos(m.Angle)), m.Y-int(float64(r)*math.Sin(m.Angle)), col)
				}
			}
		}
		fo, _ := os.Create(filepath.Join(*debugDir, fmt.Sprintf("%s_%s.png", filepath.Base(filepath.Dir(f)), filepath.Base(f))))
		png.Encode(fo, out)
		fo.Close()
	}
}
