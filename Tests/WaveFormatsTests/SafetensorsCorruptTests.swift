import Testing
import WaveFormats
import WaveTensor

/// One malformed file and the exact error it must produce.
struct CorruptCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let expected: SafetensorsError
    var testDescription: String { label }
}

private typealias E = STBytes

/// Each case breaks one rule of the layout and nothing else, in the order the reader checks.
let corruptCases: [CorruptCase] = [
    CorruptCase(label: "empty file", bytes: [], expected: .fileTooSmall(size: 0)),
    CorruptCase(label: "truncated length prefix", bytes: [8, 0, 0, 0, 0], expected: .fileTooSmall(size: 5)),
    CorruptCase(label: "header length past the end",
                bytes: E.file(header: Array("{}".utf8), declaredLength: 100),
                expected: .headerPastEnd(length: 100, available: 2)),
    CorruptCase(label: "header length huge",
                bytes: E.file(header: Array("{}".utf8), declaredLength: UInt64.max),
                expected: .headerTooLarge(length: UInt64.max, limit: 100_000_000)),
    CorruptCase(label: "header length just over the cap",
                bytes: E.file(header: [], declaredLength: 100_000_001),
                expected: .headerTooLarge(length: 100_000_001, limit: 100_000_000)),
    CorruptCase(label: "invalid UTF-8 in a name",
                bytes: E.file(header: Array("{\"a".utf8) + [0xFF] + Array("\":1}".utf8)),
                expected: .headerNotUTF8(offset: 3)),
    CorruptCase(label: "UTF-8 encoded surrogate",
                bytes: E.file(header: Array("{\"".utf8) + [0xED, 0xA0, 0x80] + Array("\":1}".utf8)),
                expected: .headerNotUTF8(offset: 2)),
    CorruptCase(label: "not JSON", bytes: E.file("hello"),
                expected: .invalidJSON(offset: 0, reason: "unexpected character 'h'")),
    CorruptCase(label: "trailing garbage after the JSON", bytes: E.file("{} x"),
                expected: .invalidJSON(offset: 3, reason: "unexpected data after the JSON value")),
    CorruptCase(label: "truncated JSON", bytes: E.file("{\"a\":"),
                expected: .invalidJSON(offset: 5, reason: "unexpected end, expected a value")),
    CorruptCase(label: "trailing comma", bytes: E.file("{\"a\":{},}"),
                expected: .invalidJSON(offset: 8, reason: "expected a string key")),
    CorruptCase(label: "leading zero", bytes: E.file("{\"a\":01}"),
                expected: .invalidJSON(offset: 6, reason: "leading zero in a number")),
    CorruptCase(label: "lone surrogate escape", bytes: E.file("{\"\\ud800\":1}"),
                expected: .invalidJSON(offset: 8, reason: "unpaired surrogate in \\u escape")),
    CorruptCase(label: "raw control character in a string", bytes: E.file("{\"a\u{01}\":1}"),
                expected: .invalidJSON(offset: 3, reason: "control character in a string")),
    CorruptCase(label: "nesting past the depth cap",
                bytes: E.file("{\"a\":{\"dtype\":\"F32\",\"shape\":" + String(repeating: "[", count: 40)
                              + String(repeating: "]", count: 40) + "}}"),
                expected: .jsonTooDeep(offset: 58, limit: 32)),
    CorruptCase(label: "header is an array", bytes: E.file("[]"), expected: .headerNotObject),
    CorruptCase(label: "duplicate tensor names",
                bytes: E.file("{" + E.entry("a", offsets: "[0,8]") + "," + E.entry("a", offsets: "[8,16]") + "}", payload: E.zeros(16)),
                expected: .duplicateTensorName(name: "a")),
    CorruptCase(label: "__metadata__ twice",
                bytes: E.file("{\"__metadata__\":{},\"__metadata__\":{}}"),
                expected: .duplicateKey(key: "__metadata__", offset: 19)),
    CorruptCase(label: "duplicate field in an entry",
                bytes: E.file("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,4]}}", payload: E.zeros(4)),
                expected: .duplicateKey(key: "dtype", offset: 20)),
    CorruptCase(label: "__metadata__ with a non-string value",
                bytes: E.file("{\"__metadata__\":{\"format\":\"pt\",\"n\":3}}"),
                expected: .metadataNotStringMap(key: "n")),
    CorruptCase(label: "__metadata__ not an object", bytes: E.file("{\"__metadata__\":\"pt\"}"),
                expected: .metadataNotStringMap(key: "__metadata__")),
    CorruptCase(label: "entry not an object", bytes: E.file("{\"a\":[0,4]}"), expected: .entryNotObject(name: "a")),
    CorruptCase(label: "unknown field", bytes: E.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"align\":64}}", payload: E.zeros(4)),
                expected: .unexpectedField(name: "a", field: "align")),
    CorruptCase(label: "missing dtype", bytes: E.file("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}", payload: E.zeros(4)),
                expected: .missingField(name: "a", field: "dtype")),
    CorruptCase(label: "missing data_offsets", bytes: E.file("{\"a\":{\"dtype\":\"F32\",\"shape\":[]}}", payload: E.zeros(4)),
                expected: .missingField(name: "a", field: "data_offsets")),
    CorruptCase(label: "unknown dtype", bytes: E.file("{" + E.entry("a", "F8_E4M3", "[2]", offsets: "[0,2]") + "}", payload: E.zeros(2)),
                expected: .unknownDType(name: "a", dtype: "F8_E4M3")),
    CorruptCase(label: "lower-case dtype", bytes: E.file("{" + E.entry("a", "f32", "[2]", offsets: "[0,8]") + "}", payload: E.zeros(8)),
                expected: .unknownDType(name: "a", dtype: "f32")),
    CorruptCase(label: "shape not an array", bytes: E.file("{" + E.entry("a", "F32", "4", offsets: "[0,16]") + "}", payload: E.zeros(16)),
                expected: .shapeNotArray(name: "a")),
    CorruptCase(label: "negative dimension", bytes: E.file("{" + E.entry("a", "F32", "[2,-1]", offsets: "[0,8]") + "}", payload: E.zeros(8)),
                expected: .invalidDimension(name: "a", index: 1, value: "-1")),
    CorruptCase(label: "fractional dimension", bytes: E.file("{" + E.entry("a", "F32", "[2.0]", offsets: "[0,8]") + "}", payload: E.zeros(8)),
                expected: .invalidDimension(name: "a", index: 0, value: "2.0")),
    CorruptCase(label: "dimension beyond Int", bytes: E.file("{" + E.entry("a", "U8", "[18446744073709551616]", offsets: "[0,1]") + "}", payload: E.zeros(1)),
                expected: .invalidDimension(name: "a", index: 0, value: "18446744073709551616")),
    CorruptCase(label: "element count overflows",
                bytes: E.file("{" + E.entry("a", "F32", "[4294967296,4294967296]", offsets: "[0,0]") + "}"),
                expected: .elementCountOverflow(name: "a", shape: [4_294_967_296, 4_294_967_296])),
    CorruptCase(label: "byte count overflows",
                bytes: E.file("{" + E.entry("a", "F64", "[2305843009213693952]", offsets: "[0,0]") + "}"),
                expected: .elementCountOverflow(name: "a", shape: [2_305_843_009_213_693_952])),
    CorruptCase(label: "data_offsets with three numbers", bytes: E.file("{" + E.entry("a", offsets: "[0,8,16]") + "}", payload: E.zeros(8)),
                expected: .invalidDataOffsets(name: "a")),
    CorruptCase(label: "negative offset", bytes: E.file("{" + E.entry("a", offsets: "[-8,0]") + "}"),
                expected: .invalidDataOffsets(name: "a")),
    CorruptCase(label: "begin after end", bytes: E.file("{" + E.entry("a", offsets: "[8,0]") + "}", payload: E.zeros(8)),
                expected: .offsetsReversed(name: "a", begin: 8, end: 0)),
    CorruptCase(label: "dtype/size mismatch", bytes: E.file("{" + E.entry("a", "F32", "[2]", offsets: "[0,4]") + "}", payload: E.zeros(4)),
                expected: .sizeMismatch(name: "a", dtype: "F32", shape: [2], expected: 8, actual: 4)),
    CorruptCase(label: "offsets not starting at 0", bytes: E.file("{" + E.entry("a", offsets: "[4,12]") + "}", payload: E.zeros(12)),
                expected: .offsetsNotFromZero(name: "a", begin: 4)),
    CorruptCase(label: "overlapping tensors",
                bytes: E.file("{" + E.entry("a", offsets: "[0,8]") + "," + E.entry("b", offsets: "[4,12]") + "}", payload: E.zeros(12)),
                expected: .overlappingTensors(name: "b", previous: "a", begin: 4, previousEnd: 8)),
    CorruptCase(label: "two tensors at the same offsets",
                bytes: E.file("{" + E.entry("a", offsets: "[0,8]") + "," + E.entry("b", offsets: "[0,8]") + "}", payload: E.zeros(8)),
                expected: .overlappingTensors(name: "b", previous: "a", begin: 0, previousEnd: 8)),
    CorruptCase(label: "hole between tensors",
                bytes: E.file("{" + E.entry("a", offsets: "[0,8]") + "," + E.entry("b", offsets: "[12,20]") + "}", payload: E.zeros(20)),
                expected: .gapBeforeTensor(name: "b", begin: 12, previousEnd: 8)),
    CorruptCase(label: "data past the end of the file",
                bytes: E.file("{" + E.entry("a", offsets: "[0,8]") + "}", payload: E.zeros(4)),
                expected: .dataOutOfBounds(name: "a", end: 8, dataLength: 4)),
    CorruptCase(label: "trailing bytes", bytes: E.file("{" + E.entry("a", offsets: "[0,8]") + "}", payload: E.zeros(12)),
                expected: .trailingBytes(count: 4, dataEnd: 8)),
    CorruptCase(label: "data but no tensors", bytes: E.file("{}", payload: E.zeros(3)),
                expected: .trailingBytes(count: 3, dataEnd: 0)),
]

