/// A JSON value as the strict parser returns it. Objects keep their keys in file order, and
/// numbers keep their literal text so that callers decide what an integer is (a shape of
/// `2.0` or `1e3` is refused rather than rounded).
enum JSONValue {
    case object([JSONMember])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The value as an Int when it is an integer literal that fits.
    var integer: Int? {
        guard case let .number(text) = self,
              !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
        else { return nil }
        return Int(text)
    }

    /// Short text for error messages.
    var summary: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case let .string(s): return "\"\(s.prefix(40))\""
        case let .number(n): return String(n.prefix(40))
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// One key and value of an object (a struct: a labelled tuple here trips the compiler's recursion check).
struct JSONMember {
    let key: String
    let value: JSONValue
}

/// RFC 8259 JSON with nothing extra: no comments, trailing commas, NaN, leading zeros or
/// lone surrogates; a depth cap so hostile nesting cannot exhaust the stack; and duplicate
/// keys refused, because Foundation's parser silently keeps one of them and two readers of
/// the same header could then disagree about a tensor. Input must already be valid UTF-8.
struct StrictJSON {
    private let bytes: UnsafeRawBufferPointer
    private var pos = 0
    private let maxDepth: Int
    /// Lets the safetensors header report a repeated top-level key (with its offset) as a
    /// repeated tensor name.
    private let topLevelDuplicate: ((String, Int) -> SafetensorsError)?

    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 32,
                      topLevelDuplicate: ((String, Int) -> SafetensorsError)? = nil) throws -> JSONValue {
        var p = StrictJSON(bytes: bytes, maxDepth: maxDepth, topLevelDuplicate: topLevelDuplicate)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.pos == bytes.count else { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int, topLevelDuplicate: ((String, Int) -> SafetensorsError)?) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.topLevelDuplicate = topLevelDuplicate
    }

    private func fail(_ reason: String) -> SafetensorsError { .invalidJSON(offset: pos, reason: reason) }

    private var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    private mutating func skipWhitespace() {
        while let c = peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws {
        guard peek == c else { throw fail(peek == nil ? "unexpected end, expected \(what)" : "expected \(what)") }
        pos += 1
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard let c = peek else { throw fail("unexpected end, expected a value") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character '\(Unicode.Scalar(c))'")
        }
    }

    private mutating func literal(_ word: String) throws {
        for c in word.utf8 {
            guard peek == c else { throw fail("invalid literal") }
            pos += 1
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw SafetensorsError.jsonTooDeep(offset: pos, limit: maxDepth) }
        pos += 1
        var members: [JSONMember] = []
        // Tensor entries have three keys, so a linear scan beats hashing there; the set is
        // built only for large objects such as the top level.
        var seen: Set<String>? = nil
        skipWhitespace()
        if peek == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            skipWhitespace()
            let keyOffset = pos
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            let duplicate: Bool
            if var set = seen {
                seen = nil
                duplicate = !set.insert(key).inserted
                seen = set
            } else if members.count < 16 {
                duplicate = members.contains { $0.key == key }
            } else {
                var set = Set(members.map(\.key))
                duplicate = !set.insert(key).inserted
                seen = set
            }
            guard !duplicate else {
                if depth == 1, let topLevelDuplicate { throw topLevelDuplicate(key, keyOffset) }
                throw SafetensorsError.duplicateKey(key: key, offset: keyOffset)
            }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            members.append(JSONMember(key: key, value: try value(depth: depth)))
            skipWhitespace()
            if peek == UInt8(ascii: ",") { pos += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw SafetensorsError.jsonTooDeep(offset: pos, limit: maxDepth) }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            if peek == UInt8(ascii: ",") { pos += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    private mutating func digits() -> Int {
        let start = pos
        while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { pos += 1 }
        return pos - start
    }

    private mutating func number() throws -> String {
        let start = pos
        if peek == UInt8(ascii: "-") { pos += 1 }
        if peek == UInt8(ascii: "0") {
            pos += 1
            if let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { throw fail("leading zero in a number") }
        } else if digits() == 0 { throw fail("expected digits") }
        if peek == UInt8(ascii: ".") {
            pos += 1
            guard digits() > 0 else { throw fail("expected digits after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            pos += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { pos += 1 }
            guard digits() > 0 else { throw fail("expected digits in the exponent") }
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - pos >= 4 else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        pos += 1
        let start = pos
        // Fast path: most keys and values have no escapes, so the bytes are the string.
        while let c = peek, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
            guard c >= 0x20 else { throw fail("control character in a string") }
            pos += 1
        }
        guard let stop = peek else { throw fail("unterminated string") }
        if stop == UInt8(ascii: "\"") {
            pos += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(pos - 1)]), as: UTF8.self)
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<pos]))
        while true {
            guard let c = peek else { throw fail("unterminated string") }
            pos += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw fail("unterminated escape") }
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                default: pos -= 1; throw fail("invalid escape")
                }
            default:
                guard c >= 0x20 else { pos -= 1; throw fail("control character in a string") }
                out.append(c)
            }
        }
    }

    private mutating func unicodeEscape() throws -> [UInt8] {
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar) {
            guard bytes.count - pos >= 2, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired surrogate in \\u escape")
            }
            pos += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalar) {
            throw fail("unpaired surrogate in \\u escape")
        }
        return Array(String(Unicode.Scalar(scalar)!).utf8)
    }
}

/// `s` as a JSON string literal, escaping what RFC 8259 requires.
func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
