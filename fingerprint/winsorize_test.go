package fingerprint

import (
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// speckledGrating is a faint grating (±amp gray levels around 170, period 9,
// direction theta) with dark specks of radius 2 at 30 gray levels covering
// about frac of the image: the pattern of a dry impression with pores and
// dirt.
func speckledGrating(w, h int, theta, amp, frac float64, seed uint64) *image.Gray {
	g := grating(w, h, theta, 9, 0, seed) // 128 ± 80, rescaled below
	rng := rand.New(rand.NewPCG(seed, 2))
	for i, v := range g.Pix {
		f := 170 + (float64(v)-128)*amp/80 + rng.NormFloat64()*2
		g.Pix[i] = uint8(max(0, min(255, math.Round(f))))
	}
	for n := int(frac * float64(w*h) / 13); n > 0; n-- {
		cx, cy := rng.IntN(w), rng.IntN(h)
		for y := max(cy-2, 0); y <= min(cy+2, h-1); y++ {
			for x := max(cx-2, 0); x <= min(cx+2, w-1); x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= 4 {
					g.Pix[y*g.Stride+x] = 30
				}
			}
		}
	}
	return g
}

// fragments is a light, speckled ground (230 ± 12 gray levels) with the
// ridges of a grating drawn only as short dark dashes: the pattern where the
// dark tail is the ridges, which winsorizing would flatten.
func fragments(w, h int, theta float64, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 3))
	nx, ny := -math.Sin(theta), math.Cos(theta)
	tx, ty := math.Cos(theta), math.Sin(theta)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 230 + rng.NormFloat64()*12
			across := math.Mod(float64(x)*nx+float64(y)*ny+1000*9, 9)
			along := math.Mod(float64(x)*tx+float64(y)*ty+1000*12, 12)
			if across < 2.5 && along < 7 {
				v = 110 + rng.NormFloat64()*12
			}
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, math.Round(v))))
		}
	}
	return g
}

// bandReference is median ± winsorK·madSigma·max(MAD, 1) of the pixels of g
// in the foreground blocks of mask, by sorting.
func bandReference(g *image.Gray, mask []bool, bw int) (lo, hi float32) {
	var v []int
	b := g.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if mask[(y/blockSize)*bw+x/blockSize] {
				v = append(v, int(g.Pix[y*g.Stride+x]))
			}
		}
	}
	slices.Sort(v)
	med := v[(len(v)-1)/2]
	d := make([]int, len(v))
	for i, x := range v {
		d[i] = max(x-med, med-x)
	}
	slices.Sort(d)
	r := float32(winsorK * madSigma * float64(max(d[(len(d)-1)/2], 1)))
	return float32(med) - r, float32(med) + r
}

// padded is g as loadPadded lays it out for a.
func padded(a *analysis, g *image.Gray) []float32 {
	b := new(analysis)
	b.w, b.h, b.pw, b.ph = a.w, a.h, a.pw, a.ph
	b.loadPadded(g)
	return b.img
}

// saturated is a grating brightened until 55 % of its pixels are 255: a
// print more than half of which is one saturated level, MAD 0.
func saturated(w, h int) *image.Gray {
	g := grating(w, h, 0.7, 9, 0, 1)
	for i, v := range g.Pix {
		g.Pix[i] = uint8(min(255, int(v)+140))
	}
	return g
}

func TestWinsorize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		g       *image.Gray
		outside bool
		lo      float32 // the band's lower end when the case pins it
	}{
		{"clean grating", grating(160, 160, 0.7, 9, 0, 1), false, 0},
		{"noisy grating", grating(160, 160, 0.7, 9, 20, 1), false, 0},
		{"faint grating with specks", speckledGrating(160, 160, 0.7, 8, 0.05, 1), true, 0},
		{"fragments", fragments(160, 160, 0.7, 1), true, 0},
		{"saturated: MAD taken as one level", saturated(160, 160), true, 255 - winsorK*madSigma},
	} {
		a := new(analysis)
		if err := a.run(tc.g, false); err != nil {
			t.Fatal(err)
		}
		a.img = padded(a, tc.g) // undo limitOutliers
		lo, hi := bandReference(tc.g, a.mask, a.bw)
		if tc.lo != 0 && lo != tc.lo {
			t.Errorf("%s: band %.2f..%.2f, want it from %.2f", tc.name, lo, hi, tc.lo)
		}
		dst := make([]float32, len(a.img))
		for i := range dst {
			dst[i] = -1
		}
		got := a.winsorize(dst)
		if got != tc.outside {
			t.Errorf("%s: winsorize %v, want %v (band %.1f..%.1f)", tc.name, got, tc.outside, lo, hi)
			continue
		}
		for i, v := range a.img {
			want := min(max(v, lo), hi)
			if !got {
				want = -1 // untouched
			}
			if dst[i] != want {
				t.Fatalf("%s: pixel %d: %v limited to %v, want %v (band %.1f..%.1f)", tc.name, i, v, dst[i], want, lo, hi)
			}
		}
	}
}

// TestLimitOutliers checks which image limitOutliers keeps and that the
// field it leaves is the field of that image.
func TestLimitOutliers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		g          *image.Gray
		winsorized bool
	}{
		{"clean grating", grating(192, 192, 0.7, 9, 0, 1), false},
		{"faint grating with specks", speckledGrating(192, 192, 0.7, 8, 0.05, 1), true},
		{"fragments", fragments(192, 192, 0.7, 1), false},
	} {
		a := new(analysis)
		if err := a.run(tc.g, false); err != nil {
			t.Fatal(err)
		}
		orig := padded(a, tc.g)
		if got := !slices.Equal(a.img, orig); got != tc.winsorized {
			t.Errorf("%s: winsorized image kept %v, want %v", tc.name, got, tc.winsorized)
		}
		// The field must be the one measured on the image kept.
		theta, coh := slices.Clone(a.theta), slices.Clone(a.coh)
		kept := a.meanCoherence()
		a.orientation()
		if !slices.Equal(theta, a.theta) || !slices.Equal(coh, a.coh) {
			t.Errorf("%s: field differs from the field of the image kept", tc.name)
		}
		a.img = orig
		a.orientation()
		if given := a.meanCoherence(); kept < given {
			t.Errorf("%s: mean coherence %.3f, below the image as given (%.3f)", tc.name, kept, given)
		} else {
			t.Logf("%s: mean coherence %.3f (image as given %.3f)", tc.name, kept, given)
		}
	}
}
