import COpenBLAS

/// OpenBLAS always runs single-threaded in wave: its own threading cuts a product into row and
/// column blocks by the thread count, and under some kernels (the AVX2 ones: Haswell, Zen) a row
/// is summed differently by its place in a call (edge kernels), so results would move with the
/// thread count and the machine. The engine spreads products over its workers itself, in tiles
/// fixed by the product's shape (`WaveEngine/Kernels/Products.swift`).
public enum BLAS {
    /// Pins OpenBLAS to one thread, once per process, before its first product. Every sgemm and
    /// LAPACK call in wave passes here.
    public static func ensureSingleThreaded() { _ = pinned }
    private static let pinned: Void = openblas_set_num_threads(1)
}

/// Row-major C = alpha·op(A)·op(B) + beta·C through OpenBLAS, single-threaded: the one spelling of
/// sgemm that the engine's kernels and the template algebra share.
@inlinable @inline(__always)
public func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float = 1,
                  _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                  beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    BLAS.ensureSingleThreaded()
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}
