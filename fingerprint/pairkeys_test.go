package fingerprint

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// randomCylinder is a cylinder with random bits in random valid cells
// (dense or sparse), its count planes computed as cylinders does.
func randomCylinder(rng *rand.Rand) cylinder {
	var c cylinder
	c.valid = mccInMask
	for k := rng.IntN(3); k > 0; k-- {
		c.valid &= rng.Uint64() | rng.Uint64()
	}
	for k := range c.bits {
		w := rng.Uint64()
		for d := rng.IntN(4); d > 0; d-- {
			w &= rng.Uint64()
		}
		c.bits[k] = w & c.valid
	}
	c.count()
	return c
}

// TestPairKeysCountsCommonBits checks pairKeysGo's key against the
// counts written plainly.
func TestPairKeysCountsCommonBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	var keys [1]uint32
	for n := 0; n < 5000; n++ {
		ca, cb := randomCylinder(rng), randomCylinder(rng)
		v := ca.valid & cb.valid
		and, nab := 0, 0
		for k := range ca.bits {
			and += bits.OnesCount64(ca.bits[k] & cb.bits[k])
			nab += bits.OnesCount64(ca.bits[k]&v) + bits.OnesCount64(cb.bits[k]&v)
		}
		wantN := 0
		if bits.OnesCount64(v) >= mccMinCommon && and > 0 {
			wantN = 1
		}
		got := pairKeys(&ca, []cylinder{cb}, 7<<8|3, keys[:])
		if got != wantN || got == 1 && keys[0] != simKey(and, nab, 7, 3) {
			t.Fatalf("pairKeys = %d key %x, want %d key %x (and %d, |x|+|y| %d)", got, keys[0], wantN, simKey(and, nab, 7, 3), and, nab)
		}
	}
}
