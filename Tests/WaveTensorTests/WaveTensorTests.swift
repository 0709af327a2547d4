import Foundation
import Testing
@testable import WaveTensor

@Suite struct HalfPrecisionTests {
    static let f16Cases: [(UInt16, Float)] = [(0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 5.9604645e-8), (0x0000, 0), (0x3555, 0.33325195)]
    static let bf16Cases: [(UInt16, Float)] = [(0x3F80, 1), (0xC000, -2), (0x3EAA, 0.33203125), (0x7F80, .infinity)]

    @Test(arguments: f16Cases)
    func f16Decodes(bits: UInt16, value: Float) {
        #expect(f16ToFloat(bits) == value)
        #expect(floatToF16(value) == bits)
    }

    @Test(arguments: bf16Cases)
    func bf16Decodes(bits: UInt16, value: Float) {
        #expect(bf16ToFloat(bits) == value)
        #expect(floatToBF16(value) == bits)
    }

    @Test func bf16RoundsToNearestEven() {
        // 1 + 2^-8 lies halfway between two BF16 values; ties go to the even mantissa (1.0).
        #expect(floatToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        #expect(floatToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(bf16ToFloat(floatToBF16(.nan)).isNaN)
    }
}

@Suite struct GzipTests {
    @Test func inflatesWhatGzipWrote() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-gz-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
        let file = dir.appendingPathComponent("x")
        try Data(plain).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-k", file.path]
        try p.run()
        p.waitUntilExit()
        let gz = try Data(contentsOf: dir.appendingPathComponent("x.gz"))
        let out = try gz.withUnsafeBytes { b in
            #expect(Gzip.isGzip(b))
            return try Gzip.decompress(b)
        }
        #expect(out == plain)
        #expect(throws: GzipError.tooLarge(limit: 1000)) { try gz.withUnsafeBytes { try Gzip.decompress($0, limit: 1000) } }
        var cut = [UInt8](gz)
        cut.removeLast(cut.count / 2)
        #expect(throws: GzipError.self) { try cut.withUnsafeBytes { try Gzip.decompress($0) } }
    }
}

@Suite struct AtomicWriterTests {
    @Test func abandonLeavesNoTraceAndCommitReplaces() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-aw-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.bin"
        try writeFileAtomically([1, 2, 3], to: path)
        let w = try AtomicFileWriter(path: path)
        try w.write([9, 9])
        w.abandon()
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.bin"])
        try writeFileAtomically([4], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([4]))
        #expect(throws: FileError.self) { try AtomicFileWriter(path: dir + "/missing/out.bin") }
    }

    @Test func checkedByteCountRefusesOverflowAndNegatives() {
        #expect(checkedByteCount(shape: [2, 3], elementSize: 4) == 24)
        #expect(checkedByteCount(shape: [], elementSize: 4) == 4)
        #expect(checkedByteCount(shape: [0, 5]) == 0)
        #expect(checkedByteCount(shape: [-1, 5]) == nil)
        #expect(checkedByteCount(shape: [Int.max / 2, 3]) == nil)
        #expect(checkedByteCount(shape: [1 << 62], elementSize: 4) == nil)
    }
}
