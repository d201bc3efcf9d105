import Foundation

/// `torch.optim.lr_scheduler.CosineAnnealingLR(T_max, eta_min)` stepped once per batch, with PyTorch's
/// recursive update (not the closed form, which differs from it in the last bits):
/// lr_t = (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)) · (lr_{t−1} − η_min) + η_min.
public struct CosineSchedule: Sendable, Equatable, Codable {
    public var baseLR: Double
    public var minimumLR: Double
    /// T_max: epochs × steps per epoch.
    public var totalSteps: Int
    /// How many times the schedule has been stepped (PyTorch's `last_epoch`).
    public private(set) var position = 0
    /// The learning rate the next optimiser step uses.
    public private(set) var lr: Double

    public init(baseLR: Double, minimumLR: Double = 1e-5, totalSteps: Int) {
        self.baseLR = baseLR
        self.minimumLR = minimumLR
        self.totalSteps = max(1, totalSteps)
        lr = baseLR
    }

    /// A schedule restored at `position` with learning rate `lr` (from a checkpoint).
    public init(baseLR: Double, minimumLR: Double, totalSteps: Int, position: Int, lr: Double) {
        self.init(baseLR: baseLR, minimumLR: minimumLR, totalSteps: totalSteps)
        self.position = position
        self.lr = lr
    }

    /// `scheduler.step()`.
    public mutating func step() {
        position += 1
        let t = Double(position), tMax = Double(totalSteps)
        if (position - 1 - totalSteps) % (2 * totalSteps) == 0 {
            lr += (baseLR - minimumLR) * (1 - cos(Double.pi / tMax)) / 2
        } else {
            lr = (1 + cos(Double.pi * t / tMax)) / (1 + cos(Double.pi * (t - 1) / tMax)) * (lr - minimumLR) + minimumLR
        }
    }
}
