#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Double-precision libm for the naive references, the schedule and the initializers.
@inline(__always) func libmErf(_ x: Double) -> Double { erf(x) }
@inline(__always) func libmExp(_ x: Double) -> Double { exp(x) }
@inline(__always) func libmTanh(_ x: Double) -> Double { tanh(x) }
@inline(__always) func libmLog(_ x: Double) -> Double { log(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { cos(x) }
@inline(__always) func libmSqrt(_ x: Double) -> Double { x.squareRoot() }
