/// A decoded image and what it was decoded from.
public struct DecodedImage: Sendable, Equatable {
    /// The pixels, converted to 8-bit RGB as Pillow's `convert("RGB")` does.
    public var image: RGBImage
    /// The source format, size and mode.
    public var source: SourceInfo

    /// Pairs an image with its source description.
    public init(image: RGBImage, source: SourceInfo) {
        self.image = image
        self.source = source
    }
}
