//go:build !amd64

package fingerprint

// pairKeys is pairKeysGo (an assembly version exists on amd64 only).
func pairKeys(ca *cylinder, cb []cylinder, ij uint32, keys []uint32) int {
	return pairKeysGo(ca, cb, ij, keys)
}
