import WaveTensor
// The backward pass, the forward's steps in reverse. Gradients accumulate into `grads`.
// Inputs: dlogits [B,K] (∂L/∂logits) and/or dtokens [B,T,D] (∂L/∂tokens, for feature losses).
// `dres` carries ∂L/∂(residual stream) down through the blocks. After a class-token-only forward
// the last block's post-attention part runs on the B class rows (gradient in `classGrad`), and
// dtokens must be nil (only class tokens exist).

extension ViTModel {
    public func backward(_ a: ViTActivations, dlogits: UnsafePointer<Float>?, dtokens: UnsafePointer<Float>? = nil) {
        let c = config, B = a.batch, T = a.T, P = a.P, D = a.D, M = a.M, F = a.F
        let w = params.pointer, g = grads.pointer
        let rows = B * T, compact = a.classTokenOnly, outRows = compact ? B : rows
        precondition(!(compact && dtokens != nil), "token gradients need a forward with classTokenOnly: false")
        precondition(!a.inference, "these activations were made for inference (makeActivations(batch:inference: true))")

        // Head and final norm.
        let dtok = a.dtokens.pointer
        if let dtokens { dtok.update(from: dtokens, count: rows * D) } else { a.dtokens.zero() }
        let tokStride = a.tokenStride
        if let dlogits, let hw = off.headw, let hb = off.headb {
            let K = a.K
            // ∂tokens[b,0] += dlogits[b] · Wh (strided rows), ∂Wh += dlogitsᵀ · tokens[:,0], ∂bh += Σ_b dlogits[b].
            runProducts([Product(false, false, B, D, K, dlogits, K, w + hw, D, beta: 1, dtok, tokStride),
                         Product(true, false, K, D, B, dlogits, K, a.tokens.pointer, tokStride, beta: 1, g + hw, D)])
            columnSums(dlogits, rows: B, cols: K, into: g + hb)
        }
        let dresFull = a.dres.pointer
        a.dres.zero()
        if compact { a.classGrad.zero() }
        Profile.measure(.layerNorm) { layerNormBackward(dinp: compact ? a.classGrad.pointer : dresFull, dweight: g + off.normw,
                          dbias: g + off.normb, dout: dtok, inp: a.residual[c.depth].pointer, weight: w + off.normw,
                          mean: a.lnfMean.pointer, rstd: a.lnfRstd.pointer, rows: outRows, d: D) }

        let shape = AttentionShape(batch: B, tokens: T, dim: D, heads: c.numHeads)
        for l in stride(from: c.depth - 1, through: 0, by: -1) {
            let o = off.blocks[l], L = a.layers[l]
            let last = compact && l == c.depth - 1
            let rows = last ? B : B * T, dres = last ? a.classGrad.pointer : dresFull
            // out = mid + γ2⊙fc2: ∂mid = dres (kept in place), ∂fc2 = γ2⊙dres.
            var dfc2 = UnsafePointer(dres)
            if let ls2 = o.ls2 {
                Profile.measure(.residual) { layerScaleBackward(dout: a.dtmp.pointer, dgamma: g + ls2, grad: dres, branch: L.fc2.pointer,
                                   gamma: w + ls2, rows: rows, d: D) }
                dfc2 = UnsafePointer(a.dtmp.pointer)
            }
            Profile.measure(.linearBackward) { linearBackward(dinp: a.dhid.pointer, dweight: g + o.fc2w, dbias: g + o.fc2b, dout: dfc2,
                           inp: L.gelu.pointer, weight: w + o.fc2w, rows: rows, inF: M, outF: D) }
            Profile.measure(.gelu) { geluBackward(dinp: a.dhid.pointer, dout: a.dhid.pointer, deriv: L.geluGrad.pointer, n: rows * M) }
            Profile.measure(.linearBackward) { linearBackward(dinp: a.dln.pointer, dweight: g + o.fc1w, dbias: g + o.fc1b, dout: a.dhid.pointer,
                           inp: L.ln2.pointer, weight: w + o.fc1w, rows: rows, inF: D, outF: M) }
            Profile.measure(.layerNorm) { layerNormBackward(dinp: dres, dweight: g + o.ln2w, dbias: g + o.ln2b, dout: a.dln.pointer,
                              inp: L.mid.pointer, weight: w + o.ln2w, mean: L.ln2Mean.pointer,
                              rstd: L.ln2Rstd.pointer, rows: rows, d: D) }

            // mid = x + γ1⊙proj.
            var dproj = UnsafePointer(dres)
            if let ls1 = o.ls1 {
                Profile.measure(.residual) { layerScaleBackward(dout: a.dtmp.pointer, dgamma: g + ls1, grad: dres, branch: L.proj.pointer,
                                   gamma: w + ls1, rows: rows, d: D) }
                dproj = UnsafePointer(a.dtmp.pointer)
            }
            Profile.measure(.linearBackward) { linearBackward(dinp: a.dattY.pointer, dweight: g + o.projw, dbias: g + o.projb, dout: dproj,
                           inp: L.attnY.pointer, weight: w + o.projw, rows: rows, inF: D, outF: D) }
            if last {
                attentionBackwardClassOnly(dqkv: a.dqkv.pointer, scratch: a.dprobs.pointer, dy: a.dattY.pointer,
                                           qkv: L.qkv.pointer, probs: L.probs.pointer, shape)
                // The block input's gradient: the class rows' residual path, then ln1's share below.
                for b in 0..<B { (dresFull + b * T * D).update(from: dres + b * D, count: D) }
            } else {
                attentionBackward(dqkv: a.dqkv.pointer, scratch: a.dprobs.pointer, dy: a.dattY.pointer,
                                  qkv: L.qkv.pointer, probs: L.probs.pointer, shape)
            }
            Profile.measure(.linearBackward) { linearBackward(dinp: a.dln.pointer, dweight: g + o.qkvw, dbias: o.qkvb.map { g + $0 },
                           dout: a.dqkv.pointer, inp: L.ln1.pointer, weight: w + o.qkvw,
                           rows: B * T, inF: D, outF: 3 * D) }
            Profile.measure(.layerNorm) { layerNormBackward(dinp: dresFull, dweight: g + o.ln1w, dbias: g + o.ln1b, dout: a.dln.pointer,
                              inp: a.residual[l].pointer, weight: w + o.ln1w, mean: L.ln1Mean.pointer,
                              rstd: L.ln1Rstd.pointer, rows: B * T, d: D) }
        }

        // Stem: pos gets every image's gradient, cls the class rows, the patch conv the rest.
        Profile.measure(.stem) {
        // Gather every image's patch-row gradients into one [B·P, D] block for one product.
        let gathered = a.patchOut.pointer
        for b in 0..<B {
            let db = dresFull + b * T * D
            addInPlace(g + off.pos, db, T * D)
            addInPlace(g + off.cls, db, D)
            (gathered + b * P * D).update(from: db + D, count: P * D)
        }
        parallelSgemm(true, false, D, F, B * P, gathered, D, a.patches.pointer, F, beta: 1, g + off.pew, F)
        columnSums(gathered, rows: B * P, cols: D, into: g + off.peb)
        }
    }
}
