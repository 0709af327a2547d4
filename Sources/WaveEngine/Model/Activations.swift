import WaveFormats

/// Every activation the forward pass caches for the backward, allocated once per (config, batch)
/// and reused across steps, plus the backward's scratch buffers. Shapes (B batch, T tokens,
/// P = T−1 patches, D width, H heads, M MLP width, K classes, F = C·p·p):
public final class ViTActivations: @unchecked Sendable {
    public let batch: Int
    /// Made for inference: the forward skips what only the backward needs (GELU's derivative), and
    /// the backward refuses these activations.
    public let inference: Bool
    let T, P, D, H, M, K, F: Int
    /// Blocks of the model these activations are for.
    let depth: Int

    /// Per block.
    struct Layer {
        let ln1, ln1Mean, ln1Rstd: FloatBuffer   // [B,T,D], [B,T], [B,T]
        let qkv: FloatBuffer                     // [B,T,3D]
        let probs: FloatBuffer                   // [B,H,T,T]
        let attnY, proj, mid: FloatBuffer        // [B,T,D] each
        let ln2, ln2Mean, ln2Rstd: FloatBuffer
        let fc1, gelu, geluGrad: FloatBuffer     // [B,T,M] each (pre-activation, GELU, GELU')
        let fc2: FloatBuffer                     // [B,T,D]
    }

    let patches: FloatBuffer          // [B,P,F] unfolded input
    let patchOut: FloatBuffer         // [B,P,D] patch embeddings (backward: their gathered gradients)
    /// residual[l] is block l's input; residual[depth] the last block's output. [B,T,D] each.
    /// (Inference: three, see `blockInput`.)
    let residual: [FloatBuffer]
    let layers: [Layer]
    /// Final LayerNorm output: the model's token features. [B,T,D]
    public let tokens: FloatBuffer
    let lnfMean, lnfRstd: FloatBuffer
    /// Head output [B,K] (empty when the config has no head).
    public let logits: FloatBuffer

    /// Set by the last forward: the last block ran for the class tokens only.
    public internal(set) var classTokenOnly = false
    /// Row stride of class tokens in `tokens`: T·D, or D after a class-token-only forward.
    public var tokenStride: Int { classTokenOnly ? D : T * D }
    let classRows: FloatBuffer        // [B,D] class rows of the last block's input (compact mode)
    let classGrad: FloatBuffer        // [B,D] their gradient

    // Backward scratch.
    let dres, dln, dtmp, dattY: FloatBuffer   // [B,T,D]
    let dqkv: FloatBuffer                     // [B,T,3D]
    let dhid: FloatBuffer                     // [B,T,M]
    let dprobs: FloatBuffer                   // [B,H,T,T]
    let dtokens: FloatBuffer                  // [B,T,D]

    public init(config c: ViTConfig, batch: Int, inference: Bool = false) {
        let buf = { (n: Int) in FloatBuffer(count: n) }
        self.batch = batch
        self.inference = inference
        depth = c.depth
        T = c.tokens; P = c.tokens - 1; D = c.embedDim; H = c.numHeads; M = c.mlpDim; K = c.numClasses
        F = c.inChannels * c.patchSize * c.patchSize
        let btd = batch * c.tokens * c.embedDim, bt = batch * c.tokens
        // Inference keeps nothing for a backward: every block but the last reuses one set of
        // per-block buffers and the residual stream ping-pongs between two (DINOv2 at batch 8: 6×
        // less memory, and the buffers stay warm in cache), with no GELU derivative and no backward
        // scratch. The last block and its output have buffers of their own: a class-token-only last
        // block writes one row per image (`perImageRows`), at offsets that belong to other shards'
        // token rows in a shared buffer, and those shards may still be running earlier blocks
        // (measured before this: test top-1 varied by 0.1 point between identical runs on a busy
        // machine).
        let train = inference ? 0 : 1
        patches = buf(batch * P * F)
        patchOut = buf(batch * P * D)
        residual = (0..<(inference ? 3 : c.depth + 1)).map { _ in buf(btd) }
        let (tt, hh, mm) = (c.tokens, c.numHeads, c.mlpDim)
        layers = (0..<(inference ? min(2, c.depth) : c.depth)).map { _ in
            Layer(ln1: buf(btd), ln1Mean: buf(bt), ln1Rstd: buf(bt), qkv: buf(3 * btd), probs: buf(batch * hh * tt * tt),
                  attnY: buf(btd), proj: buf(btd), mid: buf(btd), ln2: buf(btd), ln2Mean: buf(bt), ln2Rstd: buf(bt),
                  fc1: buf(bt * mm), gelu: buf(bt * mm), geluGrad: buf(train * bt * mm), fc2: buf(btd))
        }
        classRows = buf(batch * c.embedDim); classGrad = buf(train * batch * c.embedDim)
        tokens = buf(btd); lnfMean = buf(bt); lnfRstd = buf(bt)
        logits = buf(batch * K)
        dres = buf(train * btd); dln = buf(train * btd); dtmp = buf(train * btd); dattY = buf(train * btd)
        dqkv = buf(train * 3 * btd); dhid = buf(train * bt * mm); dprobs = buf(train * batch * hh * tt * tt)
        dtokens = buf(train * btd)
    }

    /// Block l's buffers (in inference: one set shared by every block but the last, which has its own).
    func layer(_ l: Int) -> Layer { inference ? (l == depth - 1 ? layers[layers.count - 1] : layers[0]) : layers[l] }
    /// Block l's input; blockInput(depth) is the last block's output (in inference: the stream
    /// ping-pongs between two buffers, and the last block's output has a third).
    func blockInput(_ l: Int) -> FloatBuffer { inference ? (l == depth ? residual[2] : residual[l % 2]) : residual[l] }

    /// Final normalized class token of image b, [D].
    public func classToken(_ b: Int) -> UnsafeMutablePointer<Float> { tokens.pointer + b * tokenStride }
    public var tokenCount: Int { T }
    public var width: Int { D }
    public var classes: Int { K }
}
