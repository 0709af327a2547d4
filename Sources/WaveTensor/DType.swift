/// Element types wave reads and writes. Raw values are the safetensors spellings, which the
/// bundle manifest and `inspect --json` reuse so that one name means one thing everywhere.
public enum DType: String, Sendable, CaseIterable, Codable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

/// Product of dimensions with overflow checks; nil when a dimension is negative or the
/// product (or the product times `elementSize`) does not fit in an Int.
public func checkedByteCount(shape: [Int], elementSize: Int = 1) -> Int? {
    var n = 1
    for d in shape {
        guard d >= 0 else { return nil }
        let (p, o) = n.multipliedReportingOverflow(by: d)
        if o { return nil }
        n = p
    }
    let (b, o) = n.multipliedReportingOverflow(by: elementSize)
    return o ? nil : b
}
