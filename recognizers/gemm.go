package recognizers

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// useKernels says whether gemm and the scaled tanh run on this package's
// AVX2/FMA assembly kernels (kernels_amd64.s) rather than on gonum's Sgemm
// and a table interpolation. It is set once, from
// the CPU's features, when the package is initialised (build tag purego:
// never); tests switch it to cover both paths.
var useKernels = haveKernels()

// Block sizes for the gonum path. gonum's Sgemm hands blocks of 64×64 to
// goroutines once C has four or more of them; calling it on pieces of at
// most gemmRows×gemmCols (three such blocks) keeps it on the calling
// goroutine. Long inner dimensions of the dot-product form (A·Bᵀ) are cut
// into pieces of gemmDepth so that both operands of a piece stay in the L2
// cache (the kernels use the same depth).
const (
	gemmRows  = 64
	gemmCols  = 192
	gemmDepth = 2048
)

// gemm computes C += op(A)·op(B) on the calling goroutine, where op(A) is
// m×k (A is k×m if tA), op(B) is k×n (B is n×k if tB) and C is m×n; lda, ldb
// and ldc are the row strides. It panics if a slice is too short.
func gemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	ar, ac := m, k
	if tA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB {
		br, bc = n, k
	}
	if lda < ac || ldb < bc || ldc < n || len(a) < (ar-1)*lda+ac || len(b) < (br-1)*ldb+bc || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("recognizers: gemm %d×%d×%d: operands too short (lengths %d, %d, %d; strides %d, %d, %d)", m, n, k, len(a), len(b), len(c), lda, ldb, ldc))
	}
	switch {
	case useKernels && !tB:
		gemmKernelNN(tA, m, n, k, a, lda, b, ldb, c, ldc)
	case useKernels && !tA:
		gemmKernelNT(m, n, k, a, lda, b, ldb, c, ldc)
	default:
		gemmGonum(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	}
}

// gemmGonum is gemm on gonum's Sgemm, called on blocks small enough that
// it stays on the calling goroutine. Its axpy-based forms (A·B and Aᵀ·B)
// skip zero elements of A, which makes masked weight matrices cheap.
func gemmGonum(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	depth := k
	if tB && !tA {
		depth = gemmDepth
	}
	var impl gonum.Implementation
	for j := 0; j < n; j += gemmCols {
		nj := min(gemmCols, n-j)
		for l := 0; l < k; l += depth {
			kl := min(depth, k-l)
			var bs []float32
			if tB {
				bs = b[j*ldb+l:]
			} else {
				bs = b[l*ldb+j:]
			}
			for i := 0; i < m; i += gemmRows {
				mi := min(gemmRows, m-i)
				var as []float32
				if tA {
					as = a[l*lda+i:]
				} else {
					as = a[i*lda+l:]
				}
				impl.Sgemm(ta, tb, mi, nj, kl, 1, as, lda, bs, ldb, 1, c[i*ldc+j:], ldc)
			}
		}
	}
}
