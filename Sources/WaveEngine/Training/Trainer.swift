/// One supervised training step put together: forward, cross-entropy (optionally plus KD from
/// teacher logits), backward, gradient clipping, AdamW at the scheduled learning rate.
public final class Trainer: @unchecked Sendable {
    public let model: ViTModel
    public let activations: ViTActivations
    public let optimizer: AdamW
    public var schedule: CosineSchedule
    public var labelSmoothing: Float
    /// nil: no clipping.
    public var clipNorm: Float?
    public private(set) var step = 0
    let dlogits: FloatBuffer

    public init(model: ViTModel, batch: Int, optimizer: AdamWConfig = AdamWConfig(), schedule: CosineSchedule,
                labelSmoothing: Float = 0.1, clipNorm: Float? = 1) {
        self.model = model
        activations = model.makeActivations(batch: batch)
        self.optimizer = AdamW(layout: model.layout, config: optimizer)
        self.schedule = schedule
        self.labelSmoothing = labelSmoothing
        self.clipNorm = clipNorm
        dlogits = FloatBuffer(count: batch * model.config.numClasses)
    }

    public struct StepResult: Sendable { public let loss: Float, lr: Float, gradNorm: Float }

    /// `images` [B, C, S, S] normalized; `labels` [B]. With `teacherLogits` [B, K], the loss is
    /// α·KD(τ) + (1−α)·CE.
    @discardableResult
    public func step(images: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                     teacherLogits: UnsafePointer<Float>? = nil, alpha: Float = 0.5, temperature: Float = 1) -> StepResult {
        let a = activations, K = model.config.numClasses, B = a.batch
        // Only logits are needed: the last block runs for the class tokens alone.
        model.forward(images: images, a, classTokenOnly: true)
        let loss: Float = Profile.measure(.loss) {
            dlogits.zero()
            let ceWeight: Float = teacherLogits == nil ? 1 : 1 - alpha
            var l = ceWeight * Loss.crossEntropy(logits: a.logits.pointer, labels: labels, batch: B, classes: K,
                                                 smoothing: labelSmoothing, grad: dlogits.pointer, weight: ceWeight)
            if let teacherLogits {
                l += alpha * Loss.klDistillation(student: a.logits.pointer, teacher: teacherLogits, batch: B, classes: K,
                                                 temperature: temperature, grad: dlogits.pointer, weight: alpha)
            }
            return l
        }
        model.zeroGrad()
        model.backward(a, dlogits: dlogits.pointer)
        let lr = schedule.lr(step: step)
        let norm: Float = Profile.measure(.optimizer) {
            let n = clipNorm.map { clipGradNorm(model.grads, maxNorm: $0) } ?? 0
            optimizer.update(params: model.params, grads: model.grads, lr: lr)
            return n
        }
        step += 1
        return StepResult(loss: loss, lr: lr, gradNorm: norm)
    }

    /// Logits for a batch without touching gradients (evaluation).
    public func predict(images: UnsafePointer<Float>) -> [Int] {
        model.forward(images: images, activations, classTokenOnly: true)
        return Loss.argmax(logits: activations.logits.pointer, batch: activations.batch, classes: model.config.numClasses)
    }
}
