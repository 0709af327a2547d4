/// One supervised training step put together: forward, cross-entropy (optionally plus KD from
/// teacher logits), backward, gradient clipping, AdamW at the scheduled learning rate.
public final class Trainer: @unchecked Sendable {
    public let model: ViTModel
    /// At the shard batch (`parallel.shardBatch`): the whole batch unless `distribute` cut it.
    public private(set) var activations: ViTActivations
    public let optimizer: AdamW
    public var schedule: CosineSchedule
    public var labelSmoothing: Float
    /// nil: no clipping.
    public var clipNorm: Float?
    public private(set) var step = 0
    /// How each step's gradient is cut into shards and summed across ranks (`distribute`).
    public private(set) var parallel: DataParallel
    var dlogits: FloatBuffer

    public init(model: ViTModel, batch: Int, optimizer: AdamWConfig = AdamWConfig(), schedule: CosineSchedule,
                labelSmoothing: Float = 0.1, clipNorm: Float? = 1) {
        self.model = model
        activations = model.makeActivations(batch: batch)
        parallel = .single(batch: batch)
        self.optimizer = AdamW(layout: model.layout, config: optimizer)
        self.schedule = schedule
        self.labelSmoothing = labelSmoothing
        self.clipNorm = clipNorm
        dlogits = FloatBuffer(count: batch * model.config.numClasses)
    }

    public struct StepResult: Sendable { public let loss: Float, lr: Float, gradNorm: Float }

    /// Computes every step's gradient as `parallel` says: shard by shard, only this rank's shards,
    /// summed across the ranks in a fixed order. `step`'s images then hold the global batch, of
    /// which only `parallel.localImages` need be filled.
    public func distribute(_ parallel: DataParallel) {
        precondition(parallel.plan.batch == self.parallel.plan.batch, "Trainer.distribute: the batch differs")
        self.parallel = parallel
        activations = model.makeActivations(batch: parallel.shardBatch)
        dlogits = FloatBuffer(count: parallel.shardBatch * model.config.numClasses)
    }

    /// `images` [B, C, S, S] normalized; `labels` [B]. With `teacherLogits` [B, K], the loss is
    /// α·KD(τ) + (1−α)·CE.
    @discardableResult
    public func step(images: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                     teacherLogits: UnsafePointer<Float>? = nil, alpha: Float = 0.5, temperature: Float = 1) -> StepResult {
        let a = activations, K = model.config.numClasses, b = a.batch, S = Float(parallel.plan.shards)
        let c = model.config, perImage = c.inChannels * c.imageSize * c.imageSize
        let ceWeight: Float = teacherLogits == nil ? 1 : 1 - alpha
        let summed: [Float]
        do {
            summed = try parallel.sum(gradients: model.grads, extras: 1) { shard, extras in
                let first = parallel.plan.images(ofShard: shard).lowerBound
                // Only logits are needed: the last block runs for the class tokens alone.
                model.forward(images: images + first * perImage, a, classTokenOnly: true)
                // Each shard's loss is a mean over its images: at 1/S, the shards add up to the batch's.
                let loss: Float = Profile.measure(.loss) {
                    dlogits.zero()
                    var l = ceWeight * Loss.crossEntropy(logits: a.logits.pointer, labels: labels + first, batch: b, classes: K,
                                                         smoothing: labelSmoothing, grad: dlogits.pointer, weight: ceWeight / S)
                    if let teacherLogits {
                        l += alpha * Loss.klDistillation(student: a.logits.pointer, teacher: teacherLogits + first * K, batch: b, classes: K,
                                                         temperature: temperature, grad: dlogits.pointer, weight: alpha / S)
                    }
                    return l
                }
                model.zeroGrad()
                model.backward(a, dlogits: dlogits.pointer)
                extras[0] = loss / S
            }
        } catch { parallel.group.stop(after: error) }
        let lr = schedule.lr(step: step)
        let norm: Float = Profile.measure(.optimizer) {
            let n = clipNorm.map { clipGradNorm(model.grads, maxNorm: $0) } ?? 0
            optimizer.update(params: model.params, grads: model.grads, lr: lr)
            return n
        }
        step += 1
        return StepResult(loss: summed[0], lr: lr, gradNorm: norm)
    }

    /// Logits for a batch without touching gradients (evaluation).
    public func predict(images: UnsafePointer<Float>) -> [Int] {
        model.forward(images: images, activations, classTokenOnly: true)
        return Loss.argmax(logits: activations.logits.pointer, batch: activations.batch, classes: model.config.numClasses)
    }
}
