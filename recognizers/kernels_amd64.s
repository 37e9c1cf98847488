//go:build amd64 && !purego

#include "textflag.h"

// AVX2/FMA kernels of gemm; see kernels_amd64.go for their contracts.

// func kernNN6x16(k int, a *[6]unsafe.Pointer, sa uintptr, b unsafe.Pointer, ldb uintptr, c *[6]unsafe.Pointer)
//
// Twelve accumulators (Y0-Y11: row r in Y2r, Y2r+1) hold a 6×16 block of
// C; each step of the inner dimension loads 16 floats of B (Y12, Y13) and
// broadcasts one element of each row of A (Y14, Y15).
TEXT ·kernNN6x16(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ sa+16(FP), DX
	MOVQ b+24(FP), SI
	MOVQ ldb+32(FP), DI
	XORQ BX, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ store
loop:
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	VBROADCASTSS (R8)(BX*1), Y14
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VBROADCASTSS (R9)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS (R10)(BX*1), Y14
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VBROADCASTSS (R11)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS (R12)(BX*1), Y14
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VBROADCASTSS (R13)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ DX, BX
	ADDQ DI, SI
	DECQ CX
	JNZ loop
store:
	MOVQ c+40(FP), AX
	MOVQ 0(AX), R8
	VADDPS (R8), Y0, Y0
	VADDPS 32(R8), Y1, Y1
	VMOVUPS Y0, (R8)
	VMOVUPS Y1, 32(R8)
	MOVQ 8(AX), R8
	VADDPS (R8), Y2, Y2
	VADDPS 32(R8), Y3, Y3
	VMOVUPS Y2, (R8)
	VMOVUPS Y3, 32(R8)
	MOVQ 16(AX), R8
	VADDPS (R8), Y4, Y4
	VADDPS 32(R8), Y5, Y5
	VMOVUPS Y4, (R8)
	VMOVUPS Y5, 32(R8)
	MOVQ 24(AX), R8
	VADDPS (R8), Y6, Y6
	VADDPS 32(R8), Y7, Y7
	VMOVUPS Y6, (R8)
	VMOVUPS Y7, 32(R8)
	MOVQ 32(AX), R8
	VADDPS (R8), Y8, Y8
	VADDPS 32(R8), Y9, Y9
	VMOVUPS Y8, (R8)
	VMOVUPS Y9, 32(R8)
	MOVQ 40(AX), R8
	VADDPS (R8), Y10, Y10
	VADDPS 32(R8), Y11, Y11
	VMOVUPS Y10, (R8)
	VMOVUPS Y11, 32(R8)
	VZEROUPPER
	RET

// func kernDot3x4(k int, a *[3]unsafe.Pointer, b *[4]unsafe.Pointer, out *[12][8]float32)
//
// Twelve accumulators (Y0-Y11: pair (r, s) in Y(4r+s)) hold eight partial
// sums of each of the 3×4 dot products; each step loads eight floats of the
// three rows of A (Y12-Y14) and, one after the other, of the four rows of B
// (Y15).
TEXT ·kernDot3x4(SB), NOSPLIT, $0-32
	MOVQ k+0(FP), CX
	SHLQ $2, CX
	MOVQ a+8(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ b+16(FP), AX
	MOVQ 0(AX), R11
	MOVQ 8(AX), R12
	MOVQ 16(AX), R13
	MOVQ 24(AX), SI
	XORQ BX, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ dotstore
dotloop:
	VMOVUPS (R8)(BX*1), Y12
	VMOVUPS (R9)(BX*1), Y13
	VMOVUPS (R10)(BX*1), Y14
	VMOVUPS (R11)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS (R12)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y1
	VFMADD231PS Y13, Y15, Y5
	VFMADD231PS Y14, Y15, Y9
	VMOVUPS (R13)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y6
	VFMADD231PS Y14, Y15, Y10
	VMOVUPS (SI)(BX*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y11
	ADDQ $32, BX
	CMPQ BX, CX
	JLT dotloop
dotstore:
	MOVQ out+24(FP), DI
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VMOVUPS Y9, 288(DI)
	VMOVUPS Y10, 320(DI)
	VMOVUPS Y11, 352(DI)
	VZEROUPPER
	RET

// tanhconst holds the constants of kernScaledTanh, each repeated in the
// eight lanes of a 32-byte vector:
//	  0  abs mask
//	 32  2/3·2 = 4/3 (u = 2·(2a/3))
//	 64  18 (beyond, tanh rounds to 1)
//	 96  log2(e)
//	128  ln(2), high part
//	160  ln(2), low part
//	192  1/7!
//	224  1/6!
//	256  1/5!
//	288  1/4!
//	320  1/3!
//	352  1/2
//	384  1
//	416  2
//	448  1.7159
//	480  127 (int32: exponent bias)
DATA tanhconst<>+0(SB)/8, $0x7fffffff7fffffff
DATA tanhconst<>+8(SB)/8, $0x7fffffff7fffffff
DATA tanhconst<>+16(SB)/8, $0x7fffffff7fffffff
DATA tanhconst<>+24(SB)/8, $0x7fffffff7fffffff
DATA tanhconst<>+32(SB)/8, $0x3faaaaab3faaaaab
DATA tanhconst<>+40(SB)/8, $0x3faaaaab3faaaaab
DATA tanhconst<>+48(SB)/8, $0x3faaaaab3faaaaab
DATA tanhconst<>+56(SB)/8, $0x3faaaaab3faaaaab
DATA tanhconst<>+64(SB)/8, $0x4190000041900000
DATA tanhconst<>+72(SB)/8, $0x4190000041900000
DATA tanhconst<>+80(SB)/8, $0x4190000041900000
DATA tanhconst<>+88(SB)/8, $0x4190000041900000
DATA tanhconst<>+96(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhconst<>+104(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhconst<>+112(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhconst<>+120(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA tanhconst<>+128(SB)/8, $0x3f3172003f317200
DATA tanhconst<>+136(SB)/8, $0x3f3172003f317200
DATA tanhconst<>+144(SB)/8, $0x3f3172003f317200
DATA tanhconst<>+152(SB)/8, $0x3f3172003f317200
DATA tanhconst<>+160(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhconst<>+168(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhconst<>+176(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhconst<>+184(SB)/8, $0x35bfbe8e35bfbe8e
DATA tanhconst<>+192(SB)/8, $0x39500d0139500d01
DATA tanhconst<>+200(SB)/8, $0x39500d0139500d01
DATA tanhconst<>+208(SB)/8, $0x39500d0139500d01
DATA tanhconst<>+216(SB)/8, $0x39500d0139500d01
DATA tanhconst<>+224(SB)/8, $0x3ab60b613ab60b61
DATA tanhconst<>+232(SB)/8, $0x3ab60b613ab60b61
DATA tanhconst<>+240(SB)/8, $0x3ab60b613ab60b61
DATA tanhconst<>+248(SB)/8, $0x3ab60b613ab60b61
DATA tanhconst<>+256(SB)/8, $0x3c0888893c088889
DATA tanhconst<>+264(SB)/8, $0x3c0888893c088889
DATA tanhconst<>+272(SB)/8, $0x3c0888893c088889
DATA tanhconst<>+280(SB)/8, $0x3c0888893c088889
DATA tanhconst<>+288(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhconst<>+296(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhconst<>+304(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhconst<>+312(SB)/8, $0x3d2aaaab3d2aaaab
DATA tanhconst<>+320(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhconst<>+328(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhconst<>+336(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhconst<>+344(SB)/8, $0x3e2aaaab3e2aaaab
DATA tanhconst<>+352(SB)/8, $0x3f0000003f000000
DATA tanhconst<>+360(SB)/8, $0x3f0000003f000000
DATA tanhconst<>+368(SB)/8, $0x3f0000003f000000
DATA tanhconst<>+376(SB)/8, $0x3f0000003f000000
DATA tanhconst<>+384(SB)/8, $0x3f8000003f800000
DATA tanhconst<>+392(SB)/8, $0x3f8000003f800000
DATA tanhconst<>+400(SB)/8, $0x3f8000003f800000
DATA tanhconst<>+408(SB)/8, $0x3f8000003f800000
DATA tanhconst<>+416(SB)/8, $0x4000000040000000
DATA tanhconst<>+424(SB)/8, $0x4000000040000000
DATA tanhconst<>+432(SB)/8, $0x4000000040000000
DATA tanhconst<>+440(SB)/8, $0x4000000040000000
DATA tanhconst<>+448(SB)/8, $0x3fdba29c3fdba29c
DATA tanhconst<>+456(SB)/8, $0x3fdba29c3fdba29c
DATA tanhconst<>+464(SB)/8, $0x3fdba29c3fdba29c
DATA tanhconst<>+472(SB)/8, $0x3fdba29c3fdba29c
DATA tanhconst<>+480(SB)/8, $0x0000007f0000007f
DATA tanhconst<>+488(SB)/8, $0x0000007f0000007f
DATA tanhconst<>+496(SB)/8, $0x0000007f0000007f
DATA tanhconst<>+504(SB)/8, $0x0000007f0000007f
GLOBL tanhconst<>(SB), RODATA|NOPTR, $512

// func kernScaledTanh(y, x unsafe.Pointer, n int)
//
// y[i] = 1.7159·tanh(2x[i]/3) for n (a multiple of 8) floats, eight at a
// time: with u = 4|x|/3 (at most 18), tanh(2|x|/3) = e/(e+2) where
// e = exp(u)-1 = 2^m·p + (2^m - 1), m = round(u/ln 2), r = u - m·ln 2 and
// p = exp(r)-1 by its Taylor polynomial of degree 7 (|r| <= ln(2)/2); the
// sign of x is copied to the result. NaN stays NaN.
TEXT ·kernScaledTanh(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	XORQ BX, BX
	VMOVUPS tanhconst<>+64(SB), Y6
	TESTQ CX, CX
	JZ tanhdone
tanhloop:
	VMOVUPS (SI)(BX*1), Y0
	VANDPS tanhconst<>+0(SB), Y0, Y1
	VXORPS Y1, Y0, Y7
	VMULPS tanhconst<>+32(SB), Y1, Y1
	VMINPS Y1, Y6, Y1
	VMULPS tanhconst<>+96(SB), Y1, Y2
	VCVTPS2DQ Y2, Y2
	VCVTDQ2PS Y2, Y3
	VFNMADD231PS tanhconst<>+128(SB), Y3, Y1
	VFNMADD231PS tanhconst<>+160(SB), Y3, Y1
	VMOVUPS tanhconst<>+192(SB), Y4
	VFMADD213PS tanhconst<>+224(SB), Y1, Y4
	VFMADD213PS tanhconst<>+256(SB), Y1, Y4
	VFMADD213PS tanhconst<>+288(SB), Y1, Y4
	VFMADD213PS tanhconst<>+320(SB), Y1, Y4
	VFMADD213PS tanhconst<>+352(SB), Y1, Y4
	VFMADD213PS tanhconst<>+384(SB), Y1, Y4
	VMULPS Y1, Y4, Y4
	VPADDD tanhconst<>+480(SB), Y2, Y2
	VPSLLD $23, Y2, Y2
	VSUBPS tanhconst<>+384(SB), Y2, Y5
	VFMADD231PS Y2, Y4, Y5
	VADDPS tanhconst<>+416(SB), Y5, Y3
	VDIVPS Y3, Y5, Y5
	VMULPS tanhconst<>+448(SB), Y5, Y5
	VORPS Y7, Y5, Y5
	VMOVUPS Y5, (DI)(BX*1)
	ADDQ $32, BX
	CMPQ BX, CX
	JLT tanhloop
tanhdone:
	VZEROUPPER
	RET
