import Imaging

/// Drawing single images, without writing them.
extension DemoDataset {
    /// Draws one image (without writing it); the same item always gives the same pixels.
    public func render(_ item: DemoItem) -> RGBImage {
        var random = DemoRandom.derive(seed, item.identity + [UInt64(size)])
        switch item {
        case .inDistribution(_, let classIndex, _):
            let table = DemoClass.table(count: DemoClass.maxCount)
            let spec = table[min(max(classIndex, 0), table.count - 1)]
            return SceneRenderer(size: size)
                .render(shape: spec.shape, color: spec.color, texture: spec.texture, random: &random)
        case .nearOOD:
            let table = classTable
            let shape = DemoShape.nearOOD[random.below(DemoShape.nearOOD.count)]
            let look = table[random.below(table.count)]
            let texture = table[random.below(table.count)].texture
            return SceneRenderer(size: size).render(shape: shape, color: look.color, texture: texture, random: &random)
        case .farOOD:
            let kind = DemoFarKind.allCases[random.below(DemoFarKind.allCases.count)]
            return TextureRenderer(size: size).render(kind, random: &random)
        }
    }
}
