import WaveTensor
// The forward pass. Input images [B, C, S, S] (S = imageSize), already normalized.
// x0[b,0] = cls + pos[0];  x0[b,1+i] = patch_i · Wpeᵀ + bpe + pos[1+i]
// block:  mid = x + γ1⊙proj(attn(ln1(x)));  out = mid + γ2⊙fc2(gelu(fc1(ln2(mid))))
// tokens = norm(x_L);  logits = tokens[:,0] · Whᵀ + bh
//
// `classTokenOnly`: when only the logits matter (supervised training, evaluation), the last block
// needs every token's keys and values but only the class token's query, and everything after its
// attention only for the class rows — the same logits and gradients for about 1/depth less work.
// `tokens` then holds just the class tokens, [B, D].

extension ViTModel {
    public func forward(images: UnsafePointer<Float>, _ a: ViTActivations, classTokenOnly: Bool = false) {
        forward(images: images, a, classTokenOnly: classTokenOnly, imagesPerShard: BatchSplit.imagesPerShard(tokens: a.T, batch: a.batch))
    }

    /// `imagesPerShard` is the model's (`BatchSplit.imagesPerShard`) except in tests.
    func forward(images: UnsafePointer<Float>, _ a: ViTActivations, classTokenOnly: Bool, imagesPerShard: Int) {
        a.classTokenOnly = classTokenOnly
        let img = SendablePointer(images)
        BatchSplit.run(batch: a.batch, imagesPerShard: imagesPerShard) { range in
            self.forward(images: UnsafePointer(img.p), a, a.batch, range)
        }
    }

