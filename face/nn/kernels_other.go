//go:build !amd64 || purego

package nn

var (
	gemmDefault    = gemmBLAS
	dw3x3Default   = dw3x3Go
	reluDefault    = reluScalar
	addReluDefault = addReluScalar
	defaultKernel  = "blas32"
)
