package fingerprint

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestCylinderLayout checks the offsets pairkeys_amd64.s assumes.
func TestCylinderLayout(t *testing.T) {
	var c cylinder
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"bits", unsafe.Offsetof(c.bits), 0},
		{"valid", unsafe.Offsetof(c.valid), 48},
		{"planes", unsafe.Offsetof(c.planes), 56},
		{"size", unsafe.Sizeof(c), 104},
	} {
		if f.got != f.want {
			t.Errorf("cylinder %s at %d, pairkeys_amd64.s assumes %d", f.name, f.got, f.want)
		}
	}
}

func TestPairKeysAsmMatchesGo(t *testing.T) {
	if !usePairKeysAsm {
		t.Skip("CPU without POPCNT: pairKeys is pairKeysGo")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	cs := make([]cylinder, maxMatchM)
	var want, got [maxMatchM]uint32
	for n := 0; n < 2000; n++ {
		for i := range cs {
			cs[i] = randomCylinder(rng)
		}
		// Real cylinders too: synthetic templates' own.
		if n%2 == 1 {
			copy(cs, cylinders(matchPoints(synthTemplate(rng, 20+rng.IntN(44)))))
		}
		ca := randomCylinder(rng)
		if n%3 == 0 {
			ca = cs[rng.IntN(len(cs))]
		}
		lo := rng.IntN(len(cs))
		hi := lo + 1 + rng.IntN(len(cs)-lo)
		ij := uint32(rng.IntN(64))<<8 | uint32(lo)
		nw := pairKeysGo(&ca, cs[lo:hi], ij, want[:])
		ng := pairKeysAsm(&ca, &cs[lo], hi-lo, ij, &got[0], &recipTable[0])
		if ng != nw || !slices.Equal(got[:ng], want[:nw]) {
			t.Fatalf("case %d: assembly %d keys %x, Go %d keys %x", n, ng, got[:ng], nw, want[:nw])
		}
	}
}