    /// The forward for images `range` of the batch, on the matching rows of every (batch-major)
    /// activation buffer (`BatchSplit`: training and inference alike, so both compute the same).
    private func forward(images: UnsafePointer<Float>, _ a: ViTActivations, _ fullBatch: Int, _ range: Range<Int>) {
        let c = config, B = range.count, T = a.T, P = a.P, D = a.D, M = a.M, F = a.F
        let classTokenOnly = a.classTokenOnly
        let w = params.pointer
        // This shard's rows of a [fullBatch, …] buffer (`rows`). In the compact last block the buffers
        // after attention hold one row per image where they have room for T (probs as [B·H, T], mid,
        // fc1, … as [B, ·]): `perImageRows` keeps them contiguous across shards, as the backward reads them.
        func rows(_ buf: FloatBuffer) -> UnsafeMutablePointer<Float> { buf.pointer + buf.count / fullBatch * range.lowerBound }
        func perImageRows(_ buf: FloatBuffer) -> UnsafeMutablePointer<Float> { buf.pointer + buf.count / (fullBatch * T) * range.lowerBound }
        Profile.measure(.stem) {
        let S = c.imageSize
        unfoldPatches(images + range.lowerBound * c.inChannels * S * S, into: rows(a.patches), batch: B)

        // Stem: one product over every image's patches, then each image's rows placed after its
        // class token (one large sgemm beats B small ones; the copy is cheap next to it).
        let x0 = rows(a.blockInput(0)), pe = rows(a.patchOut)
        linearForward(pe, rows(a.patches), w + off.pew, w + off.peb, rows: B * P, inF: F, outF: D)
        for b in 0..<B {
            let xb = x0 + b * T * D
            xb.update(from: w + off.cls, count: D)
            (xb + D).update(from: pe + b * P * D, count: P * D)
        }
        for b in 0..<B { addInPlace(x0 + b * T * D, w + off.pos, T * D) }
        }

        let n0 = B * T
        let shape = AttentionShape(batch: B, tokens: T, dim: D, heads: c.numHeads)
        for (l, o) in off.blocks.enumerated() {
            let L = a.layer(l), x = rows(a.blockInput(l))
            let compact = classTokenOnly && l == c.depth - 1
            let ln1 = rows(L.ln1), qkv = rows(L.qkv)
            // After attention: every token's rows, or the class rows only in the compact block.
            let after = compact ? perImageRows : rows
            let attnY = after(L.attnY), proj = after(L.proj), mid = after(L.mid)
            let ln2 = after(L.ln2), fc1 = after(L.fc1), gelu = after(L.gelu), fc2 = after(L.fc2)
            Profile.measure(.layerNorm) { layerNormForward(ln1, mean: rows(L.ln1Mean), rstd: rows(L.ln1Rstd), x,
                             weight: w + o.ln1w, bias: w + o.ln1b, rows: n0, d: D, eps: c.normEps) }
            Profile.measure(.linearForward) { linearForward(qkv, ln1, w + o.qkvw, o.qkvb.map { w + $0 }, rows: n0, inF: D, outF: 3 * D) }
            // From here on the compact last block works on B class rows instead of B·T.
            var n = n0, xin = UnsafePointer(x)
            if compact {
                attentionForwardClassOnly(y: attnY, probs: perImageRows(L.probs), qkv: qkv, shape)
                let cls = rows(a.classRows)
                for b in 0..<B { (cls + b * D).update(from: x + b * T * D, count: D) }
                n = B; xin = UnsafePointer(cls)
            } else {
                attentionForward(y: attnY, probs: rows(L.probs), qkv: qkv, shape)
            }
            Profile.measure(.linearForward) { linearForward(proj, attnY, w + o.projw, w + o.projb, rows: n, inF: D, outF: D) }
            Profile.measure(.residual) { residualAdd(mid, xin, proj, gamma: o.ls1.map { w + $0 }, rows: n, d: D) }
            Profile.measure(.layerNorm) { layerNormForward(ln2, mean: after(L.ln2Mean), rstd: after(L.ln2Rstd), mid,
                             weight: w + o.ln2w, bias: w + o.ln2b, rows: n, d: D, eps: c.normEps) }
            Profile.measure(.linearForward) { linearForward(fc1, ln2, w + o.fc1w, w + o.fc1b, rows: n, inF: D, outF: M) }
            Profile.measure(.gelu) { geluForward(gelu, deriv: a.inference ? nil : after(L.geluGrad), fc1, n: n * M, tanhApprox: c.geluTanh) }
            Profile.measure(.linearForward) { linearForward(fc2, gelu, w + o.fc2w, w + o.fc2b, rows: n, inF: M, outF: D) }
            Profile.measure(.residual) { residualAdd(after(a.blockInput(l + 1)), mid, fc2, gamma: o.ls2.map { w + $0 },
                        rows: n, d: D) }
        }
        // After a class-token-only forward, `tokens` (and the final norm's statistics) hold one
        // row per image, so this shard's part starts at its first image, not its first token.
        let outRows = classTokenOnly ? B : n0
        let last = classTokenOnly ? perImageRows : rows
        let tokens = last(a.tokens)
        Profile.measure(.layerNorm) { layerNormForward(tokens, mean: last(a.lnfMean), rstd: last(a.lnfRstd),
                         last(a.blockInput(c.depth)), weight: w + off.normw, bias: w + off.normb,
                         rows: outRows, d: D, eps: c.normEps) }
        if let hw = off.headw, let hb = off.headb { Profile.measure(.head) {
            let K = a.K, lg = rows(a.logits)
            for b in 0..<B { (lg + b * K).update(from: w + hb, count: K) }
            // Class tokens are every T-th row of `tokens` (a strided operand), or all of it when compact.
            sgemm(false, true, B, K, D, tokens, a.tokenStride, w + hw, D, beta: 1, lg, K)
        } }
    }

    /// patches[b, gy·G+gx, (ch·p + ky)·p + kx] = img[b, ch, gy·p+ky, gx·p+kx]: the conv weight
    /// [D, C, p, p] flattened is then exactly the matching [D, F] matrix.
    func unfoldPatches(_ img: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, batch: Int) {
        let c = config, p = c.patchSize, G = c.gridSize, S = c.imageSize, C = c.inChannels
        let F = C * p * p
        for b in 0..<batch {
            for gy in 0..<G {
                for gx in 0..<G {
                    let dst = out + (b * G * G + gy * G + gx) * F
                    for ch in 0..<C {
                        for ky in 0..<p {
                            let src = img + ((b * C + ch) * S + gy * p + ky) * S + gx * p
                            (dst + (ch * p + ky) * p).update(from: src, count: p)
                        }
                    }
                }
            }
        }
    }
}
