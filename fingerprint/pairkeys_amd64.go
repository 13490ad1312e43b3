package fingerprint

// hasPOPCNT reports whether the CPU has the POPCNT instruction (CPUID
// leaf 1, ECX bit 23).
func hasPOPCNT() bool

// pairKeysAsm is pairKeysGo over the n cylinders from cb (n > 0) in
// assembly with POPCNT: without GOAMD64=v2 the compiler guards every
// bits.OnesCount64 with a CPU feature test whose fallback call makes it
// spill the loop's registers. recip is &recipTable[0]; keys has room for
// n keys.
//
//go:noescape
func pairKeysAsm(ca, cb *cylinder, n int, ij uint32, keys *uint32, recip *uint64) int

// usePairKeysAsm is whether pairKeys uses pairKeysAsm.
var usePairKeysAsm = hasPOPCNT()

// pairKeys is pairKeysGo, in assembly where the CPU allows
// (TestPairKeysAsmMatchesGo).
func pairKeys(ca *cylinder, cb []cylinder, ij uint32, keys []uint32) int {
	if len(cb) == 0 {
		return 0
	}
	if !usePairKeysAsm {
		return pairKeysGo(ca, cb, ij, keys)
	}
	_ = keys[len(cb)-1]
	return pairKeysAsm(ca, &cb[0], len(cb), ij, &keys[0], &recipTable[0])
}
