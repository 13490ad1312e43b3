package fvc

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/bixproject/bix/fingerprint"
)

// maxXYTLines bounds the minutiae read from one .xyt file.
const maxXYTLines = 1 << 16

// ParseXYT reads NIST NBIS minutiae in the .xyt text format that mindtct
// writes (one minutia per line: x, y, direction in degrees, quality 0..100,
// separated by blanks). NBIS puts the origin at the bottom-left corner with
// y up and measures directions counter-clockwise; ParseXYT flips y about
// the highest y in the file so that coordinates follow the Template
// conventions (y down; directions then keep their visual meaning). The
// template's size is the bounding box of the minutiae and its resolution
// the res argument (pixels per inch).
func ParseXYT(r io.Reader, res int) (*fingerprint.Template, error) {
	type row struct {
		x, y, q int
		a       float64
	}
	var rows []row
	sc := bufio.NewScanner(r)
	line := 0
	maxY, maxX := 0, 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 3 || len(f) > 4 {
			return nil, fmt.Errorf("xyt line %d: %d fields, want 3 or 4", line, len(f))
		}
		var v [4]int
		for i, s := range f {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("xyt line %d field %d: %v", line, i+1, err)
			}
			v[i] = n
		}
		if v[0] < 0 || v[1] < 0 || v[0] > 0x3fff || v[1] > 0x3fff || v[3] < 0 || v[3] > 100 {
			return nil, fmt.Errorf("xyt line %d: x %d, y %d or quality %d out of range", line, v[0], v[1], v[3])
		}
		if len(rows) == maxXYTLines {
			return nil, fmt.Errorf("xyt line %d: more than %d minutiae", line, maxXYTLines)
		}
		a := math.Mod(float64(v[2]), 360)
		if a < 0 {
			a += 360
		}
		rows = append(rows, row{x: v[0], y: v[1], a: a * math.Pi / 180, q: v[3]})
		maxY, maxX = max(maxY, v[1]), max(maxX, v[0])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("xyt line %d: %w", line+1, err)
	}
	t := &fingerprint.Template{Width: maxX + 1, Height: maxY + 1, Resolution: res}
	for _, r := range rows {
		t.Minutiae = append(t.Minutiae, fingerprint.Minutia{X: r.x, Y: maxY - r.y, Angle: r.a, Kind: fingerprint.KindOther, Quality: uint8(r.q)})
	}
	return t, nil
}
