package recognizers

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Block sizes for gemm. gonum's Sgemm hands blocks of 64×64 to goroutines
// once C has four or more of them; calling it on pieces of at most
// gemmRows×gemmCols (three such blocks) keeps it on the calling goroutine.
// Long inner dimensions of the dot-product form (A·Bᵀ) are cut into pieces
// of gemmDepth so that both operands of a piece stay in the L2 cache.
const (
	gemmRows  = 64
	gemmCols  = 192
	gemmDepth = 2048
)

// gemm computes C += op(A)·op(B) on the calling goroutine, where op(A) is
// m×k (A is k×m if tA), op(B) is k×n (B is n×k if tB) and C is m×n; lda, ldb
// and ldc are the row strides. Zero elements of A are skipped by the
// axpy-based forms (A·B and Aᵀ·B), which makes masked weight matrices cheap.
func gemm(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
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
