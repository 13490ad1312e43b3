//go:build amd64 && !purego

#include "textflag.h"

// SSE2 kernels (the amd64 baseline: no feature test). Multiplies and adds
// are separate instructions (no FMA), in the order of the Go twins in
// kernels.go, so the results are bit-identical to them.

// func sgemm4x8SSE(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
//
// C[r][0:8] += Σ_p A[r][p]·B[p][0:8] for rows r = 0..3, p ascending;
// lda, ldb, ldc are row strides in elements.
TEXT ·sgemm4x8SSE(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DX
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DI
	MOVQ ldc+48(FP), R10
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (SI)(R8*1), R11
	LEAQ (SI)(R8*2), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (DI)(R10*1), AX
	LEAQ (DI)(R10*2), BX
	LEAQ (BX)(R10*1), R14
	MOVUPS (DI), X0
	MOVUPS 16(DI), X1
	MOVUPS (AX), X2
	MOVUPS 16(AX), X3
	MOVUPS (BX), X4
	MOVUPS 16(BX), X5
	MOVUPS (R14), X6
	MOVUPS 16(R14), X7
	TESTQ CX, CX
	JEQ   gstore

gloop:
	MOVUPS (DX), X8
	MOVUPS 16(DX), X9

	MOVSS  (SI), X10
	SHUFPS $0, X10, X10
	MOVAPS X8, X11
	MULPS  X10, X11
	ADDPS  X11, X0
	MULPS  X9, X10
	ADDPS  X10, X1

	MOVSS  (R11), X12
	SHUFPS $0, X12, X12
	MOVAPS X8, X13
	MULPS  X12, X13
	ADDPS  X13, X2
	MULPS  X9, X12
	ADDPS  X12, X3

	MOVSS  (R12), X10
	SHUFPS $0, X10, X10
	MOVAPS X8, X11
	MULPS  X10, X11
	ADDPS  X11, X4
	MULPS  X9, X10
	ADDPS  X10, X5

	MOVSS  (R13), X12
	SHUFPS $0, X12, X12
	MULPS  X12, X8
	ADDPS  X8, X6
	MULPS  X9, X12
	ADDPS  X12, X7

	ADDQ $4, SI
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ R9, DX
	DECQ CX
	JNE  gloop

gstore:
	MOVUPS X0, (DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, (AX)
	MOVUPS X3, 16(AX)
	MOVUPS X4, (BX)
	MOVUPS X5, 16(BX)
	MOVUPS X6, (R14)
	MOVUPS X7, 16(R14)
	RET

// func dw3x3SSE(dst, s0, s1, s2, f *float32, n, c, step int)
//
// For o < n and channels i < c (c a positive multiple of 4):
// dst[o*c+i] += Σ_{ky,kx} s_ky[o*step+kx*c+i]·f[(3ky+kx)*c+i], taps in
// the order ky, kx.
TEXT ·dw3x3SSE(SB), NOSPLIT, $0-64
	MOVQ c+48(FP), R8
	MOVQ step+56(FP), R9
	SHLQ $2, R8
	SHLQ $2, R9
	XORQ BX, BX

dchan:
	MOVQ   f+32(FP), R10
	ADDQ   BX, R10
	MOVUPS (R10), X0
	MOVUPS (R10)(R8*1), X1
	MOVUPS (R10)(R8*2), X2
	LEAQ   (R10)(R8*2), R10
	ADDQ   R8, R10
	MOVUPS (R10), X3
	MOVUPS (R10)(R8*1), X4
	MOVUPS (R10)(R8*2), X5
	LEAQ   (R10)(R8*2), R10
	ADDQ   R8, R10
	MOVUPS (R10), X6
	MOVUPS (R10)(R8*1), X7
	MOVUPS (R10)(R8*2), X8

	MOVQ dst+0(FP), DI
	MOVQ s0+8(FP), SI
	MOVQ s1+16(FP), DX
	MOVQ s2+24(FP), R11
	ADDQ BX, DI
	ADDQ BX, SI
	ADDQ BX, DX
	ADDQ BX, R11
	MOVQ n+40(FP), CX

dpos:
	MOVUPS (DI), X9
	MOVUPS (SI), X10
	MULPS  X0, X10
	ADDPS  X10, X9
	MOVUPS (SI)(R8*1), X11
	MULPS  X1, X11
	ADDPS  X11, X9
	MOVUPS (SI)(R8*2), X10
	MULPS  X2, X10
	ADDPS  X10, X9
	MOVUPS (DX), X11
	MULPS  X3, X11
	ADDPS  X11, X9
	MOVUPS (DX)(R8*1), X10
	MULPS  X4, X10
	ADDPS  X10, X9
	MOVUPS (DX)(R8*2), X11
	MULPS  X5, X11
	ADDPS  X11, X9
	MOVUPS (R11), X10
	MULPS  X6, X10
	ADDPS  X10, X9
	MOVUPS (R11)(R8*1), X11
	MULPS  X7, X11
	ADDPS  X11, X9
	MOVUPS (R11)(R8*2), X10
	MULPS  X8, X10
	ADDPS  X10, X9
	MOVUPS X9, (DI)
	ADDQ   R8, DI
	ADDQ   R9, SI
	ADDQ   R9, DX
	ADDQ   R9, R11
	DECQ   CX
	JNE    dpos

	ADDQ $16, BX
	CMPQ BX, R8
	JLT  dchan
	RET

// func addReluSSE(a, b *float32, n int)
//
// a[i] = relu(a[i]+b[i]) for i < n (n a multiple of 8): the sum with the
// sign bit spread over the lane cleared, as reluScalar does.
TEXT ·addReluSSE(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JEQ  ardone

arloop:
	MOVUPS (DI), X0
	MOVUPS 16(DI), X1
	MOVUPS (SI), X2
	MOVUPS 16(SI), X3
	ADDPS  X2, X0
	ADDPS  X3, X1
	MOVAPS X0, X2
	MOVAPS X1, X3
	PSRAL  $31, X2
	PSRAL  $31, X3
	ANDNPS X0, X2
	ANDNPS X1, X3
	MOVUPS X2, (DI)
	MOVUPS X3, 16(DI)
	ADDQ   $32, DI
	ADDQ   $32, SI
	DECQ   CX
	JNE    arloop

ardone:
	RET

// func reluSSE(a *float32, n int)
//
// a[i] = relu(a[i]) for i < n (n a multiple of 8), as reluScalar.
TEXT ·reluSSE(SB), NOSPLIT, $0-16
	MOVQ a+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JEQ  rdone

rloop:
	MOVUPS (DI), X0
	MOVUPS 16(DI), X1
	MOVAPS X0, X2
	MOVAPS X1, X3
	PSRAL  $31, X2
	PSRAL  $31, X3
	ANDNPS X0, X2
	ANDNPS X1, X3
	MOVUPS X2, (DI)
	MOVUPS X3, 16(DI)
	ADDQ   $32, DI
	DECQ   CX
	JNE    rloop

rdone:
	RET
