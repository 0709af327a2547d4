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
        let c = config, B = a.batch, T = a.T, P = a.P, D = a.D, M = a.M, F = a.F
        a.classTokenOnly = classTokenOnly
        let w = params.pointer
        Profile.measure(.stem) {
        unfoldPatches(images, into: a.patches.pointer, batch: B)

        // Stem: one product over every image's patches, then each image's rows placed after its
        // class token (one large sgemm beats B small ones; the copy is cheap next to it).
        let x0 = a.residual[0].pointer, pe = a.patchOut.pointer
        linearForward(pe, a.patches.pointer, w + off.pew, w + off.peb, rows: B * P, inF: F, outF: D)
        for b in 0..<B {
            let xb = x0 + b * T * D
            xb.update(from: w + off.cls, count: D)
            (xb + D).update(from: pe + b * P * D, count: P * D)
        }
        for b in 0..<B { addInPlace(x0 + b * T * D, w + off.pos, T * D) }
        }

        let rows = B * T
        let shape = AttentionShape(batch: B, tokens: T, dim: D, heads: c.numHeads)
        for (l, o) in off.blocks.enumerated() {
            let L = a.layers[l], x = a.residual[l].pointer
            let compact = classTokenOnly && l == c.depth - 1
            Profile.measure(.layerNorm) { layerNormForward(L.ln1.pointer, mean: L.ln1Mean.pointer, rstd: L.ln1Rstd.pointer, x,
                             weight: w + o.ln1w, bias: w + o.ln1b, rows: rows, d: D, eps: c.normEps) }
            Profile.measure(.linearForward) { linearForward(L.qkv.pointer, L.ln1.pointer, w + o.qkvw, o.qkvb.map { w + $0 }, rows: rows, inF: D, outF: 3 * D) }
            // From here on the compact last block works on B class rows instead of B·T.
            var n = rows, xin = UnsafePointer(x)
            if compact {
                attentionForwardClassOnly(y: L.attnY.pointer, probs: L.probs.pointer, qkv: L.qkv.pointer, shape)
                for b in 0..<B { (a.classRows.pointer + b * D).update(from: x + b * T * D, count: D) }
                n = B; xin = UnsafePointer(a.classRows.pointer)
            } else {
                attentionForward(y: L.attnY.pointer, probs: L.probs.pointer, qkv: L.qkv.pointer, shape)
            }
            Profile.measure(.linearForward) { linearForward(L.proj.pointer, L.attnY.pointer, w + o.projw, w + o.projb, rows: n, inF: D, outF: D) }
            Profile.measure(.residual) { residualAdd(L.mid.pointer, xin, L.proj.pointer, gamma: o.ls1.map { w + $0 }, rows: n, d: D) }
            Profile.measure(.layerNorm) { layerNormForward(L.ln2.pointer, mean: L.ln2Mean.pointer, rstd: L.ln2Rstd.pointer, L.mid.pointer,
                             weight: w + o.ln2w, bias: w + o.ln2b, rows: n, d: D, eps: c.normEps) }
            Profile.measure(.linearForward) { linearForward(L.fc1.pointer, L.ln2.pointer, w + o.fc1w, w + o.fc1b, rows: n, inF: D, outF: M) }
            Profile.measure(.gelu) { geluForward(L.gelu.pointer, deriv: a.inference ? nil : L.geluGrad.pointer, L.fc1.pointer, n: n * M, tanhApprox: c.geluTanh) }
            Profile.measure(.linearForward) { linearForward(L.fc2.pointer, L.gelu.pointer, w + o.fc2w, w + o.fc2b, rows: n, inF: M, outF: D) }
            Profile.measure(.residual) { residualAdd(a.residual[l + 1].pointer, L.mid.pointer, L.fc2.pointer, gamma: o.ls2.map { w + $0 },
                        rows: n, d: D) }
        }
        let outRows = classTokenOnly ? B : rows
        Profile.measure(.layerNorm) { layerNormForward(a.tokens.pointer, mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer,
                         a.residual[c.depth].pointer, weight: w + off.normw, bias: w + off.normb,
                         rows: outRows, d: D, eps: c.normEps) }
        if let hw = off.headw, let hb = off.headb { Profile.measure(.head) {
            let K = a.K, lg = a.logits.pointer
            for b in 0..<B { (lg + b * K).update(from: w + hb, count: K) }
            // Class tokens are every T-th row of `tokens` (a strided operand), or all of it when compact.
            sgemm(false, true, B, K, D, a.tokens.pointer, a.tokenStride, w + hw, D, beta: 1, lg, K)
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
