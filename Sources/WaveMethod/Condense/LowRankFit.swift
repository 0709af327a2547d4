import WaveTensor
import CWaveBundle

/// The best rank-k approximation of a short-and-wide (or tall-and-narrow) matrix R [n, e]
/// (Eckart–Young), through the Gram matrix of its short side: min(n, e) is at most a few hundred
/// for every stack of template blocks, so an eigen-solve of that Gram matrix is cheap while a full
/// SVD of R would not be.
///
/// Returns an orthonormal basis V [k, e] (the templates, one per row) and the coefficients
/// S [k, n] = V · Rᵀ (the scalers): R ≈ Sᵀ · V. Taking S as the projection onto V (rather than
/// σ·u from the eigen-solve) makes the scalers the exact least-squares ones for the templates
/// actually stored, whatever rounding the Gram matrix had.
public enum LowRankFit {
    public struct Result {
        public var basis: [Float]       // [k, e]
        public var coefficients: [Float] // [k, n]
        public var sigma: [Double]       // singular values, descending
        public var k: Int
        /// Every singular value of R (min(n, e) of them, descending), the kept ones first: what the
        /// fit left out, for a picture of the spectrum (`wave inspect --plot`).
        public var spectrum: [Double] = []
    }

    /// `k` is an upper bound: directions whose singular value is below 1e-3 of the largest (the
    /// rounding floor of a Float32 Gram matrix; they carry under 1e-6 of the energy)
    /// are not fitted (the rank is smaller than asked), so `Result.k` may be smaller.
    public static func fit(_ r: [Float], n: Int, e: Int, k requested: Int) -> Result {
        precondition(r.count == n * e && n > 0 && e > 0 && requested > 0, "LowRankFit: bad shape")
        let m = min(n, e)
        var gram = [Float](repeating: 0, count: m * m)
        r.withUnsafeBufferPointer { rp in
            gram.withUnsafeMutableBufferPointer { g in
                if n <= e { sgemm(false, true, n, n, e, rp.baseAddress!, e, rp.baseAddress!, e, beta: 0, g.baseAddress!, n) }
                else { sgemm(true, false, e, e, n, rp.baseAddress!, e, rp.baseAddress!, e, beta: 0, g.baseAddress!, e) }
            }
        }
        let (values, vectors) = symmetricEigen(gram.map(Double.init), m)   // ascending
        let top = max(values.last ?? 0, 0)
        var k = 0
        var sigma: [Double] = []
        while k < min(requested, m) {
            let lambda = values[m - 1 - k]
            guard top > 0, lambda > top * 1e-6 else { break }
            sigma.append(lambda.squareRoot())
            k += 1
        }
        let spectrum = values.reversed().map { max($0, 0).squareRoot() }
        if k == 0 { return Result(basis: [], coefficients: [], sigma: [], k: 0, spectrum: spectrum) }

        // Eigenvectors (LAPACK: column j of a column-major matrix = contiguous run j), largest first.
        var picked = [Float](repeating: 0, count: k * m)
        for i in 0..<k {
            let col = m - 1 - i
            for j in 0..<m { picked[i * m + j] = Float(vectors[col * m + j]) }
        }
        var basis: [Float]
        if n <= e {
            // V = Uᵀ R / σ: the right singular vectors from the left ones.
            basis = [Float](repeating: 0, count: k * e)
            picked.withUnsafeBufferPointer { u in r.withUnsafeBufferPointer { rp in basis.withUnsafeMutableBufferPointer { v in
                sgemm(false, false, k, e, n, u.baseAddress!, n, rp.baseAddress!, e, beta: 0, v.baseAddress!, e)
            } } }
        } else {
            basis = picked
        }
        orthonormalizeRows(&basis, k, e)
        var coefficients = [Float](repeating: 0, count: k * n)
        basis.withUnsafeBufferPointer { v in r.withUnsafeBufferPointer { rp in coefficients.withUnsafeMutableBufferPointer { s in
            sgemm(false, true, k, n, e, v.baseAddress!, e, rp.baseAddress!, e, beta: 0, s.baseAddress!, n)
        } } }
        // A fixed sign per direction (largest-magnitude template entry positive) makes bundles reproducible.
        for i in 0..<k {
            var best = 0
            for j in 0..<e where abs(basis[i * e + j]) > abs(basis[i * e + best]) { best = j }
            if basis[i * e + best] < 0 {
                for j in 0..<e { basis[i * e + j] = -basis[i * e + j] }
                for j in 0..<n { coefficients[i * n + j] = -coefficients[i * n + j] }
            }
        }
        return Result(basis: basis, coefficients: coefficients, sigma: sigma, k: k, spectrum: spectrum)
    }

    /// ‖R − Sᵀ·V‖_F / ‖R‖_F, accumulated in double.
    public static func relativeError(_ r: [Float], n: Int, e: Int, _ fit: Result) -> Double {
        var recon = [Float](repeating: 0, count: n * e)
        if fit.k > 0 {
            fit.coefficients.withUnsafeBufferPointer { s in fit.basis.withUnsafeBufferPointer { v in recon.withUnsafeMutableBufferPointer { o in
                sgemm(true, false, n, e, fit.k, s.baseAddress!, n, v.baseAddress!, e, beta: 0, o.baseAddress!, e)
            } } }
        }
        var num = 0.0, den = 0.0
        for i in 0..<(n * e) {
            let x = Double(r[i]), d = x - Double(recon[i])
            num += d * d
            den += x * x
        }
        return den > 0 ? (num / den).squareRoot() : 0
    }

    /// Modified Gram–Schmidt in double: the basis is orthonormal to rounding even when the Gram
    /// matrix's rounding made the back-solved vectors drift.
    static func orthonormalizeRows(_ v: inout [Float], _ k: Int, _ e: Int) {
        var rows = (0..<k).map { i in (0..<e).map { Double(v[i * e + $0]) } }
        for i in 0..<k {
            for j in 0..<i {
                var dot = 0.0
                for x in 0..<e { dot += rows[i][x] * rows[j][x] }
                for x in 0..<e { rows[i][x] -= dot * rows[j][x] }
            }
            var norm = 0.0
            for x in 0..<e { norm += rows[i][x] * rows[i][x] }
            norm = norm.squareRoot()
            for x in 0..<e { v[i * e + x] = Float(norm > 0 ? rows[i][x] / norm : 0) }
            for x in 0..<e { rows[i][x] = norm > 0 ? rows[i][x] / norm : 0 }
        }
    }

    /// Eigenvalues (ascending) and eigenvectors (column-major) of a symmetric m×m matrix, by LAPACK dsyevd.
    static func symmetricEigen(_ a: [Double], _ m: Int) -> (values: [Double], vectors: [Double]) {
        var a = a
        var w = [Double](repeating: 0, count: m)
        var n = Int32(m), lda = Int32(m), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var lwork: Int32 = -1, liwork: Int32 = -1
        var wq = [Double](repeating: 0, count: 1)
        BLAS.ensureSingleThreaded()
        var iq = [Int32](repeating: 0, count: 1)
        dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &wq, &lwork, &iq, &liwork, &info)
        lwork = Int32(wq[0]); liwork = iq[0]
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
        precondition(info == 0, "dsyevd failed (info \(info))")
        return (w, a)
    }
}
