import Foundation
import Testing
import CWaveBundle
import WaveTensor
import WaveFormats
@testable import WaveMethod

/// Bundles made in code: a tiny condensed model written to a temporary file and read back.
enum BundleFixture {
    static func templates(seed: UInt64 = 1) throws -> WaveTemplates {
        let cfg = Synthetic.tiny
        return try Condenser.condense(canonical: Synthetic.vit(cfg, seed: seed), config: cfg, family: "timm-vit",
                                      plan: TemplatePlan(templateSize: 8))
    }

    static func bytes(dtype: DType = .f32) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wave-bundle-\(UUID().uuidString).wave").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var o = BundleWriter.Options()
        o.dtype = dtype
        o.provenance.ancestryFile = "tiny.safetensors"
        o.provenance.tool = "wave test"
        try BundleWriter.write(try templates(), to: path, options: o)
        return Array(FileManager.default.contents(atPath: path)!)
    }

    static func open(_ bytes: [UInt8]) throws -> WaveBundle {
        let owned = bytes.withUnsafeBytes { OwnedBytes(copying: $0) }
        return try WaveBundle(bytes: owned.bytes, owner: owned)
    }

    static func u64(_ b: [UInt8], _ at: Int) -> Int { Int(b[at..<(at + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }

    /// The manifest bytes and the payload section of a valid bundle.
    static func split(_ b: [UInt8]) -> (manifest: [UInt8], payloads: [UInt8]) {
        let m = u64(b, 16)
        let start = BundleFormat.align(56 + m)
        return (Array(b[56..<(56 + m)]), Array(b[start...]))
    }

    /// A bundle from manifest bytes and a payload section, with a correct header unless told otherwise.
    static func assemble(_ manifest: [UInt8], _ payloads: [UInt8], version: UInt32 = 1, flags: UInt32 = 0,
                         length: UInt64? = nil, digest: [UInt8]? = nil) -> [UInt8] {
        var out = BundleFormat.magic
        withUnsafeBytes(of: version.littleEndian) { out += $0 }
        withUnsafeBytes(of: flags.littleEndian) { out += $0 }
        withUnsafeBytes(of: (length ?? UInt64(manifest.count)).littleEndian) { out += $0 }
        out += digest ?? SHA256.hash(manifest)
        out += manifest
        out += [UInt8](repeating: 0, count: BundleFormat.align(out.count) - out.count)
        return out + payloads
    }

    /// Re-packs a valid bundle after editing its manifest (Swift view).
    static func editManifest(_ b: [UInt8], _ edit: (inout BundleManifest) -> Void) throws -> [UInt8] {
        let (m, p) = split(b)
        var man = try m.withUnsafeBytes { try BundleManifest(packed: $0) }
        edit(&man)
        return assemble(man.packed(), p)
    }

    /// Re-packs after editing the raw protobuf-c message, for values the Swift view cannot hold. The
    /// message is freed with protobuf-c's (malloc) allocator: replaced fields must be malloc'd, old ones freed.
    static func editRaw(_ b: [UInt8], _ edit: (UnsafeMutablePointer<Wave__Bundle__Manifest>) -> Void) -> [UInt8] {
        let (m, p) = split(b)
        let msg = m.withUnsafeBufferPointer { wave__bundle__manifest__unpack(nil, $0.count, $0.baseAddress) }!
        defer { wave__bundle__manifest__free_unpacked(msg, nil) }
        edit(msg)
        var out = [UInt8](repeating: 0, count: wave__bundle__manifest__get_packed_size(msg))
        _ = out.withUnsafeMutableBufferPointer { wave__bundle__manifest__pack(msg, $0.baseAddress) }
        return assemble(out, p)
    }
}

@Suite struct BundleRoundTripTests {
    @Test func f32RoundTripIsExact() throws {
        let t = try BundleFixture.templates()
        let b = try BundleFixture.open(try BundleFixture.bytes())
        try b.verify()
        let back = try b.templates()
        #expect(back.ancestry == t.ancestry && back.templateSize == t.templateSize && back.layerScale == t.layerScale)
        for (c, d) in zip(t.components, back.components) {
            #expect(c.spec == d.spec && c.shape == d.shape)
            #expect(c.templates == d.templates && c.scalers == d.scalers)
            #expect(c.relError == d.relError)
        }
        for (name, x) in t.others.all { #expect(back.others[name]!.floats() == x.floats()) }
        #expect(b.manifest.provenance.ancestryFile == "tiny.safetensors")
    }

    @Test(arguments: [DType.f16, .bf16])
    func halfPrecisionRoundTripIsClose(_ dtype: DType) throws {
        let t = try BundleFixture.templates()
        let back = try BundleFixture.open(try BundleFixture.bytes(dtype: dtype)).templates()
        let tol: Float = dtype == .f16 ? 1e-3 : 8e-3
        for (c, d) in zip(t.components, back.components) {
            #expect(c.scalers == d.scalers)   // scalers stay F32
            let scale = c.templates.map(abs).max() ?? 1
            #expect(maxAbsDiff(c.templates, d.templates) <= tol * scale)
        }
    }

    /// Seeded property test: different models and dtypes always read back what was written.
    @Test(arguments: [UInt64(2), 3, 4])
    func seededRoundTrips(_ seed: UInt64) throws {
        let t = try BundleFixture.templates(seed: seed)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wave-rt-\(seed)-\(UUID().uuidString).wave").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try BundleWriter.write(t, to: path)
        let back = try WaveBundle(path: path).templates()
        #expect(back.reconstruction().all.map(\.name) == t.reconstruction().all.map(\.name))
        for (name, x) in t.reconstruction().all { #expect(back.reconstruction()[name]!.floats() == x.floats()) }
    }
}

@Suite struct BundleCorruptTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let expected: String
        let make: @Sendable ([UInt8]) throws -> [UInt8]
        /// Payload problems show when a tensor is read (verify), not when the bundle is opened.
        var onVerify = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty file", expected: "tooSmall") { _ in [] },
        Case(name: "shorter than the header", expected: "tooSmall") { Array($0[0..<55]) },
        Case(name: "wrong magic", expected: "badMagic") { var b = $0; b[0] = UInt8(ascii: "X"); return b },
        Case(name: "future version", expected: "unsupportedVersion") { b in
            let (m, p) = BundleFixture.split(b); return BundleFixture.assemble(m, p, version: 2) },
        Case(name: "reserved flags set", expected: "reservedFlags") { b in
            let (m, p) = BundleFixture.split(b); return BundleFixture.assemble(m, p, flags: 1) },
        Case(name: "manifest length over the cap", expected: "manifestTooLarge") { b in
            let (m, p) = BundleFixture.split(b); return BundleFixture.assemble(m, p, length: 1 << 40) },
        Case(name: "manifest length past the end", expected: "manifestOutOfBounds") { b in
            let (m, _) = BundleFixture.split(b); return Array(BundleFixture.assemble(m, [], length: UInt64(m.count + 4096))[0..<(56 + m.count)]) },
        Case(name: "manifest byte flipped", expected: "manifestChecksum") { var b = $0; b[60] ^= 0x40; return b },
        Case(name: "manifest not a protobuf", expected: "manifestUnparsable") { b in
            BundleFixture.assemble([0xff, 0xff, 0xff, 0xff, 0x0f], BundleFixture.split(b).payloads) },
        Case(name: "wrong format name", expected: "badFormatName") { b in
            BundleFixture.editRaw(b) { m in free(m.pointee.format); m.pointee.format = strdup("other.format") } },
        Case(name: "no ancestry section", expected: "missingSection") { b in
            BundleFixture.editRaw(b) { m in wave__bundle__ancestry__free_unpacked(m.pointee.ancestry, nil); m.pointee.ancestry = nil } },
        Case(name: "duplicate tensor name", expected: "duplicateTensor") { b in
            try BundleFixture.editManifest(b) { $0.tensors[1].name = $0.tensors[0].name } },
        Case(name: "integer dtype", expected: "badDType") { b in
            try BundleFixture.editManifest(b) { $0.tensors[0].dtype = .i32 } },
        Case(name: "rank over the cap", expected: "badShape") { b in
            try BundleFixture.editManifest(b) { $0.tensors[0].shape = [Int](repeating: 1, count: 9) } },
        Case(name: "shape product overflows", expected: "badShape") { b in
            try BundleFixture.editManifest(b) { $0.tensors[0].shape = [1 << 20, 1 << 20, 1 << 20] } },
        Case(name: "raw length disagrees with shape", expected: "lengthMismatch") { b in
            try BundleFixture.editManifest(b) { $0.tensors[0].shape[0] += 1 } },
        Case(name: "unknown encoding", expected: "badEncoding") { b in
            BundleFixture.editRaw(b) { m in m.pointee.tensors[0]!.pointee.encoding = Wave__Bundle__TensorEntry__Encoding(rawValue: 7) } },
        Case(name: "unknown role", expected: "badRole") { b in
            BundleFixture.editRaw(b) { m in m.pointee.tensors[0]!.pointee.role = Wave__Bundle__TensorEntry__Role(rawValue: 9) } },
        Case(name: "checksum field too short", expected: "badChecksumField") { b in
            try BundleFixture.editManifest(b) { $0.tensors[2].sha256.removeLast() } },
        Case(name: "misaligned payload offset", expected: "misaligned") { b in
            try BundleFixture.editManifest(b) { $0.tensors[1].offset += 8 } },
        Case(name: "payloads out of order", expected: "notContiguous") { b in
            try BundleFixture.editManifest(b) { $0.tensors[1].offset += 64 } },
        Case(name: "payload length past the end", expected: "payloadOutOfBounds") { b in
            try BundleFixture.editManifest(b) { $0.tensors[$0.tensors.count - 1].length += 1 << 20 } },
        Case(name: "payload length over the cap", expected: "payloadTooLarge") { b in
            try BundleFixture.editManifest(b) { $0.tensors[0].length = 1 << 40 } },
        Case(name: "truncated payload section", expected: "payloadOutOfBounds") { Array($0.dropLast(3)) },
        Case(name: "trailing bytes", expected: "trailingBytes") { $0 + [0, 0, 0, 0] },
        Case(name: "non-zero padding after the manifest", expected: "nonZeroPadding") { b in
            let m = BundleFixture.u64(b, 16)
            var out = b
            guard 56 + m < BundleFormat.align(56 + m) else { return [] }   // no padding to corrupt: fails the test
            out[56 + m] = 1
            return out },
        Case(name: "payload byte flipped", expected: "checksumMismatch", make: { b in
            var out = b; out[out.count - 1] ^= 1; return out }, onVerify: true),
        Case(name: "payload not a zstd frame (checksum re-signed)", expected: "badPayload", make: { b in
            let (m, p) = BundleFixture.split(b)
            var man = try m.withUnsafeBytes { try BundleManifest(packed: $0) }
            guard let i = man.tensors.firstIndex(where: { $0.encoding != .raw }) else { return [] }
            var payload = p
            let e = man.tensors[i]
            for j in e.offset..<(e.offset + e.length) { payload[j] = 0x55 }
            man.tensors[i].sha256 = SHA256.hash(Array(payload[e.offset..<(e.offset + e.length)]))
            return BundleFixture.assemble(man.packed(), payload) }, onVerify: true),
    ]

    @Test(arguments: cases)
    func corruptInputIsRejected(_ c: Case) throws {
        let bytes = try c.make(try BundleFixture.bytes())
        do {
            let b = try BundleFixture.open(bytes)
            #expect(c.onVerify, "\(c.name): opened without error")
            try b.verify()
            Issue.record("\(c.name): no error, expected \(c.expected)")
        } catch let e as BundleError {
            #expect(e.code == c.expected, "\(c.name): \(e)")
        }
    }

    @Test func validBundleOpens() throws {
        let b = try BundleFixture.open(try BundleFixture.bytes())
        #expect(try b.verify() == b.rawPayloadBytes)
    }
}
