package synth

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Sheet returns a contact sheet to look at: one row per finger (fingers
// rows, finger i is NewFinger(FingerSeed(seed, i))) showing the master and
// then impressions 1…impressions, each halved in size and labelled.
// At most 50 rows and 20 impressions are drawn.
func Sheet(seed int64, fingers, impressions int) *image.Gray {
	fingers = max(1, min(fingers, 50))
	impressions = max(0, min(impressions, 20))
	const cw, ch, pad, label = masterWidth / 2, masterHeight / 2, 6, 14
	cols := impressions + 1
	W := cols*(cw+pad) + pad
	H := fingers*(ch+pad+label) + pad
	sheet := image.NewGray(image.Rect(0, 0, W, H))
	draw.Draw(sheet, sheet.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: sheet, Src: image.Black, Face: basicfont.Face7x13}
	rows := make([][]*image.Gray, fingers)
	parallelFor(fingers, func(f int) error {
		m := NewFinger(FingerSeed(seed, f))
		row := []*image.Gray{m.MasterImage()}
		for i := 1; i <= impressions; i++ {
			row = append(row, m.Impression(int64(i), ImpressionOptions{Width: masterWidth, Height: masterHeight}))
		}
		rows[f] = row
		return nil
	})
	for f, row := range rows {
		y0 := pad + f*(ch+pad+label)
		m := NewFinger(FingerSeed(seed, f))
		for c, img := range row {
			x0 := pad + c*(cw+pad)
			halve(sheet, img, x0, y0+label)
			text := fmt.Sprintf("%d_%d", f+1, c)
			if c == 0 {
				text = fmt.Sprintf("finger %d master (%s)", f+1, m.Class)
			}
			d.Dot = fixed.P(x0, y0+label-3)
			d.DrawString(text)
		}
	}
	return sheet
}

// halve draws src at half size with its top-left corner at (x0, y0).
func halve(dst *image.Gray, src *image.Gray, x0, y0 int) {
	b := src.Bounds()
	for y := 0; y+1 < b.Dy(); y += 2 {
		for x := 0; x+1 < b.Dx(); x += 2 {
			i := y*src.Stride + x
			s := int(src.Pix[i]) + int(src.Pix[i+1]) + int(src.Pix[i+src.Stride]) + int(src.Pix[i+src.Stride+1])
			dst.SetGray(x0+x/2, y0+y/2, colorGray(uint8(s/4)))
		}
	}
}

func colorGray(v uint8) color.Gray { return color.Gray{Y: v} }
