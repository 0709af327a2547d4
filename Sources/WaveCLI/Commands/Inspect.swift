import ArgumentParser
import Foundation
import WaveFormats

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a safetensors, ONNX or bundle file holds.",
        discussion: """
        Recognizes the model family (timm ViT/DeiT, Hugging Face ViT/DINOv2, BERT) and its \
        configuration from the tensors, counts parameters, and lists every tensor. Tensors that \
        the file carries beside the recognized model (e.g. the saliency decoder of the DINOv2 \
        ONNX) are marked as not part of the ancestry.

        Examples:
          wave inspect ~/.cache/wave/vit_s_focus.onnx
          wave inspect model.safetensors.index.json --json
          wave inspect dinov2-s.wave --plot pictures/
        """)

    @Argument(help: "A .safetensors file, a sharded checkpoint's .safetensors.index.json, an .onnx model, or a model folder (Hugging Face, sentence-transformers).")
    var file: String

    @Flag(help: "Print JSON (Schemas/inspect.schema.json) instead of text.")
    var json = false

    @Option(help: "Attention heads (overrides config.json and the ONNX graph; without either: head dimension 64).")
    var heads: Int?

    @Flag(help: "Bundles: check every payload's SHA-256 and decode it.")
    var verify = false

    @Option(help: ArgumentHelp("Bundles: write SVG pictures into DIR (per component: scalers, templates, singular spectrum).",
                               valueName: "dir"))
    var plot: String?

    func run() throws {
        if !ModelFolder.isFolder(file), try InputKind.of(path: file) == .waveBundle {   // Sources/WaveCLI/Commands/InspectBundle.swift
            if heads != nil { throw ValidationError("--heads is for model files; \(file) is a wave bundle (its heads are in its manifest)") }
            print(try BundleInspector.report(path: file, json: json, verify: verify))
            if let plot { try BundleInspector.plot(path: file, into: plot) }
            return
        }
        if plot != nil { throw ValidationError("--plot is for wave bundles; \(file) is a model file (make a bundle with `wave condense`)") }
        let model = try ModelFile.open(file)
        var hints = model.configHints
        hints.override(heads: heads)
        let detected: DetectedModel?
        let detectError: Error?
        do { detected = try Architecture.detect(model.tensors, hints: hints); detectError = nil }
        catch {
            // A file wave does not recognize is a fact to report; a recognized model that --heads breaks
            // is a wrong option; a config that contradicts the tensors is an error (never a silent guess).
            if case ArchitectureError.configDisagrees = error { throw error }
            if let heads, (try? Architecture.detect(model.tensors, hints: model.configHints)) != nil {
                throw ValidationError("--heads \(heads) does not fit \(file): \(error); give a head count that divides the width, or leave --heads out")
            }
            detected = nil; detectError = error
        }
        let report = InspectReport(model: model, detected: detected, detectError: detectError)
        print(json ? Fmt.json(report.jsonObject) : report.text)
    }
}

/// What `inspect` says about a model file, as text or JSON (same facts).
struct InspectReport {
    let model: ModelFile
    let detected: DetectedModel?
    let detectError: Error?

    private func role(_ name: String) -> String {
        guard let d = detected else { return "unknown" }
        if d.extras.contains(name) { return "not part of the ancestry" }
        if d.ignored.contains(name) { return "ignored" }
        return model.tensors[name]!.dtype.isFloatingPoint ? "ancestry" : "graph constant"
    }

