import WaveTensor

/// The validated header of one safetensors file. Layout (Schemas: the safetensors README):
///
///     [0, 8)          N, u64 little-endian: header length
///     [8, 8+N)        UTF-8 JSON object, optionally padded with spaces:
///                     {"__metadata__": {string: string}?,
///                      name: {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, ...}
///     [8+N, size)     data; offsets are relative to 8+N, tensors tile it exactly
///
/// Checks run in safetensors' `read_metadata`/`validate` order, each before anything the
/// next one would trust: size, length cap, in-bounds, UTF-8, JSON, entries, then the layout.
struct SafetensorsHeader {
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// Same cap as the reference implementation: larger headers are hostile, not real.
    static let maxHeaderBytes = 100_000_000
    /// Real headers nest 3 deep; the cap only bounds recursion on hostile input.
    static let maxJSONDepth = 32

    /// Entries sorted by data offset, which is the order tensors sit in the file.
    let entries: [Entry]
    let metadata: [String: String]
    /// Where the data section starts in the file (8 + N).
    let dataStart: Int

    init(validating file: UnsafeRawBufferPointer) throws {
        guard file.count >= 8 else { throw SafetensorsError.fileTooSmall(size: file.count) }
        var cursor = ByteCursor(file)
        let n = cursor.readU64()!
        guard n <= UInt64(Self.maxHeaderBytes) else {
            throw SafetensorsError.headerTooLarge(length: n, limit: Self.maxHeaderBytes)
        }
        guard let headerBytes = cursor.readBytes(Int(n)) else {
            throw SafetensorsError.headerPastEnd(length: n, available: file.count - 8)
        }
        if let bad = firstInvalidUTF8(headerBytes) { throw SafetensorsError.headerNotUTF8(offset: bad) }
        let json = try StrictJSON.parse(headerBytes, maxDepth: Self.maxJSONDepth,
                                        topLevelDuplicate: { key, offset in
            key == "__metadata__" ? .duplicateKey(key: key, offset: offset) : .duplicateTensorName(name: key)
        })
        guard case let .object(members) = json else { throw SafetensorsError.headerNotObject }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        entries.reserveCapacity(members.count)
        for m in members {
            let (key, value) = (m.key, m.value)
            if key == "__metadata__" {
                metadata = try Self.metadata(value)
            } else {
                entries.append(try Self.entry(name: key, value))
            }
        }
        // Lexicographic on (begin, end) puts a zero-size tensor before a sized one at the
        // same offset; a stable sort keeps header order among equal ranges.
        let sorted = entries.enumerated().sorted {
            ($0.element.begin, $0.element.end, $0.offset) < ($1.element.begin, $1.element.end, $1.offset)
        }.map(\.element)
        let dataLength = file.count - cursor.offset
        try Self.checkLayout(sorted, dataLength: dataLength)
        self.entries = sorted
        self.metadata = metadata
        self.dataStart = cursor.offset
    }

    private static func metadata(_ value: JSONValue) throws -> [String: String] {
        guard case let .object(pairs) = value else { throw SafetensorsError.metadataNotStringMap(key: "__metadata__") }
        var out: [String: String] = [:]
        for m in pairs {
            let (k, v) = (m.key, m.value)
            guard case let .string(s) = v else { throw SafetensorsError.metadataNotStringMap(key: k) }
            out[k] = s
        }
        return out
    }

    private static func entry(name: String, _ value: JSONValue) throws -> Entry {
        guard case let .object(fields) = value else { throw SafetensorsError.entryNotObject(name: name) }
        var dtypeValue, shapeValue, offsetsValue: JSONValue?
        for m in fields {
            let (field, v) = (m.key, m.value)
            switch field {
            case "dtype": dtypeValue = v
            case "shape": shapeValue = v
            case "data_offsets": offsetsValue = v
            default: throw SafetensorsError.unexpectedField(name: name, field: field)
            }
        }
        guard let dtypeValue else { throw SafetensorsError.missingField(name: name, field: "dtype") }
        guard let shapeValue else { throw SafetensorsError.missingField(name: name, field: "shape") }
        guard let offsetsValue else { throw SafetensorsError.missingField(name: name, field: "data_offsets") }

        guard case let .string(dtypeName) = dtypeValue, let dtype = DType(rawValue: dtypeName) else {
            let shown: String
            if case let .string(s) = dtypeValue { shown = s } else { shown = dtypeValue.summary }
            throw SafetensorsError.unknownDType(name: name, dtype: shown)
        }
        guard case let .array(dims) = shapeValue else { throw SafetensorsError.shapeNotArray(name: name) }
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for (i, d) in dims.enumerated() {
            guard let v = d.integer, v >= 0 else {
                throw SafetensorsError.invalidDimension(name: name, index: i, value: d.summary)
            }
            shape.append(v)
        }
        guard let byteCount = checkedByteCount(shape: shape, elementSize: dtype.size) else {
            throw SafetensorsError.elementCountOverflow(name: name, shape: shape)
        }
        guard case let .array(offsets) = offsetsValue, offsets.count == 2,
              let begin = offsets[0].integer, let end = offsets[1].integer, begin >= 0, end >= 0 else {
            throw SafetensorsError.invalidDataOffsets(name: name)
        }
        guard begin <= end else { throw SafetensorsError.offsetsReversed(name: name, begin: begin, end: end) }
        guard end - begin == byteCount else {
            throw SafetensorsError.sizeMismatch(name: name, dtype: dtype.rawValue, shape: shape,
                                                expected: byteCount, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Tensors must tile [0, dataLength) exactly: holes would hide data that no reader
    /// sees, overlaps let two tensors alias, and trailing bytes usually mean wrong offsets.
    private static func checkLayout(_ sorted: [Entry], dataLength: Int) throws {
        var previous: Entry?
        for e in sorted {
            if let p = previous {
                if e.begin < p.end {
                    throw SafetensorsError.overlappingTensors(name: e.name, previous: p.name, begin: e.begin, previousEnd: p.end)
                }
                if e.begin > p.end {
                    throw SafetensorsError.gapBeforeTensor(name: e.name, begin: e.begin, previousEnd: p.end)
                }
            } else if e.begin != 0 {
                throw SafetensorsError.offsetsNotFromZero(name: e.name, begin: e.begin)
            }
            previous = e
        }
        let end = previous?.end ?? 0
        if end > dataLength {
            throw SafetensorsError.dataOutOfBounds(name: previous!.name, end: end, dataLength: dataLength)
        }
        if end < dataLength { throw SafetensorsError.trailingBytes(count: dataLength - end, dataEnd: end) }
    }
}

/// Offset of the first byte that does not continue valid UTF-8 (overlongs, surrogates and
/// values past U+10FFFF are invalid), or nil when all of `bytes` is valid.
func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 { i += 1; continue }
        let len: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF   // allowed range of the second byte
        switch b0 {
        case 0xC2...0xDF: len = 2
        case 0xE0: len = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: len = 3
        case 0xED: len = 3; hi = 0x9F
        case 0xF0: len = 4; lo = 0x90
        case 0xF1...0xF3: len = 4
        case 0xF4: len = 4; hi = 0x8F
        default: return i
        }
        guard n - i >= len else { return i }
        guard bytes[i + 1] >= lo, bytes[i + 1] <= hi else { return i }
        for k in 2..<len where bytes[i + k] & 0xC0 != 0x80 { return i }
        i += len
    }
    return nil
}
