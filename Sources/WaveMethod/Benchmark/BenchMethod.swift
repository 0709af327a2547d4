/// The initialization methods the benchmark compares (the paper's Tables 1-3); `definition` says
/// what each does here.
public enum BenchMethod: String, Sendable, Codable, CaseIterable {
    case scratch = "he-init"
    case mimetic
    case ghn3 = "ghn-3"
    case weightSelection = "weight-selection"
    case shareInit = "share-init"
    case ligo
    case heruLG = "heru-lg"
    case autoLG = "auto-lg"
    case tleg
    case wave
    case directPT = "direct-pt"

    public enum Category: String, Sendable, Codable {
        case direct = "Direct initialization"
        case transfer = "Transfer initialization"
        case learngene = "Learngene initialization"
        case reference = "Reference"
    }

    /// The name tables print.
    public var title: String {
        switch self {
        case .scratch: return "He-Init (trunc-normal scratch)"
        case .mimetic: return "Mimetic"
        case .ghn3: return "GHN-3"
        case .weightSelection: return "Weight Selection"
        case .shareInit: return "Share Init"
        case .ligo: return "LiGO"
        case .heruLG: return "Heru-LG"
        case .autoLG: return "Auto-LG"
        case .tleg: return "TLEG"
        case .wave: return "WAVE"
        case .directPT: return "Direct PT"
        }
    }

    public var category: Category {
        switch self {
        case .scratch, .mimetic, .ghn3: return .direct
        case .weightSelection, .shareInit, .ligo: return .transfer
        case .heruLG, .autoLG, .tleg, .wave: return .learngene
        case .directPT: return .reference
        }
    }

    /// What the method does, as the benchmark implements it (printed under the tables).
    public var definition: String {
        switch self {
        case .scratch: return "timm init: Linear weights and pos_embed trunc-normal(0.02), biases 0, LayerNorm 1/0."
        case .mimetic: return "scratch, then per head W_q·W_kᵀ ≈ 0.7·Z + 0.7·I (rank head-dim SVD) and per layer W_v·W_o ≈ 0.4·Z − 0.4·I, Z ~ N(0, 1/d)."
        case .ghn3: return "not run: it needs the 2.5 GB GHN-3 hypernetwork checkpoint, which nothing here ships or can fetch."
        case .weightSelection: return "first L' ancestry layers, elements chosen uniformly along every dimension; only for targets no deeper and no wider than the ancestry."
        case .shareInit: return "one shared layer in every position: the least-squares single layer (mean of the ancestry's layers)."
        case .ligo: return "depth: interlaced one-hot mixing (target layer j takes ancestry layer ⌊j·L/L'⌋); width: copy-selection (unit i takes unit i mod d, inputs divided by their copy count)."
        case .heruLG: return "the ancestry's last k layers on top, trunc-normal layers below."
        case .autoLG: return "the ancestry's first k layers at the bottom, trunc-normal layers above."
        case .tleg: return "θ_l ≈ A + (l/L)·B fitted per tensor by least squares over the ancestry's layers, expanded as θ_j = A + (j/L')·B."
        case .wave: return "the bundle's templates with scalers interpolated to L' and padded to d', then the scaler fit on the regime's images (templates frozen)."
        case .directPT: return "trunc-normal scratch trained first on the condensation images (as many as the bundle was distilled on, one epoch), then like every other method."
        }
    }

    /// Whether the method reads the ancestry (and gets the ancestry's stem, resampled).
    public var usesAncestry: Bool {
        switch self {
        case .weightSelection, .shareInit, .ligo, .heruLG, .autoLG, .tleg, .wave: return true
        default: return false
        }
    }
}
