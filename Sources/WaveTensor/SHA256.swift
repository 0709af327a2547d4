import CCrypto

/// SHA-256 through OpenSSL's libcrypto (Debian's libssl-dev, like the other native libraries), for
/// bundle payload checksums, the ancestry's provenance hash and test goldens. It replaced a
/// hand-written FIPS 180-4 implementation (issue 14: hashing from a library). swift-crypto would do
/// the same but builds BoringSSL from source, 1-1.5 minutes more per clean build on 2 cores; the
/// system library costs nothing to build and is SHA-NI accelerated where the processor has it.
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        guard let c = EVP_MD_CTX_new(), EVP_DigestInit_ex(c, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto: cannot start a SHA-256 digest")
        }
        context = c
    }

    deinit { EVP_MD_CTX_free(context) }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let s = SHA256()
        s.update(bytes)
        return s.finalize()
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hash($0) } }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "libcrypto: SHA-256 update failed")
    }

    /// The 32-byte digest. The object is spent afterwards.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1 && length == 32, "libcrypto: SHA-256 final failed")
        return out
    }

    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(digest.count * 2)
        for b in digest { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }
}
