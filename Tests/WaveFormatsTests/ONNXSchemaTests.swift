import Foundation
import Testing

/// The committed protobuf-c code must match what scripts/gen-proto.sh makes from Schemas/onnx-subset.proto today.
@Suite struct ONNXSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let protocC = ["/usr/bin/protoc-c", "/usr/local/bin/protoc-c"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: protocC != nil, "protoc-c is not installed (apt-get install protobuf-c-compiler); cannot check the generated code is current"))
    func generatedCodeIsCurrent() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("wave-gen-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.root + "/scripts/gen-proto.sh", out]
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = (env["PATH"] ?? "") + ":" + URL(fileURLWithPath: Self.protocC!).deletingLastPathComponent().path
        p.environment = env
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        for file in ["onnx-subset.pb-c.c", "include/onnx-subset.pb-c.h"] {
            let fresh = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file))
            let committed = try Data(contentsOf: URL(fileURLWithPath: Self.root + "/Sources/CONNX/" + file))
            #expect(fresh == committed, "Sources/CONNX/\(file) is stale: run scripts/gen-proto.sh and commit")
        }
    }
}
