import Foundation
import WaveTensor
import WaveFormats

/// A bundle opened for reading. Opening validates the header, the manifest and the payload layout
/// (in the order of Schemas/bundle.md, before allocating anything a value in the file sizes);
/// payloads are checksummed and decoded only when asked for.
public final class WaveBundle: @unchecked Sendable {
    public let manifest: BundleManifest
    public let manifestLength: Int
    public let payloadStart: Int
    public let fileSize: Int
    private let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject

    public convenience init(path: String) throws {
        let file = try MappedFile(path: path)
        try self.init(bytes: file.bytes, owner: file)
    }

    /// Validates `bytes` (kept alive by `owner`) as a bundle.
    public init(bytes: UnsafeRawBufferPointer, owner: AnyObject) throws {
        self.bytes = bytes
        self.owner = owner
        fileSize = bytes.count
        // 1. Minimum size, magic, version, flags.
        guard bytes.count >= BundleFormat.headerSize else { throw BundleError.tooSmall(size: bytes.count) }
        var cur = ByteCursor(bytes)
        guard Array(cur.readBytes(8)!) == BundleFormat.magic else { throw BundleError.badMagic }
        let version = cur.readU32()!
        guard version == BundleFormat.version else { throw BundleError.unsupportedVersion(version) }
        let flags = cur.readU32()!
        guard flags == 0 else { throw BundleError.reservedFlags(flags) }
        // 2. Manifest length: cap, then bounds (the sum cannot overflow below the cap).
        let length = cur.readU64()!
        guard length <= UInt64(BundleFormat.maxManifestBytes) else {
            throw BundleError.manifestTooLarge(length: length, cap: BundleFormat.maxManifestBytes)
        }
        manifestLength = Int(length)
        guard BundleFormat.headerSize + manifestLength <= bytes.count else {
            throw BundleError.manifestOutOfBounds(length: length, fileSize: bytes.count)
        }
        let digest = Array(cur.readBytes(32)!)
        let man = cur.readBytes(manifestLength)!
        // 3. Checksum, then parse (protobuf-c sizes its allocations from the checked bytes only).
        guard SHA256.hash(man) == digest else { throw BundleError.manifestChecksum }
        manifest = try BundleManifest(packed: man)
        // 4. Layout: payloads packed in manifest order, aligned, inside the file, zero padding, exact coverage.
        payloadStart = BundleFormat.align(BundleFormat.headerSize + manifestLength)
        guard payloadStart <= bytes.count else {
            throw BundleError.payloadOutOfBounds(name: manifest.tensors.first?.name ?? "(none)", offset: 0, length: 0, section: 0)
        }
        try Self.checkZero(bytes, from: BundleFormat.headerSize + manifestLength, to: payloadStart)
        let section = bytes.count - payloadStart
        var end = 0
        for e in manifest.tensors {
            guard e.offset % BundleFormat.alignment == 0 else { throw BundleError.misaligned(name: e.name, offset: UInt64(e.offset)) }
            let expected = BundleFormat.align(end)
            guard e.offset == expected else { throw BundleError.notContiguous(name: e.name, offset: UInt64(e.offset), expected: expected) }
            let (stop, overflow) = e.offset.addingReportingOverflow(e.length)
            guard !overflow, stop <= section else {
                throw BundleError.payloadOutOfBounds(name: e.name, offset: UInt64(e.offset), length: UInt64(e.length), section: section)
            }
            if e.encoding == .raw, e.length != e.rawLength {
                throw BundleError.badPayload(name: e.name, reason: "raw payload of \(e.length) bytes, expected \(e.rawLength)")
            }
            try Self.checkZero(bytes, from: payloadStart + end, to: payloadStart + e.offset)
            end = stop
        }
        guard end == section else { throw BundleError.trailingBytes(count: section - end) }
    }

    private static func checkZero(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) throws {
        for i in from..<max(from, to) where bytes[i] != 0 { throw BundleError.nonZeroPadding(offset: i) }
    }

    public func entry(_ name: String) -> BundleTensorEntry? { manifest.tensors.first { $0.name == name } }

    /// The stored bytes of a payload (checked against its SHA-256 first), decoded into its dtype.
    public func tensor(_ e: BundleTensorEntry) throws -> RawTensor {
        let stored = UnsafeRawBufferPointer(rebasing: bytes[(payloadStart + e.offset)..<(payloadStart + e.offset + e.length)])
        guard SHA256.hash(stored) == e.sha256 else { throw BundleError.checksumMismatch(name: e.name) }
        let decoded = try PayloadCodec.unpack(stored, encoding: e.encoding, rawLength: e.rawLength, elementSize: e.dtype.size, name: e.name)
        return RawTensor(dtype: e.dtype, shape: e.shape, bytes: decoded.bytes, owner: decoded)
    }

    public func tensor(_ name: String) throws -> RawTensor {
        guard let e = entry(name) else { throw BundleError.missingTensor(name) }
        return try tensor(e)
    }

    /// Checks every checksum and decodes every payload; returns the decoded byte total.
    @discardableResult
    public func verify() throws -> Int {
        var total = 0
        for e in manifest.tensors { total += try tensor(e).byteCount }
        return total
    }

    /// Stored payload bytes (compressed) and decoded bytes.
    public var storedPayloadBytes: Int { manifest.tensors.reduce(0) { $0 + $1.length } }
    public var rawPayloadBytes: Int { manifest.tensors.reduce(0) { $0 + $1.rawLength } }
}
