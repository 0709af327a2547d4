import COpenBLAS
import WaveTensor

// Template algebra (METHOD.md, paper Eq. 4), for one component of one layer.
//
//   W [R·tr, C·tc] = Σ_i S_i ⊗ T_i      S [N, R, C] scalers,  T [N, tr, tc] templates
//   block (a, b) of W = Σ_i S_i[a, b] · T_i
//
// Matrices use tr = tc = t; vectors are the same algebra with tr = t, tc = 1, C = 1.
// BLAS form: with B [R·C, tr·tc] the stack of vectorized blocks (row (a, b) = vec(block (a, b))),
//   B = Sᵀ · T            (one sgemm: [R·C, N] · [N, tr·tc])
// and W is B with its axes permuted [R, C, tr, tc] → [R, tr, C, tc] (a copy of rows of tc floats).
// Backward, from dW:  dB = permute⁻¹(dW),  dT += S · dB,  dS += T · dBᵀ.

/// Shapes of one templated tensor, declared once and passed to every kernel.
public struct BlockShape: Sendable, Equatable {
    /// Templates.
    public var n: Int
    /// Block grid: rows and columns of the scaler matrix.
    public var r: Int, c: Int
    /// Template (block) size.
    public var tr: Int, tc: Int

    public init(n: Int, r: Int, c: Int, tr: Int, tc: Int) {
        self.n = n; self.r = r; self.c = c; self.tr = tr; self.tc = tc
    }

    public var rows: Int { r * tr }
    public var cols: Int { c * tc }
    public var blocks: Int { r * c }
    public var blockSize: Int { tr * tc }
    public var weightCount: Int { rows * cols }
    public var scalerCount: Int { n * blocks }
    public var templateCount: Int { n * blockSize }
}

public enum Kronecker {
    /// B [R·C, tr·tc] (blocks as rows) → W [R·tr, C·tc].
    public static func blocksToMatrix(_ b: UnsafePointer<Float>, _ w: UnsafeMutablePointer<Float>, _ s: BlockShape) {
        if s.c == 1 { w.update(from: b, count: s.weightCount); return }
        let ld = s.cols
        for a in 0..<s.r {
            for bc in 0..<s.c {
                let src = b + (a * s.c + bc) * s.blockSize
                let dst = w + a * s.tr * ld + bc * s.tc
                for p in 0..<s.tr { (dst + p * ld).update(from: src + p * s.tc, count: s.tc) }
            }
        }
    }

    /// W [R·tr, C·tc] → B [R·C, tr·tc]: the inverse permutation, also how condensation stacks blocks.
    public static func matrixToBlocks(_ w: UnsafePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ s: BlockShape) {
        if s.c == 1 { b.update(from: w, count: s.weightCount); return }
        let ld = s.cols
        for a in 0..<s.r {
            for bc in 0..<s.c {
                let dst = b + (a * s.c + bc) * s.blockSize
                let src = w + a * s.tr * ld + bc * s.tc
                for p in 0..<s.tr { (dst + p * s.tc).update(from: src + p * ld, count: s.tc) }
            }
        }
    }

    /// W = Σ_i S_i ⊗ T_i. `scratch` holds `weightCount` floats (B); it may be nil when C = 1,
    /// where B and W share a layout.
    public static func compose(templates: UnsafePointer<Float>, scalers: UnsafePointer<Float>, _ s: BlockShape,
                               into w: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?) {
        if s.c == 1 { blocks(templates: templates, scalers: scalers, s, into: w); return }
        let b = scratch!
        blocks(templates: templates, scalers: scalers, s, into: b)
        blocksToMatrix(b, w, s)
    }

    /// B = Sᵀ·T, i.e. B[blk, e] = Σ_i S[i, blk]·T[i, e], summed over i = 0, 1, …, N−1 in that order
    /// with a separate multiply and add per term (Swift never fuses them), so an expansion is the
    /// same bytes on every processor and build. sgemm's result depended on the BLAS kernel (an AVX
    /// kernel without FMA gave other bytes than the AVX2 and AVX-512 ones, GoldenExpandTests), and
    /// with N at most a few dozen the work is memory traffic, not arithmetic.
    /// Elements go in chunks of 64 (four 16-lane accumulators); the N template rows of a chunk,
    /// 256·N bytes, stay in L1 while every block's row is summed.
    static func blocks(templates: UnsafePointer<Float>, scalers: UnsafePointer<Float>, _ s: BlockShape,
                       into b: UnsafeMutablePointer<Float>) {
        typealias V = SIMD16<Float>
        let N = s.n, R = s.blocks, E = s.blockSize
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
        var e0 = 0
        while e0 + 64 <= E {
            for r in 0..<R {
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                for i in 0..<N {
                    let k = V(repeating: scalers[i * R + r]), t = templates + i * E + e0
                    a0 = a0 + k * load(t); a1 = a1 + k * load(t + 16)
                    a2 = a2 + k * load(t + 32); a3 = a3 + k * load(t + 48)
                }
                let o = b + r * E + e0
                store(a0, o); store(a1, o + 16); store(a2, o + 32); store(a3, o + 48)
            }
            e0 += 64
        }
        if e0 < E {
            for r in 0..<R {
                for e in e0..<E {
                    var acc: Float = 0
                    for i in 0..<N { acc = acc + scalers[i * R + r] * templates[i * E + e] }
                    b[r * E + e] = acc
                }
            }
        }
    }

