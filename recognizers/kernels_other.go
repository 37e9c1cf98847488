//go:build !amd64 || purego

package recognizers

// haveKernels reports whether the assembly kernels can run: never on this
// architecture or with the purego build tag.
func haveKernels() bool { return false }

func gemmKernelNN(tA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	panic("recognizers: no gemm kernels on this platform")
}

func gemmKernelNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	panic("recognizers: no gemm kernels on this platform")
}

func scaledTanhKernel(y, x []float32) {
	panic("recognizers: no tanh kernel on this platform")
}
