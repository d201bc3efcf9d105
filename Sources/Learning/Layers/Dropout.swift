import TagoodSupport

/// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p), or zeroed.
///
/// The keep/drop decisions come from a counter-based stream: elements 4g…4g+3 of site `site` in step
/// `step` use 16 bits each of `SplitMix64(seed ⊕ h(step) ⊕ h(site) ⊕ h(g))`, so they never depend on how
/// rows are split between threads, and a resumed run draws the same masks. (PyTorch's generator cannot be
/// reproduced; a dropout run matches PyTorch in distribution, not bit for bit.)
struct Dropout: Sendable {
    /// The drop probability.
    var p: Double
    /// The run's seed.
    var seed: UInt64

    /// The 16-bit threshold below which an element is dropped.
    var threshold: UInt16 { UInt16(min(65535, (p * 65536).rounded())) }

    /// Writes `count` scales: 0 for a dropped element, 1/(1 − p) for a kept one. Forward: x ⊙ scales;
    /// backward: dy ⊙ scales.
    @_specialize(exported:true,where T == Float)
    func fillScales<T: LearningScalar>(_ scales: UnsafeMutablePointer<T>, count: Int, step: UInt64, site: UInt64) {
        let keep = T(1 / (1 - p)), threshold = self.threshold
        let base = seed ^ (step &* 0x9E37_79B9_7F4A_7C15) ^ (site &* 0xC2B2_AE3D_27D4_EB4F)
        let groups = (count + 3) / 4
        WorkerPool.shared.parallelRanges(groups, minimumChunk: 8192) { range in
            for g in range {
                var generator = SplitMix64(seed: base ^ (UInt64(g) &* 0x1656_67B1_9E37_79F9))
                var bits = generator.next()
                for lane in 0..<4 {
                    let e = g * 4 + lane
                    guard e < count else { break }
                    scales[e] = UInt16(truncatingIfNeeded: bits) >= threshold ? keep : 0
                    bits >>= 16
                }
            }
        }
    }
}
