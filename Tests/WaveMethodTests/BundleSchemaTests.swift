import Foundation
import Testing

/// The committed protobuf-c code in Sources/CWaveBundle must match what scripts/gen-bundle-proto.sh
/// makes from Schemas/bundle-manifest.proto today.
@Suite struct BundleSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let protocC = ["/usr/bin/protoc-c", "/usr/local/bin/protoc-c"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: protocC != nil, "protoc-c is not installed (apt-get install protobuf-c-compiler)"))
    func generatedCodeIsCurrent() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("wave-bundle-gen-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.root + "/scripts/gen-bundle-proto.sh", out]
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = (env["PATH"] ?? "") + ":" + URL(fileURLWithPath: Self.protocC!).deletingLastPathComponent().path
        p.environment = env
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        for file in ["bundle-manifest.pb-c.c", "include/bundle-manifest.pb-c.h"] {
            let fresh = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file))
            let committed = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Sources/CWaveBundle/" + file))
            #expect(fresh == committed, "Sources/CWaveBundle/\(file) is stale: run scripts/gen-bundle-proto.sh and commit")
        }
    }
}
