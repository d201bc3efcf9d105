/// The folders of the demo dataset.
public enum DemoSplit: String, Sendable, CaseIterable {
    /// In-distribution training images (ImageFolder).
    case train
    /// In-distribution validation images (ImageFolder).
    case val
    /// Near-OOD images: other shapes in the in-distribution style.
    case oodNear = "ood-near"
    /// Far-OOD images: textures and gradients with no object.
    case oodFar = "ood-far"
}

/// One image of the demo dataset, by identity; ``DemoDataset/render(_:)`` draws it.
public enum DemoItem: Sendable, Equatable {
    /// Image `index` of class `classIndex` in `train` or `val`.
    case inDistribution(DemoSplit, _ classIndex: Int, _ index: Int)
    /// Image `index` of `ood-near`.
    case nearOOD(_ index: Int)
    /// Image `index` of `ood-far`.
    case farOOD(_ index: Int)

    /// The numbers its random stream is derived from.
    var identity: [UInt64] {
        switch self {
        case .inDistribution(let split, let classIndex, let index):
            return [split == .val ? 2 : 1, UInt64(classIndex), UInt64(index)]
        case .nearOOD(let index): return [3, 0, UInt64(index)]
        case .farOOD(let index): return [4, 0, UInt64(index)]
        }
    }
}
