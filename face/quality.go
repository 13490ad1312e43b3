package face

import "math"

// Quality rates a face for recognition. Usable is false, with Reason
// saying why, when the face is too small, turned too far, blurred or badly
// exposed.
type Quality struct {
	Usable bool
	Reason string
	// EyeDistance is the distance between the eye centres in image pixels.
	EyeDistance float64
	// Yaw is the horizontal offset of the nose tip from the eyes' midpoint
	// over the eye distance (0 frontal, ±0.5 about a half profile); Roll is
	// the angle of the eye line in degrees.
	Yaw, Roll float64
	// Sharpness is the variance of the Laplacian of the chip's luminance.
	Sharpness float64
	// Brightness is the mean luminance (0..255) of the chip's central half,
	// Clipped the fraction of its pixels at or below 5 or at or above 250.
	Brightness, Clipped float64
	// Score combines the above in 0..1 (1 best).
	Score float64
}

// Quality thresholds.
const (
	MinEyeDistance = 20   // pixels
	MaxYaw         = 0.45 // nose offset / eye distance
	MinSharpness   = 15   // Laplacian variance on the 150×150 chip
	MinBrightness  = 40
	MaxBrightness  = 220
	MaxClipped     = 0.25
)

func assess(d *Detection, chip rgb, t affine) Quality {
	re, le, nose := d.Keypoints[RightEye], d.Keypoints[LeftEye], d.Keypoints[NoseTip]
	q := Quality{EyeDistance: math.Hypot(le.X-re.X, le.Y-re.Y)}
	q.Roll = math.Atan2(le.Y-re.Y, le.X-re.X) * 180 / math.Pi
	if q.EyeDistance > 0 {
		// Offset of the nose along the eye line, from the midpoint.
		mx, my := (re.X+le.X)/2, (re.Y+le.Y)/2
		ux, uy := (le.X-re.X)/q.EyeDistance, (le.Y-re.Y)/q.EyeDistance
		q.Yaw = ((nose.X-mx)*ux + (nose.Y-my)*uy) / q.EyeDistance
	}
	// Luminance of the chip.
	n := chip.w * chip.h
	lum := make([]float64, n)
	for i := 0; i < n; i++ {
		lum[i] = 0.299*float64(chip.pix[3*i]) + 0.587*float64(chip.pix[3*i+1]) + 0.114*float64(chip.pix[3*i+2])
	}
	var sum, sum2 float64
	cnt := 0
	for y := 1; y < chip.h-1; y++ {
		for x := 1; x < chip.w-1; x++ {
			l := 4*lum[y*chip.w+x] - lum[y*chip.w+x-1] - lum[y*chip.w+x+1] - lum[(y-1)*chip.w+x] - lum[(y+1)*chip.w+x]
			sum += l
			sum2 += l * l
			cnt++
		}
	}
	if cnt > 0 {
		m := sum / float64(cnt)
		// The chip is resampled: a chip magnified from a small face is
		// smooth, which is blur for recognition too.
		q.Sharpness = sum2/float64(cnt) - m*m
	}
	var bs float64
	clipped, bc := 0, 0
	for y := chip.h / 4; y < chip.h*3/4; y++ {
		for x := chip.w / 4; x < chip.w*3/4; x++ {
			l := lum[y*chip.w+x]
			bs += l
			if l <= 5 || l >= 250 {
				clipped++
			}
			bc++
		}
	}
	if bc > 0 {
		q.Brightness = bs / float64(bc)
		q.Clipped = float64(clipped) / float64(bc)
	}
	switch {
	case q.EyeDistance < MinEyeDistance:
		q.Reason = "face too small"
	case math.Abs(q.Yaw) > MaxYaw:
		q.Reason = "head turned too far"
	case q.Sharpness < MinSharpness:
		q.Reason = "blurred"
	case q.Brightness < MinBrightness || (q.Clipped > MaxClipped && q.Brightness < 128):
		q.Reason = "underexposed"
	case q.Brightness > MaxBrightness || q.Clipped > MaxClipped:
		q.Reason = "overexposed"
	default:
		q.Usable = true
	}
	// Score: product of soft factors in 0..1.
	f := func(v, lo, good float64) float64 { return math.Max(0, math.Min(1, (v-lo)/(good-lo))) }
	q.Score = f(q.EyeDistance, MinEyeDistance/2, 2*MinEyeDistance) *
		(1 - math.Min(1, math.Abs(q.Yaw)/(2*MaxYaw))) *
		f(q.Sharpness, MinSharpness/2, 4*MinSharpness) *
		(1 - math.Min(1, math.Abs(q.Brightness-128)/128)) * (1 - q.Clipped)
	_ = t
	return q
}
