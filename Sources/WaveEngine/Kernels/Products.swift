import Dispatch
import WaveTensor

// Matrix products that the engine's workers share, the same at any thread count by construction.
//
// OpenBLAS runs single-threaded (WaveTensor `BLAS`). A product big enough to share is cut into
// tiles along the rows or the columns of C, never along the summed dimension k, and the number of
// tiles is a function of the product's shape alone (`Product.tiles`). Every tile is one whole
// single-threaded sgemm call, so each element of C is computed by the same call with the same
// shapes whichever worker runs it and however many workers there are: results do not depend on
// the thread count, under any BLAS kernel. (OpenBLAS's own threading cuts by the thread count,
// and its AVX2 kernels sum a row differently by its place in a call: measured on an AMD Zen with
// the Haswell/Zen kernels, 1 and 2 threads gave condensed bundles 3.7e-3 apart after 8 steps.)

/// One row-major sgemm call, C = alpha·op(A)·op(B) + beta·C, with its operands boxed for the workers.
struct Product: @unchecked Sendable {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var beta: Float
    var c: UnsafeMutablePointer<Float>, ldc: Int

    init(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float = 1,
                _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        self.transA = transA; self.transB = transB; self.m = m; self.n = n; self.k = k; self.alpha = alpha
        self.a = a; self.lda = lda; self.b = b; self.ldb = ldb; self.beta = beta; self.c = c; self.ldc = ldc
    }

    func run() { sgemm(transA, transB, m, n, k, alpha: alpha, a, lda, b, ldb, beta: beta, c, ldc) }

    /// Multiply-adds of the whole product.
    var work: Int { m * n * k }

    /// Rows r0..<r1 of C: the matching rows of op(A) (A's rows, or its columns when transposed).
    func rows(_ r0: Int, _ r1: Int) -> Product {
        var p = self
        p.m = r1 - r0
        p.a = transA ? a + r0 : a + r0 * lda
        p.c = c + r0 * ldc
        return p
    }

    /// Columns c0..<c1 of C: the matching columns of op(B) (B's columns, or its rows when transposed).
    func columns(_ c0: Int, _ c1: Int) -> Product {
        var p = self
        p.n = c1 - c0
        p.b = transB ? b + c0 * ldb : b + c0
        p.c = c + c0
        return p
    }

    /// A tile is at least 2^22 multiply-adds (a 192×192×114 product: long next to handing it to a
    /// worker) and 64 rows or columns (each tile packs the unsplit operand again, a cost of about
    /// 1/side of the tile's own); 8 tiles at most keep up to 8 workers busy.
    static let workPerTile = 1 << 22, minSide = 64, maxTiles = 8

    /// The product as tiles along C's longer side, their count fixed by the shape (never by the
    /// thread count).
    var tiles: [Product] {
        let along = max(m, n)
        let count = min(Self.maxTiles, max(1, work / Self.workPerTile), max(1, along / Self.minSide))
        if count == 1 { return [self] }
        return (0..<count).map { t in
            let lo = along * t / count, hi = along * (t + 1) / count
            return m >= n ? rows(lo, hi) : columns(lo, hi)
        }
    }
}

/// Runs independent products (C regions that do not overlap) on the engine's workers, each cut
/// into its fixed tiles. Inside a batch shard (`BatchSplit`) everything runs inline.
func runProducts(_ products: [Product]) {
    let tiles = products.flatMap(\.tiles)
    let workers = BatchSplit.worker != nil ? 1 : min(Engine.workers, tiles.count)
    if workers <= 1 { for t in tiles { t.run() }; return }
    // Tiles of one product are of equal size; interleaving spreads each product over the workers.
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        for i in stride(from: w, to: tiles.count, by: workers) { tiles[i].run() }
    }
}

/// The engine's sgemm for one product: row-major C = alpha·op(A)·op(B) + beta·C, spread over the
/// workers in tiles fixed by the shape (bit-identical at any thread count).
func parallelSgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, alpha: Float = 1,
                          _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                          beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    runProducts([Product(transA, transB, m, n, k, alpha: alpha, a, lda, b, ldb, beta: beta, c, ldc)])
}