@Suite("Safetensors corrupt inputs")
struct SafetensorsCorruptTests {
    @Test(arguments: corruptCases)
    func rejected(_ c: CorruptCase) throws {
        #expect(throws: c.expected) { try parseBytes(c.bytes) }
    }

    @Test func tableIsLargeAndDistinct() {
        #expect(corruptCases.count >= 15)
        #expect(Set(corruptCases.map(\.label)).count == corruptCases.count)
    }

    /// The minimal valid inputs next to the corrupt ones, so the table tests the rules and
    /// not a reader that refuses everything.
    @Test func minimalFilesAccepted() throws {
        #expect(try parseBytes(E.file("{}")).isEmpty)
        #expect(try parseBytes(E.file("  {  }  ")).isEmpty)
        let zeroSize = try parseBytes(E.file("{" + E.entry("z", "F32", "[0,3]", offsets: "[0,0]") + "," + E.entry("a", "F32", "[]", offsets: "[0,4]") + "}",
                                             payload: [0, 0, 0x80, 0x3F]))
        #expect(zeroSize.order == ["z", "a"])
        #expect(zeroSize["a"]!.floats() == [1])
        #expect(zeroSize["z"]!.shape == [0, 3])
    }

    /// Order follows data offsets, not header key order.
    @Test func orderIsFileOrder() throws {
        let set = try parseBytes(E.file("{" + E.entry("b", offsets: "[8,16]") + "," + E.entry("a", offsets: "[0,8]") + "}", payload: E.zeros(16)))
        #expect(set.order == ["a", "b"])
    }

    @Test func messagesAreOneLine() {
        for c in corruptCases { #expect(!c.expected.description.contains("\n"), "\(c.label)") }
    }
}
