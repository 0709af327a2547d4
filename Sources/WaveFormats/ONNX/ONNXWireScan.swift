import CONNX
import CProtobufC

/// A bounds-checked walk over the protobuf wire format, run before protobuf-c unpacks anything.
///
/// protobuf-c only says "failed" (NULL) on bad input; this scan finds the first problem and names it with its
/// byte offset, and it does so without allocating. It follows the generated descriptors, so the schema is
/// stated once (Schemas/onnx-subset.proto): known fields must have their schema's wire type (repeated scalars
/// also packed), known sub-messages are walked, unknown fields are skipped after a bounds check. Payloads are
/// not read except packed varints, whose every element must be well formed, so the 97 MB model scans in well
/// under a millisecond per megabyte of headers.
struct ONNXWireScan {
    let bytes: UnsafeRawBufferPointer

    /// Nesting in the subset schema is at most six deep (Model → Graph → Node → Attribute → Tensor → Segment);
    /// the cap only guards against a future recursive field.
    static let maxDepth = 16

    static func validate(_ bytes: UnsafeRawBufferPointer) throws {
        try withUnsafePointer(to: onnx__model_proto__descriptor) { root in
            try ONNXWireScan(bytes: bytes).scan(from: 0, to: bytes.count, message: root, depth: 0)
        }
    }

    /// Reads a varint at `pos` that must end before `end`; returns value and the position after it.
    func varint(at pos: Int, end: Int, field: @autoclosure () -> String) throws -> (UInt64, Int) {
        var value: UInt64 = 0
        var p = pos
        for i in 0..<10 {
            guard p < end else { throw ONNXError.truncated(offset: pos, field: field()) }
            let b = bytes[p]
            p += 1
            value |= UInt64(b & 0x7f) << UInt64(7 * i)
            if b & 0x80 == 0 { return (value, p) }
        }
        throw ONNXError.badVarint(offset: pos)
    }

    func scan(from start: Int, to end: Int, message desc: UnsafePointer<ProtobufCMessageDescriptor>, depth: Int) throws {
        guard depth < Self.maxDepth else { throw ONNXError.invalidFieldNumber(offset: start) }
        let messageName = String(cString: desc.pointee.short_name)
        var p = start
        while p < end {
            let tagStart = p
            let (tag, afterTag) = try varint(at: p, end: end, field: "\(messageName) field tag")
            // protobuf-c reads tags as 32-bit values of at most 5 bytes; field number 0 is never valid.
            guard afterTag - tagStart <= 5, tag <= UInt64(UInt32.max), tag >> 3 != 0 else {
                throw ONNXError.invalidFieldNumber(offset: tagStart)
            }
            p = afterTag
            let wire = Int(tag & 7)
            let fieldDesc = protobuf_c_message_descriptor_get_field(desc, UInt32(tag >> 3))
            let name = fieldDesc.map { "\(messageName).\(String(cString: $0.pointee.name))" }
                ?? "\(messageName) field \(tag >> 3)"
            // 3/4 are the deprecated groups, which protobuf-c does not read; 6/7 do not exist.
            guard wire == 0 || wire == 1 || wire == 2 || wire == 5 else {
                throw ONNXError.invalidWireType(offset: tagStart, wireType: wire)
            }
            if let f = fieldDesc {
                try checkWireType(f, wire: wire, offset: tagStart, name: name)
            }
            switch wire {
            case 0:
                p = try varint(at: p, end: end, field: name).1
            case 1, 5:
                let n = wire == 1 ? 8 : 4
                guard end - p >= n else { throw ONNXError.truncated(offset: p, field: name) }
                p += n
            case 2:
                let (len, bodyStart) = try varint(at: p, end: end, field: "\(name) length")
                guard len <= UInt64(end - bodyStart) else {
                    throw ONNXError.lengthPastEnd(offset: tagStart, field: name, length: len, remaining: end - bodyStart)
                }
                let bodyEnd = bodyStart + Int(len)
                if let f = fieldDesc {
                    if f.pointee.type == PROTOBUF_C_TYPE_MESSAGE, let sub = f.pointee.descriptor {
                        try scan(from: bodyStart, to: bodyEnd,
                                 message: sub.assumingMemoryBound(to: ProtobufCMessageDescriptor.self), depth: depth + 1)
                    } else if let size = Self.scalarWireSize(f.pointee.type) {
                        try checkPacked(from: bodyStart, to: bodyEnd, elementSize: size, offset: tagStart, name: name)
                    }
                }
                p = bodyEnd
            default:
                throw ONNXError.invalidWireType(offset: tagStart, wireType: wire)
            }
        }
    }

    /// Wire type of a scalar field: 0 varint, 1 eight bytes, 5 four bytes; nil for length-delimited types.
    static func scalarWire(_ t: ProtobufCType) -> Int? {
        switch t {
        case PROTOBUF_C_TYPE_FLOAT, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32: return 5
        case PROTOBUF_C_TYPE_DOUBLE, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64: return 1
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: return nil
        default: return 0
        }
    }

    /// Element size inside a packed field: 4 or 8 for fixed-width types, 0 for varints.
    static func scalarWireSize(_ t: ProtobufCType) -> Int? {
        switch scalarWire(t) {
        case 5: return 4
        case 1: return 8
        case 0: return 0
        default: return nil
        }
    }

    func checkWireType(_ f: UnsafePointer<ProtobufCFieldDescriptor>, wire: Int, offset: Int, name: String) throws {
        let expected = Self.scalarWire(f.pointee.type) ?? 2
        if wire == expected { return }
        // Repeated scalars may arrive packed (one length-delimited run) whatever the schema declares.
        if wire == 2, f.pointee.label == PROTOBUF_C_LABEL_REPEATED, Self.scalarWire(f.pointee.type) != nil { return }
        throw ONNXError.wrongWireType(offset: offset, field: name, wireType: wire, expected: expected)
    }

    func checkPacked(from start: Int, to end: Int, elementSize: Int, offset: Int, name: String) throws {
        if elementSize > 0 {
            guard (end - start) % elementSize == 0 else {
                throw ONNXError.badPackedLength(offset: offset, field: name, length: end - start, elementSize: elementSize)
            }
            return
        }
        var p = start
        while p < end { p = try varint(at: p, end: end, field: name).1 }
    }
}
