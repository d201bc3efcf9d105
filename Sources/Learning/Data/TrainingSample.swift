/// One training image: its selected tokens (`[tokenCount × width]`, ascending token order) and its class.
public struct TrainingSample: Sendable, Equatable {
    public var tokens: [Float]
    public var tokenCount: Int
    public var label: Int
}
