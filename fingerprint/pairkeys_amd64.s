#include "textflag.h"

// func hasPOPCNT() bool
TEXT ·hasPOPCNT(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $23, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// Offsets in a cylinder (TestCylinderLayout): bits [6]uint64 at 0, valid
// at 48, planes [3]uint64 at 56; size 104.
#define CYL_VALID 48
#define CYL_PLANES 56
#define CYL_SIZE 104

// func pairKeysAsm(ca, cb *cylinder, n int, ij uint32, keys *uint32, recip *uint64) int
//
// DI ca, SI cb (advancing), CX pairs left, DX ij+j, R12 keys, R13 recip,
// BX keys written; AX |x∧y|, R8 common valid cells v, R9–R11 scratch.
TEXT ·pairKeysAsm(SB), NOSPLIT, $0-56
	MOVQ ca+0(FP), DI
	MOVQ cb+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL ij+24(FP), DX
	MOVQ keys+32(FP), R12
	MOVQ recip+40(FP), R13
	XORQ BX, BX

loop:
	// v = valid cells in common; skip the pair below mccMinCommon (32).
	MOVQ CYL_VALID(SI), R8
	ANDQ CYL_VALID(DI), R8
	POPCNTQ R8, R9
	CMPQ R9, $32
	JLT next

	// AX = |x∧y|, the six direction slices.
	MOVQ 0(DI), AX
	ANDQ 0(SI), AX
	POPCNTQ AX, AX
	MOVQ 8(DI), R9
	ANDQ 8(SI), R9
	POPCNTQ R9, R9
	MOVQ 16(DI), R10
	ANDQ 16(SI), R10
	POPCNTQ R10, R10
	MOVQ 24(DI), R11
	ANDQ 24(SI), R11
	POPCNTQ R11, R11
	ADDQ R9, AX
	ADDQ R11, R10
	MOVQ 32(DI), R9
	ANDQ 32(SI), R9
	POPCNTQ R9, R9
	MOVQ 40(DI), R11
	ANDQ 40(SI), R11
	POPCNTQ R11, R11
	ADDQ R10, AX
	ADDQ R11, R9
	ADDQ R9, AX

	// R9 = |x|+|y|: each side's per-cell count planes (weights 1, 2, 4)
	// masked by v.
	MOVQ CYL_PLANES+0(DI), R9
	ANDQ R8, R9
	POPCNTQ R9, R9
	MOVQ CYL_PLANES+0(SI), R10
	ANDQ R8, R10
	POPCNTQ R10, R10
	ADDQ R10, R9
	MOVQ CYL_PLANES+8(DI), R10
	ANDQ R8, R10
	POPCNTQ R10, R10
	MOVQ CYL_PLANES+8(SI), R11
	ANDQ R8, R11
	POPCNTQ R11, R11
	ADDQ R11, R10
	LEAQ (R9)(R10*2), R9
	MOVQ CYL_PLANES+16(DI), R10
	ANDQ R8, R10
	POPCNTQ R10, R10
	MOVQ CYL_PLANES+16(SI), R11
	ANDQ R8, R11
	POPCNTQ R11, R11
	ADDQ R11, R10
	LEAQ (R9)(R10*4), R9

	// key = uint32(and·recip[nab] >> 16) << 16 | ij, written always,
	// counted when and ≠ 0.
	MOVQ (R13)(R9*8), R10
	IMULQ AX, R10
	SHRQ $16, R10
	SHLL $16, R10
	ORL DX, R10
	MOVL R10, (R12)(BX*4)
	XORL R11, R11
	TESTQ AX, AX
	SETNE R11
	ADDQ R11, BX

next:
	ADDQ $CYL_SIZE, SI
	INCL DX
	DECQ CX
	JNZ loop

	MOVQ BX, ret+48(FP)
	RET
