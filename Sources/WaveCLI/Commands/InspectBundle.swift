import Foundation
import WaveMethod
import WaveTensor

/// `wave inspect BUNDLE`: what a bundle holds (config, plan, sizes, tensors, provenance), as text or
/// JSON; with `verify`, every payload is checksummed and decoded first.
enum BundleInspector {
    static func report(path: String, json: Bool, verify: Bool) throws -> String {
        let b = try openBundle(path)
        let decoded: Int?
        do { decoded = verify ? try b.verify() : nil } catch { throw BundleFileError(path: path, reason: "\(error)") }
        let m = b.manifest, c = m.ancestry
        let ratio = Double(b.fileSize) / Double(m.ancestryF32Bytes)
        if json {
            var obj: [String: Any] = [
                "schema": "wave.bundle-inspect/1", "file": path, "file_bytes": b.fileSize, "format_version": Int(BundleFormat.version),
                "manifest_bytes": b.manifestLength,
                "ancestry": ["family": m.family, "timm_kwargs": c.timmKwargs, "parameters": m.ancestryParameters,
                             "f32_bytes": m.ancestryF32Bytes] as [String: Any],
                "plan": ["template_size": m.templateSize, "layer_scale": m.layerScale, "method": m.method,
                         "components": m.components.map { ["name": $0.name, "kind": $0.kind.rawValue, "tensor": $0.tensor,
                                                           "templates": $0.count, "requested": $0.requested, "out": $0.outDim,
                                                           "in": $0.inDim, "groups": $0.groups, "rel_error": $0.relError] as [String: Any] }] as [String: Any],
                "sizes": ["raw_payload_bytes": b.rawPayloadBytes, "stored_payload_bytes": b.storedPayloadBytes,
                          "ratio_to_ancestry_f32": ratio] as [String: Any],
                "tensors": m.tensors.map { ["name": $0.name, "role": $0.role.name, "dtype": $0.dtype.rawValue, "shape": $0.shape,
                                            "encoding": encodingName($0.encoding), "offset": $0.offset, "stored_bytes": $0.length,
                                            "raw_bytes": $0.rawLength, "sha256": SHA256.hex($0.sha256)] as [String: Any] },
                "provenance": ["ancestry_file": m.provenance.ancestryFile, "ancestry_sha256": SHA256.hex(m.provenance.ancestrySHA256),
                               "ancestry_bytes": m.provenance.ancestryBytes, "tool": m.provenance.tool,
                               "command": m.provenance.command, "created": m.provenance.created] as [String: Any],
                "metadata": m.metadata,
            ]
            obj["verified"] = decoded != nil
            return Fmt.json(obj)
        }
        var out: [String] = []
        out.append("file:       \(path) (\(Fmt.count(b.fileSize)) bytes)")
        out.append("format:     wave bundle v\(BundleFormat.version), manifest \(Fmt.count(b.manifestLength)) bytes, \(m.tensors.count) payloads")
        out.append("ancestry:   \(m.family): depth \(c.depth), width \(c.embedDim), heads \(c.numHeads), MLP \(c.mlpDim), patch \(c.patchSize), "
            + "image \(c.imageSize), channels \(c.inChannels), LayerScale \(c.layerScaleInit != nil ? "yes" : "no"), "
            + "qkv bias \(c.qkvBias ? "yes" : "no"), " + (c.numClasses > 0 ? "classes \(c.numClasses)" : "no head"))
        out.append("            \(Fmt.count(m.ancestryParameters)) parameters, \(Fmt.count(m.ancestryF32Bytes)) bytes as F32")
        out.append("plan:       template size \(m.templateSize), LayerScale \(m.layerScale), \(m.method)")
        out.append(String(format: "sizes:      raw %@ bytes, stored %@ bytes (zstd %.3f), file/ancestry F32 = %.4f",
                          Fmt.count(b.rawPayloadBytes), Fmt.count(b.storedPayloadBytes),
                          Double(b.storedPayloadBytes) / Double(max(b.rawPayloadBytes, 1)), ratio))
        let p = m.provenance
        out.append("provenance: \(p.ancestryFile) (\(Fmt.count(p.ancestryBytes)) bytes, sha256 \(SHA256.hex(p.ancestrySHA256)))")
        out.append("            \(p.tool), \(p.created): \(p.command)")
        if let decoded { out.append("verified:   every SHA-256 and payload (\(Fmt.count(decoded)) bytes decoded)") }
        let spectra = m.metadata.keys.filter { $0.hasPrefix(BundleWriter.spectrumKey) }
        for k in m.metadata.keys.sorted() where !spectra.contains(k) { out.append("metadata:   \(k) = \(m.metadata[k]!)") }
        if !spectra.isEmpty { out.append("metadata:   spectrum.* for \(spectra.count) components (singular values; --plot draws them)") }
        out.append("")
        out.append(Fmt.table(["component", "kind", "tensor", "templates", "rel. error"], m.components.map {
            [$0.name, $0.kind.rawValue, $0.tensor, $0.count == $0.requested ? "\($0.count)" : "\($0.count) (of \($0.requested))",
             String(format: "%.4f", $0.relError)]
        }))
        out.append("")
        out.append(Fmt.table(["tensor", "role", "dtype", "shape", "encoding", "raw", "stored"], m.tensors.map {
            [$0.name, $0.role.name, $0.dtype.rawValue, Fmt.shape($0.shape), encodingName($0.encoding), Fmt.count($0.rawLength), Fmt.count($0.length)]
        }))
        return out.joined(separator: "\n")
    }

    /// `--plot DIR`: the pictures of every component (`BundlePictures`), listed on stderr.
    static func plot(path: String, into dir: String) throws {
        let b = try openBundle(path)
        let templates: WaveTemplates
        do { templates = try b.templates() } catch { throw BundleFileError(path: path, reason: "\(error)") }
        let written = try writePictures(BundlePictures.all(templates), into: dir)
        note("wrote \(written.count) pictures to \(dir) (per component: NAME-scalers.svg, NAME-templates.svg, NAME-spectrum.svg)")
    }

    static func encodingName(_ e: PayloadCodec.Encoding) -> String {
        switch e { case .raw: return "raw"; case .zstd: return "zstd"; case .zstdShuffled: return "zstd+shuffle" }
    }
}
