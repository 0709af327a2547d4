import Testing
import WaveTensor

/// SHA-256 (libcrypto) against FIPS 180-4's known answers, and streaming in odd pieces.
@Suite struct SHA256Tests {
    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(SHA256.hash(long)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Streaming in odd pieces gives the same digest as one call.
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var s = SHA256()
        var i = 0
        for piece in [1, 63, 64, 65, 200, 607] { data[i..<(i + piece)].withUnsafeBytes { s.update($0) }; i += piece }
        #expect(s.finalize() == SHA256.hash(data))
    }
}
