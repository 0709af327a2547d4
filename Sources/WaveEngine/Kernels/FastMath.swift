// Vector exp and erf for the elementwise kernels. Swift has no vector libm, and a scalar call per
// element would cost more than the matrix products around it (GELU alone touches B·T·m values per
// layer), so these are polynomial approximations over SIMD16 lanes.

typealias V16 = SIMD16<Float>
typealias I16 = SIMD16<Int32>

/// a·b + c, in one rounding where the build targets FMA (WAVE_FMA, Package.swift). Swift never
/// contracts `a * b + c` into a fused multiply-add by itself; `addingProduct` lowers to vfmadd there.
/// Measured on vexp: 0.26 against 0.45 ns per element with separate multiplies and adds. Without an
/// FMA target, `addingProduct` would be a libm fmaf call per lane (27 ns per exp), hence a·b + c.
/// (vexp and verfWithGaussian are `@_transparent`: with `@inline(__always)` the compiler still
/// called vexp out of line from erf, spilling every register: erf took 1.3 instead of 0.8 ns.)
@inline(__always)
func fma16(_ a: V16, _ b: V16, _ c: V16) -> V16 {
    #if WAVE_FMA
    c.addingProduct(a, b)
    #else
    a * b + c
    #endif
}

/// exp(x) for x in [-87, 88] (inputs outside are clamped, so exp(-1000) gives ~1.6e-38, not 0).
/// Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2, then the degree-7 Taylor polynomial of
/// e^r (truncation error r⁸/8! < 6e-9) and 2ⁿ built in the exponent bits. Measured relative
/// error against Double exp: < 2.5e-7 (see FastMathTests).
@_transparent
func vexp(_ x: V16) -> V16 {
    let xc = vmax(vmin(x, V16(repeating: 88)), V16(repeating: -87))
    // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits.
    let magic = V16(repeating: 12_582_912)
    let t = fma16(xc, V16(repeating: 1.442_695_04), magic)
    let n = t - magic
    let r = fma16(n, V16(repeating: -1.428_606_765_330_187e-6), fma16(n, V16(repeating: -0.693_145_751_953_125), xc))
    var p = V16(repeating: 1.0 / 5040)
    p = fma16(p, r, V16(repeating: 1.0 / 720))
    p = fma16(p, r, V16(repeating: 1.0 / 120))
    p = fma16(p, r, V16(repeating: 1.0 / 24))
    p = fma16(p, r, V16(repeating: 1.0 / 6))
    p = fma16(p, r, V16(repeating: 0.5))
    p = fma16(p, r, V16(repeating: 1))
    p = fma16(p, r, V16(repeating: 1))
    let tb = unsafeBitCast(t, to: I16.self)
    let scale = unsafeBitCast((tb &- (0x4B40_0000 - 127)) &<< 23, to: V16.self)
    return p * scale
}

/// erf(x) = sign(x)·(1 − e^{−x²}·R(t)), t = 1/(1 + x/2), with R a degree-7 polynomial in t fitted
/// by this project (weighted least squares on [0, 4], Fixtures/torch/README.md) — beyond |x| = 4,
/// erf is 1 in Float32. Measured max absolute error 3.5e-7 in Float32 evaluation.
@inline(__always)
func verf(_ x: V16) -> V16 { verfWithGaussian(x).erf }

/// erf(x) and e^{−min(x², 16)} from one vexp: the GELU derivative needs the Gaussian e^{−x²/2}
/// at x/√2 too. Past |x| = 4 the Gaussian is clamped at e^{−16} ≈ 1.1e-7 (an absolute error that
/// small is harmless where it is used).
@_transparent
func verfWithGaussian(_ x: V16) -> (erf: V16, gauss: V16) {
    let a = vmin(vmax(x, -x), V16(repeating: 4))
    let t = 1 / fma16(a, V16(repeating: 0.5), V16(repeating: 1))
    var r = V16(repeating: 0.029_475_838)
    r = fma16(r, t, V16(repeating: -0.056_787_476))
    r = fma16(r, t, V16(repeating: -0.255_956_26))
    r = fma16(r, t, V16(repeating: 0.795_927_64))
    r = fma16(r, t, V16(repeating: -0.244_392_10))
    r = fma16(r, t, V16(repeating: 0.493_291_88))
    r = fma16(r, t, V16(repeating: 0.233_817_28))
    r = fma16(r, t, V16(repeating: 0.004_623_236_1))
    let g = vexp(-(a * a))
    let e = fma16(-g, r, V16(repeating: 1))
    return (e.replacing(with: -e, where: x .< 0), g)
}

/// tanh through exp: 1 − 2/(e^{2u} + 1), exact enough at both ends because e^{2u} saturates cleanly.
@inline(__always)
func vtanh(_ u: V16) -> V16 {
    1 - 2 / (vexp(2 * u) + 1)
}

// `pointwiseMin/Max` and `SIMD.max()` are not lowered to vector instructions (27 ns per element
// measured); a compare-and-select is.
@inline(__always) func vmin(_ a: V16, _ b: V16) -> V16 { a.replacing(with: b, where: b .< a) }
@inline(__always) func vmax(_ a: V16, _ b: V16) -> V16 { a.replacing(with: b, where: b .> a) }
@inline(__always) func hmax(_ v: V16) -> Float {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
    var m = b[0]
    for i in 1..<4 where b[i] > m { m = b[i] }
    return m
}

// Loads and stores of 16 floats; the tails of rows not a multiple of 16 go through a padded copy.
@inline(__always) func load16(_ p: UnsafePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}
@inline(__always) func store16(_ v: V16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V16.self)
}
@inline(__always) func loadPartial(_ p: UnsafePointer<Float>, _ n: Int, pad: Float = 0) -> V16 {
    var v = V16(repeating: pad)
    for i in 0..<n { v[i] = p[i] }
    return v
}
@inline(__always) func storePartial(_ v: V16, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for i in 0..<n { p[i] = v[i] }
}

/// Applies `f` to `n` floats 16 at a time (tail padded with `pad`).
@inline(__always)
func mapVec(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, pad: Float = 0,
            _ f: (V16) -> V16) {
    var i = 0
    while i + 16 <= n { store16(f(load16(src + i)), dst + i); i += 16 }
    if i < n { storePartial(f(loadPartial(src + i, n - i, pad: pad)), dst + i, n - i) }
}

/// Scalar entry points, for the naive references and tests.
public enum FastMath {
    public static func exp(_ x: Float) -> Float { vexp(V16(repeating: x))[0] }
    public static func erf(_ x: Float) -> Float { verf(V16(repeating: x))[0] }
    public static func tanh(_ x: Float) -> Float { vtanh(V16(repeating: x))[0] }
}
