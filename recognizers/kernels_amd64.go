//go:build amd64 && !purego

package recognizers

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveKernels reports whether the CPU and the operating system support AVX2
// and FMA, which the kernels of kernels_amd64.s need.
func haveKernels() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// kernNN6x16 computes C_r[0:16] += Σ_{l<k} A_r[l·sa] · B[l·ldb : l·ldb+16]
// for the six rows r: a[r] points to A_r's first element, sa is the byte
// distance between consecutive elements of a row of A, b points to B's
// first element, ldb is B's row stride in bytes and c[r] points to C_r.
//
//go:noescape
func kernNN6x16(k int, a *[6]unsafe.Pointer, sa uintptr, b unsafe.Pointer, ldb uintptr, c *[6]unsafe.Pointer)

// kernDot3x4 sets out[4r+s] to eight partial sums of the dot product of
// the k (a multiple of 8) floats at a[r] and at b[s], for r < 3 and s < 4;
// each dot product is the sum of its eight partial sums.
//
//go:noescape
func kernDot3x4(k int, a *[3]unsafe.Pointer, b *[4]unsafe.Pointer, out *[12][8]float32)

// kernScaledTanh sets y[i] = 1.7159·tanh(2x[i]/3) for n floats, n a
// multiple of 8 (|error| < 3e-7).
//
//go:noescape
func kernScaledTanh(y, x unsafe.Pointer, n int)

// scaledTanhKernel is scaledTanh on kernScaledTanh; the last len(x) mod 8
// values go through an 8-value buffer so that every value is computed the
// same way.
func scaledTanhKernel(y, x []float32) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	if n8 > 0 {
		kernScaledTanh(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), n8)
	}
	if n8 < len(x) {
		var buf [8]float32
		copy(buf[:], x[n8:])
		kernScaledTanh(unsafe.Pointer(&buf), unsafe.Pointer(&buf), 8)
		copy(y[n8:], buf[:])
	}
}

// nnDepth is the length of the inner dimension per kernel call of
// gemmKernelNN: the 16-column panel of B it reads (nnDepth × 64 bytes)
// stays in the L1 cache while the kernel runs over the rows of A.
const nnDepth = 256

// gemmKernelNN is gemm for C += op(A)·B with kernNN6x16, in blocks of 6
// rows by 16 columns. Leftover rows repeat the last row of A and write to
// a scratch row; leftover columns (n mod 16) go through a zero-padded copy
// of their panel of B and a scratch block of C.
func gemmKernelNN(tA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	var ap, cp [6]unsafe.Pointer
	var sink [16]float32
	sa := uintptr(4)
	if tA {
		sa = uintptr(4 * lda)
	}
	rows := func(i, l int, cfor func(r, row int) unsafe.Pointer) {
		for r := range 6 {
			row := min(i+r, m-1)
			if tA {
				ap[r] = unsafe.Pointer(&a[l*lda+row])
			} else {
				ap[r] = unsafe.Pointer(&a[row*lda+l])
			}
			if i+r < m {
				cp[r] = cfor(r, row)
			} else {
				cp[r] = unsafe.Pointer(&sink)
			}
		}
	}
	n16 := n &^ 15
	for j := 0; j < n16; j += 16 {
		for l := 0; l < k; l += nnDepth {
			kl := min(nnDepth, k-l)
			for i := 0; i < m; i += 6 {
				rows(i, l, func(_, row int) unsafe.Pointer { return unsafe.Pointer(&c[row*ldc+j]) })
				kernNN6x16(kl, &ap, sa, unsafe.Pointer(&b[l*ldb+j]), uintptr(4*ldb), &cp)
			}
		}
	}
	if n16 == n {
		return
	}
	rem := n - n16
	var panel [nnDepth * 16]float32
	var block [6 * 16]float32
	for i := 0; i < m; i += 6 {
		clear(block[:])
		for l := 0; l < k; l += nnDepth {
			kl := min(nnDepth, k-l)
			if i == 0 || k > nnDepth {
				for t := range kl {
					copy(panel[16*t:16*t+rem], b[(l+t)*ldb+n16:(l+t)*ldb+n])
				}
			}
			rows(i, l, func(r, _ int) unsafe.Pointer { return unsafe.Pointer(&block[16*r]) })
			kernNN6x16(kl, &ap, sa, unsafe.Pointer(&panel), 64, &cp)
		}
		for r := range min(6, m-i) {
			ci := c[(i+r)*ldc+n16 : (i+r)*ldc+n]
			for t := range ci {
				ci[t] += block[16*r+t]
			}
		}
	}
}

// gemmKernelNT is gemm for C += A·Bᵀ with kernDot3x4: blocks of 3 rows of
// A by 4 rows of B, the inner dimension in pieces of gemmDepth; leftover
// rows repeat the last one (their sums are dropped), and the inner
// dimension's last k mod 8 elements are done with plain loops.
func gemmKernelNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	var ap [3]unsafe.Pointer
	var bp [4]unsafe.Pointer
	var out [12][8]float32
	k8 := k &^ 7
	for l := 0; l < k8; l += gemmDepth {
		kl := min(gemmDepth, k8-l)
		for i := 0; i < m; i += 3 {
			for r := range 3 {
				ap[r] = unsafe.Pointer(&a[min(i+r, m-1)*lda+l])
			}
			for j := 0; j < n; j += 4 {
				for s := range 4 {
					bp[s] = unsafe.Pointer(&b[min(j+s, n-1)*ldb+l])
				}
				kernDot3x4(kl, &ap, &bp, &out)
				for r := range min(3, m-i) {
					row := c[(i+r)*ldc+j : (i+r)*ldc+min(j+4, n)]
					for s := range row {
						v := &out[4*r+s]
						row[s] += ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
					}
				}
			}
		}
	}
	if k8 < k {
		gemmDepthTail(m, n, k, k8, a, lda, b, ldb, c, ldc)
	}
}

// gemmDepthTail computes C += A[:, k0:k]·B[:, k0:k]ᵀ with plain loops (the
// part of the inner dimension the 8-wide dot kernel leaves over).
func gemmDepthTail(m, n, k, k0 int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		ai := a[i*lda+k0 : i*lda+k]
		for j := range n {
			bj := b[j*ldb+k0 : j*ldb+k]
			var s float32
			for l, v := range ai {
				s += v * bj[l]
			}
			c[i*ldc+j] += s
		}
	}
}
