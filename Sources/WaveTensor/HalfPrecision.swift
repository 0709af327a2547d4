/// Conversions between 16-bit float formats and Float32. BF16 is the top half of an IEEE
/// binary32; narrowing rounds to nearest even and keeps NaNs quiet.
@inline(__always) public func bf16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

@inline(__always) public func floatToBF16(_ x: Float) -> UInt16 {
    let b = x.bitPattern
    if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
    let rounding = UInt32(0x7FFF) + ((b >> 16) & 1)
    return UInt16(truncatingIfNeeded: (b &+ rounding) >> 16)
}

@inline(__always) public func f16ToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

@inline(__always) public func floatToF16(_ x: Float) -> UInt16 {
    Float16(x).bitPattern
}
