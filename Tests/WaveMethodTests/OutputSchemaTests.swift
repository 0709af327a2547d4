import Foundation
import Testing
import WaveTensor
import WaveEngine
@testable import WaveMethod

/// What wave writes against its specs in Schemas/: the bench and pipeline JSON (fresh writer output
/// and the runs committed under docs/) against their JSON Schemas, and the teacher cache and the
/// distillation checkpoint against the byte layouts of teacher-cache.md and distill-checkpoint.md.
@Suite struct OutputSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func schema(_ name: String) throws -> JSONSchema {
        try JSONSchema(JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: root + "/Schemas/" + name))))
    }

    static func files(under dir: String, matching keep: (String) -> Bool) -> [String] {
        let e = FileManager.default.enumerator(atPath: root + "/" + dir)
        return (e?.allObjects as? [String] ?? []).filter(keep).sorted().map { root + "/" + dir + "/" + $0 }
    }

    static func expectValid(_ s: JSONSchema, _ data: Data, at ref: String? = nil, _ what: String) throws {
        let errors = s.errors(try JSONValue.parse(data), ref: ref)
        #expect(errors.isEmpty, "\(what): \(errors.prefix(3).joined(separator: "; "))")
    }

    // MARK: - JSON

    @Test func benchResultsMatchTheirSchema() throws {
        let s = try Self.schema("bench-results.schema.json")
        var r = BenchReportTests.results()
        // What `wave bench` sets (the fixture's profile and date are placeholders).
        r.profile = "quick"
        r.date = ISO8601DateFormatter().string(from: Date())
        r.cells[0].trainLoss[0] = .nan
        r.cells[1].trainLoss[0] = .infinity
        r.lrSearch = [LRTrial(method: .wave, lr: 1e-4, validationTop1: 0.5, chosen: true)]
        r.lrSearchSetting = "at 2×64 on the first 10 training images"
        try Self.expectValid(s, Data(try BenchReport.json(r)), "BenchReport.json")
        // A cell file and bundle.json, as BenchRunner writes them.
        try Self.expectValid(s, try JSONEncoder().encode(r.cells[3]), at: "#/$defs/cell", "a cells/ file")
        // Cell files hold finite numbers only: the plain encoder refuses a diverged loss.
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(r.cells[0]) }
        try Self.expectValid(s, try JSONEncoder().encode(BenchRunner.BundleInfo(bytes: 10, steps: 2, images: 128, summary: ["x"])),
                             at: "#/$defs/bundleInfo", "bundle.json")
        // The schema is strict: a field the writer does not write, or a wrong status, is refused.
        let extra = try JSONValue.parse(Data(#"{"regime":"r","method":"wave","depth":1,"width":8,"status":"ok","parameters":1,"transferred":0,"extraSteps":0,"extraImages":0,"trainImages":1,"lr":0,"initTop1":0,"top1":[],"trainLoss":[],"seconds":0,"new":1}"#.utf8))
        #expect(!s.errors(extra, ref: "#/$defs/cell").isEmpty)
        #expect(r.cells[3].status == .ok)
        let wrong = String(decoding: try JSONEncoder().encode(r.cells[3]), as: UTF8.self).replacingOccurrences(of: #""ok""#, with: #""done""#)
        #expect(!s.errors(try JSONValue.parse(Data(wrong.utf8)), ref: "#/$defs/cell").isEmpty)
    }

    @Test func pipelineReportsMatchTheirSchema() throws {
        let s = try Self.schema("pipeline-report.schema.json")
        let rows = [PipelineRow(depth: 2, width: 64, parameters: 1000, transferred: 800, fitTop1: 0.5, waveTop1: 0.55,
                                scratchTop1: 0.4, directPTTop1: 0.6, seconds: 3),
                    PipelineRow(depth: 4, width: 64, parameters: 2000, transferred: 900, fitTop1: 0.5, waveTop1: 0.56,
                                scratchTop1: 0.45, directPTTop1: nil, seconds: 4)]
        let report = PipelineReport(bundleBytes: 100, ancestryBytes: 4000, ratio: 0.025, condenseSeconds: 12,
                                    distillation: ["3 distillation steps, loss 1.966 → 0.653"],
                                    probes: [ProbePoint(step: 0, depth: 4, top1: 0.7), ProbePoint(step: 3, depth: 4, top1: 0.75)],
                                    rows: rows, seconds: 20)
        // As `wave pipeline` writes report.json.
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.expectValid(s, try enc.encode(report), "report.json")
    }

    /// Every committed run (docs/) still matches: the schemas describe what wave has written.
    @Test func committedRunsMatchTheSchemas() throws {
        let bench = try Self.schema("bench-results.schema.json"), pipeline = try Self.schema("pipeline-report.schema.json")
        let results = Self.files(under: "docs") { $0.hasSuffix("results.json") }
        let cells = Self.files(under: "docs") { $0.contains("cells/") && $0.hasSuffix(".json") }
        let reports = Self.files(under: "docs/results") { $0.hasPrefix("pipeline-") && $0.hasSuffix(".json") }
        #expect(!results.isEmpty && !cells.isEmpty && !reports.isEmpty)
        for f in results { try Self.expectValid(bench, Data(contentsOf: URL(fileURLWithPath: f)), f) }
        for f in cells { try Self.expectValid(bench, Data(contentsOf: URL(fileURLWithPath: f)), at: "#/$defs/cell", f) }
        for f in reports { try Self.expectValid(pipeline, Data(contentsOf: URL(fileURLWithPath: f)), f) }
    }

    // MARK: - Binary

    static func u64(_ b: [UInt8], _ at: Int) -> Int {
        Int(b[at..<at + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    static func floats(_ b: [UInt8], _ at: Int, _ n: Int) -> [Float] {
        (0..<n).map { i in
            Float(bitPattern: b[at + 4 * i..<at + 4 * i + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        }
    }

    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wave-spec-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Schemas/teacher-cache.md: name, header, rows; and a file that fails validation is recomputed.
    @Test func theTeacherCacheIsWhatItsSpecSays() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let f = TeacherFeatures(count: 3, dim: 2, values: [1, 2, 3, 4, 5, -0.5])
        _ = try Teacher.cached(folder: dir + "/teacher", key: "k", count: 3, dim: 2) { f }
        let b = [UInt8](FileManager.default.contents(atPath: dir + "/teacher/teacher-k.f32")!)
        #expect(Array(b[0..<8]) == [0x57, 0x41, 0x56, 0x45, 0x54, 0x46, 0x31, 0x00])
        #expect(Self.u64(b, 8) == 3 && Self.u64(b, 16) == 2 && b.count == 24 + 4 * 3 * 2)
        #expect(Self.floats(b, 24, 6) == f.values)
        var calls = 0
        _ = try Teacher.cached(folder: dir + "/teacher", key: "k", count: 3, dim: 2) { calls += 1; return f }
        #expect(calls == 0)
        try writeFileAtomically(b + [0], to: dir + "/teacher/teacher-k.f32")
        _ = try Teacher.cached(folder: dir + "/teacher", key: "k", count: 3, dim: 2) { calls += 1; return f }
        #expect(calls == 1)
        // A consistent file of another shape (2 rows of 3) is not what the caller needs: computed again.
        let other = TeacherFeatures(count: 2, dim: 3, values: [1, 2, 3, 4, 5, 6])
        _ = try Teacher.cached(folder: dir + "/teacher", key: "k2", count: 2, dim: 3) { other }
        let again = try Teacher.cached(folder: dir + "/teacher", key: "k2", count: 3, dim: 2) { calls += 1; return f }
        #expect(calls == 2 && again.count == 3 && again.dim == 2)

        let data = ImageDataset(count: 2, channels: 1, height: 2, width: 2, pixels: [0, 1, 2, 3, 4, 5, 6, 7], labels: [0, 1], classes: 2)
        let key = Teacher.cacheKey(ancestry: dir + "/absent.model.onnx", imageSize: 56, logits: false, data: data)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for p in data.pixels { h = (h ^ UInt64(p)) &* 0x100_0000_01b3 }
        #expect(key == "absent.model-0-0-56px-features-2-" + String(h, radix: 16))
    }

    /// Schemas/distill-checkpoint.md: the layout, the fingerprint's grammar and every field.
    @Test func theDistillationCheckpointIsWhatItsSpecSays() throws {
        let p = try TinyDistillation(images: 32)
        var s = p.settings(steps: 2)
        s.probeEvery = 2; s.probeDepths = [2]; s.probeImages = 20
        let d = try Distiller(templates: p.templates, teacher: p.teacher, dataset: p.data, settings: s)
        try d.run()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DistillCheckpoint.save(d, to: dir + "/c")
        let b = [UInt8](FileManager.default.contents(atPath: dir + "/c")!)
        #expect(Array(b[0..<8]) == [0x57, 0x41, 0x56, 0x45, 0x43, 0x4B, 0x31, 0x00])
        let F = Self.u64(b, 8)
        let fp = String(decoding: b[16..<16 + F], as: UTF8.self)
        #expect(fp == "steps=2 batch=16 lr=0.002 template-lr-scale=1.0 warmup=2 alpha=0.5 kd=feature tau=2.0 "
                    + "depths=[2, 3, 5] size=16 seed=5 images=32 params=\(d.aux.layout.count)")
        let (S, P, H, J) = (Self.u64(b, 16 + F), Self.u64(b, 24 + F), Self.u64(b, 32 + F), Self.u64(b, 40 + F))
        #expect(S == 2 && S == d.step && P == d.aux.layout.count && H == S)
        #expect(b.count == 48 + F + 12 * P + 4 * H + J)
        let (step, m, v) = d.optimizer.state
        #expect(step == S)
        let params = d.aux.layout.entries.flatMap { d.aux.values($0.name) }
        #expect(Self.floats(b, 48 + F, P) == params)
        #expect(Self.floats(b, 48 + F + 4 * P, P) == m && Self.floats(b, 48 + F + 8 * P, P) == v)
        #expect(Self.floats(b, 48 + F + 12 * P, H) == d.lossHistory)
        let json = Data(b[(48 + F + 12 * P + 4 * H)...])
        let probes = try JSONValue.parse(json)
        guard case let .array(list) = probes else { Issue.record("the probe history is not an array"); return }
        #expect(list.count == 2) // before the first step and after the last
        let pipeline = try Self.schema("pipeline-report.schema.json")
        for item in list { #expect(pipeline.errors(item, ref: "#/$defs/probe").isEmpty) }
    }
}

// MARK: - A JSON Schema (draft 2020-12) subset, enough for Schemas/*.schema.json

/// A parsed JSON value; integers are kept apart from other numbers.
enum JSONValue: Equatable, Decodable {
    case null, bool(Bool), int(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let x = try? c.decode(Double.self) { self = .number(x) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

    var number: Double? {
        switch self { case let .int(i): return Double(i); case let .number(x): return x; default: return nil }
    }

    func isType(_ name: String) -> Bool {
        switch (name, self) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("number", .int), ("number", .number),
             ("string", .string), ("array", .array), ("object", .object): return true
        case let ("integer", .number(x)): return x == x.rounded()
        default: return false
        }
    }
}

/// Validates the keywords Schemas/ uses; any other keyword is reported, so that a schema can never
/// pass through a keyword this validator does not check.
struct JSONSchema {
    let root: JSONValue
    init(_ root: JSONValue) { self.root = root }

    static let annotations: Set<String> = ["$schema", "$id", "$defs", "title", "description"]

    /// Errors of `value` against the root, or against `ref` ("#/$defs/NAME").
    func errors(_ value: JSONValue, ref: String? = nil) -> [String] {
        var out: [String] = []
        check(value, ref.map { JSONValue.object(["$ref": .string($0)]) } ?? root, path: "$", into: &out)
        return out
    }

    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard case let .object(o) = node, let next = o[String(part)] else { return nil }
            node = next
        }
        return node
    }

    func check(_ v: JSONValue, _ schema: JSONValue, path: String, into out: inout [String]) {
        guard case let .object(s) = schema else { out.append("\(path): schema is not an object"); return }
        for (key, rule) in s where !Self.annotations.contains(key) {
            switch (key, rule) {
            case let ("$ref", .string(ref)):
                guard let target = resolve(ref) else { out.append("\(path): unresolved $ref \(ref)"); continue }
                check(v, target, path: path, into: &out)
            case let ("type", .string(t)):
                if !v.isType(t) { out.append("\(path): not of type \(t)") }
            case let ("enum", .array(options)):
                if !options.contains(v) { out.append("\(path): not one of the enum's values") }
            case ("const", _):
                if v != rule { out.append("\(path): not the const value") }
            case let ("minimum", bound):
                if let x = v.number, let m = bound.number, x < m { out.append("\(path): below \(m)") }
            case let ("maximum", bound):
                if let x = v.number, let m = bound.number, x > m { out.append("\(path): above \(m)") }
            case let ("pattern", .string(p)):
                if case let .string(text) = v, text.range(of: p, options: .regularExpression) == nil {
                    out.append("\(path): does not match \(p)")
                }
            case let ("required", .array(names)):
                if case let .object(o) = v {
                    for case let .string(n) in names where o[n] == nil { out.append("\(path): missing \(n)") }
                }
            case let ("properties", .object(props)):
                if case let .object(o) = v {
                    for (n, sub) in props { if let x = o[n] { check(x, sub, path: path + "." + n, into: &out) } }
                }
            case let ("additionalProperties", extra):
                guard case let .object(o) = v else { continue }
                let known: Set<String>
                if case let .object(props)? = s["properties"] { known = Set(props.keys) } else { known = [] }
                for (n, x) in o where !known.contains(n) {
                    if extra == .bool(false) { out.append("\(path): unexpected field \(n)") }
                    else { check(x, extra, path: path + "." + n, into: &out) }
                }
            case ("items", _):
                if case let .array(a) = v { for (i, x) in a.enumerated() { check(x, rule, path: "\(path)[\(i)]", into: &out) } }
            case let ("oneOf", .array(options)):
                let passing = options.filter { o in var e: [String] = []; check(v, o, path: path, into: &e); return e.isEmpty }.count
                if passing != 1 { out.append("\(path): matches \(passing) of oneOf's schemas, not exactly one") }
            default:
                out.append("\(path): keyword \(key) is not supported by this validator")
            }
        }
    }
}