    var text: String {
        var out: [String] = []
        out.append("file:       \(model.path) (\(Fmt.bytes(model.fileBytes)))")
        out.append("format:     \(model.summary)")
        if let layout = model.layout { out.append("layout:     \(layout)") }
        out.append("config:     " + (model.configPath.map { $0 == model.path ? "stored in the weights (wave.config)" : $0 } ?? "none (values below come from the tensors, the graph or defaults)"))
        if let d = detected {
            out.append("family:     \(d.family.family): \(d.family.title)" + (d.prefix.isEmpty ? "" : ", under \"\(d.prefix)\""))
            if let c = d.vit {
                out.append("model:      depth \(c.depth), width \(c.embedDim), heads \(c.numHeads) (\(d.headsSource)), MLP \(c.mlpDim), "
                    + "patch \(c.patchSize), image \(c.imageSize) (\(c.gridSize)×\(c.gridSize) grid), channels \(c.inChannels), "
                    + "LayerScale \(c.layerScaleInit != nil ? "yes" : "no"), qkv bias \(c.qkvBias ? "yes" : "no"), "
                    + (c.numClasses > 0 ? "classes \(c.numClasses)" : "no head (backbone)"))
            }
            if let b = d.bert {
                out.append("model:      layers \(b.layers), width \(b.hiddenSize), heads \(b.heads) (\(d.headsSource)), MLP \(b.intermediateSize), "
                    + "vocabulary \(b.vocabSize), positions \(b.maxPositions), token types \(b.typeVocabSize)")
            }
            for (i, f) in d.facts.enumerated() {
                out.append((i == 0 ? "from:       " : "            ") + "\(f.name) \(f.value): \(f.source)")
            }
            out.append("parameters: \(Fmt.count(d.parameterCount)) (\(Fmt.millions(d.parameterCount))) in the ancestry")
            if !d.extras.isEmpty {
                let n = d.extras.reduce(0) { $0 + model.tensors[$1]!.count }
                out.append("            \(Fmt.count(n)) in \(d.extras.count) tensors not part of the ancestry")
            }
        } else {
            out.append("family:     not recognized (\(detectError.map { "\($0)" } ?? "no tensors"))")
            out.append("parameters: \(Fmt.count(model.tensors.totalElements))")
        }
        let rows = model.tensors.order.map { name -> [String] in
            let t = model.tensors[name]!
            return [name, t.dtype.rawValue, Fmt.shape(t.shape), role(name), Fmt.count(t.byteCount)]
        }
        out.append("")
        out.append(Fmt.table(["tensor", "dtype", "shape", "role", "bytes"], rows))
        return out.joined(separator: "\n")
    }

    var jsonObject: [String: Any] {
        var obj: [String: Any] = [
            "schema": "wave.inspect/1",
            "file": model.path, "format": model.format.rawValue, "file_bytes": model.fileBytes,
            "summary": model.summary,
        ]
        obj["tensors"] = model.tensors.order.map { name -> [String: Any] in
            let t = model.tensors[name]!
            var e: [String: Any] = ["name": name, "dtype": t.dtype.rawValue, "shape": t.shape, "bytes": t.byteCount, "role": role(name)]
            if let stored = model.storedNames[name] { e["stored_name"] = stored }
            return e
        }
        if let d = detected {
            var fam: [String: Any] = ["name": d.family.family, "title": d.family.title, "prefix": d.prefix, "heads_source": d.headsSource]
            fam["sources"] = Dictionary(d.facts.map { ($0.name, ["value": $0.value, "source": $0.source]) }, uniquingKeysWith: { a, _ in a })
            if let c = model.configPath { fam["config_file"] = c }
            if let l = model.layout { fam["layout"] = l }
            if let c = d.vit { fam["timm_kwargs"] = c.timmKwargs }
            if let b = d.bert {
                fam["bert_config"] = ["vocab_size": b.vocabSize, "hidden_size": b.hiddenSize, "num_hidden_layers": b.layers,
                                      "num_attention_heads": b.heads, "intermediate_size": b.intermediateSize,
                                      "max_position_embeddings": b.maxPositions, "type_vocab_size": b.typeVocabSize,
                                      "layer_norm_eps": Double("\(b.layerNormEps)")!, "hidden_act": b.hiddenAct,
                                      "position_embedding_type": b.positionEmbeddingType]
            }
            obj["family"] = fam
            obj["parameters"] = ["ancestry": d.parameterCount,
                                 "other": d.extras.reduce(0) { $0 + model.tensors[$1]!.count }]
        } else {
            obj["family"] = NSNull()
            obj["unrecognized_reason"] = detectError.map { "\($0)" } ?? "no tensors"
            obj["parameters"] = ["ancestry": 0, "other": model.tensors.totalElements]
        }
        return obj
    }
}