    /// Array convenience for compose. The output and scratch start uninitialized: sgemm with
    /// beta = 0 and the permutation write every element, and zero-filling tens of megabytes per
    /// tensor would cost as much as the products (expansion is bound by memory traffic).
    public static func compose(templates: [Float], scalers: [Float], _ s: BlockShape) -> [Float] {
        precondition(templates.count == s.templateCount && scalers.count == s.scalerCount, "compose: shapes do not match \(s)")
        if s.n == 0 { return [Float](repeating: 0, count: s.weightCount) }   // no templates (an all-zero component): W = 0
        let scratch = s.c == 1 ? nil : UnsafeMutablePointer<Float>.allocate(capacity: s.weightCount)
        defer { scratch?.deallocate() }
        return [Float](unsafeUninitializedCapacity: s.weightCount) { w, done in
            templates.withUnsafeBufferPointer { t in
                scalers.withUnsafeBufferPointer { sc in
                    compose(templates: t.baseAddress!, scalers: sc.baseAddress!, s, into: w.baseAddress!, scratch: scratch)
                }
            }
            done = s.weightCount
        }
    }

    /// Gradients of W = Σ S_i ⊗ T_i, accumulated (+=) into dT [N, tr·tc] and dS [N, R·C], so one
    /// template set shared by many layers sums its gradient over them. `scratch` as in compose.
    public static func backward(dW: UnsafePointer<Float>, templates: UnsafePointer<Float>, scalers: UnsafePointer<Float>,
                                _ s: BlockShape, dTemplates: UnsafeMutablePointer<Float>, dScalers: UnsafeMutablePointer<Float>,
                                scratch: UnsafeMutablePointer<Float>?) {
        let db: UnsafePointer<Float>
        if s.c == 1 { db = dW } else { matrixToBlocks(dW, scratch!, s); db = UnsafePointer(scratch!) }
        // dT [N, E] += S [N, RC] · dB [RC, E]
        sgemm(false, false, s.n, s.blockSize, s.blocks, scalers, s.blocks, db, s.blockSize, beta: 1, dTemplates, s.blockSize)
        // dS [N, RC] += T [N, E] · dBᵀ [E, RC]
        sgemm(false, true, s.n, s.blocks, s.blockSize, templates, s.blockSize, db, s.blockSize, beta: 1, dScalers, s.blocks)
    }

    /// Array convenience for backward: (dTemplates, dScalers), fresh.
    public static func backward(dW: [Float], templates: [Float], scalers: [Float], _ s: BlockShape) -> (dT: [Float], dS: [Float]) {
        var dT = [Float](repeating: 0, count: s.templateCount)
        var dS = [Float](repeating: 0, count: s.scalerCount)
        var scratch = [Float](repeating: 0, count: s.c == 1 ? 0 : s.weightCount)
        dW.withUnsafeBufferPointer { g in
            templates.withUnsafeBufferPointer { t in
                scalers.withUnsafeBufferPointer { sc in
                    dT.withUnsafeMutableBufferPointer { dt in
                        dS.withUnsafeMutableBufferPointer { ds in
                            scratch.withUnsafeMutableBufferPointer { bp in
                                backward(dW: g.baseAddress!, templates: t.baseAddress!, scalers: sc.baseAddress!, s,
                                         dTemplates: dt.baseAddress!, dScalers: ds.baseAddress!, scratch: bp.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        return (dT, dS)
    }

    /// The definition, literally: W = Σ_i kron(S_i, T_i) with kron(A, B)[a·tr + p, b·tc + q] = A[a, b]·B[p, q].
    /// The reference the BLAS form is tested against.
    public static func composeNaive(templates: [Float], scalers: [Float], _ s: BlockShape) -> [Float] {
        var w = [Float](repeating: 0, count: s.weightCount)
        for i in 0..<s.n {
            for a in 0..<s.r { for b in 0..<s.c {
                let sv = scalers[i * s.blocks + a * s.c + b]
                for p in 0..<s.tr { for q in 0..<s.tc {
                    w[(a * s.tr + p) * s.cols + b * s.tc + q] += sv * templates[i * s.blockSize + p * s.tc + q]
                } }
            } }
        }
        return w
    }
}
