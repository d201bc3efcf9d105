/// TagOOD's evaluation transform, as RAM's `get_transform(image_size=384)` builds it:
/// `Resize((392, 392))` (Pillow bilinear, antialiased), `CenterCrop(384)`, `ToTensor()`,
/// `Normalize(mean, std)`. The result is a CHW float32 tensor `[3, crop, crop]`.
public struct TagOODTransform: Sendable, Equatable {
    /// Side of the square resize (torchvision `Resize((resizeTo, resizeTo))`).
    public let resizeTo: Int
    /// Side of the square center crop.
    public let crop: Int
    /// Per-channel mean (R, G, B).
    public let mean: [Float]
    /// Per-channel standard deviation (R, G, B).
    public let std: [Float]
    /// The byte → float table derived from `mean` and `std`.
    public let table: NormalizationTable

    /// ImageNet's mean.
    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    /// ImageNet's standard deviation.
    public static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    /// Makes the transform; the defaults are TagOOD's (392 → 384, ImageNet statistics).
    public init(
        resizeTo: Int = 392, crop: Int = 384,
        mean: [Float] = TagOODTransform.imageNetMean, std: [Float] = TagOODTransform.imageNetStd
    ) {
        precondition(resizeTo > 0 && crop > 0, "TagOODTransform: sizes must be positive")
        precondition(
            mean.count == 3 && std.count == 3 && std.allSatisfy { $0 > 0 },
            "TagOODTransform: 3 means and 3 positive stds")
        self.resizeTo = resizeTo
        self.crop = crop
        self.mean = mean
        self.std = std
        self.table = NormalizationTable(mean: mean, std: std)
    }

    /// The output shape, `[3, crop, crop]`.
    public var outputShape: [Int] { [3, crop, crop] }

    /// The number of floats in one output, `3 * crop * crop`.
    public var outputCount: Int { 3 * crop * crop }

    /// The 8-bit RGB image after resize and crop, before normalisation (what `ToTensor` reads).
    public func resizedAndCropped(_ image: RGBImage) -> RGBImage {
        if crop <= resizeTo {
            let origin = RGBImage.centerCropOrigin(size: (resizeTo, resizeTo), crop: (crop, crop))
            return image.resized(width: resizeTo, height: resizeTo, window: (origin.x, origin.y, crop, crop))
        }
        return image.resized(width: resizeTo, height: resizeTo).centerCropped(width: crop, height: crop)
    }
}
