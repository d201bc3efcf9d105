/// The shape of TagOOD's projector: the authors' defaults are width 512, 8 heads, 2 layers, MLP 2048,
/// at most 145 tokens, 4 center patterns.
public struct ProjectorConfig: Sendable, Equatable, Codable {
    /// The width of an input token (the shard's `embed_dim`; 512 for RAM).
    public var inputWidth: Int
    /// The hidden width (the feature f's length).
    public var width: Int
    public var heads: Int
    public var layers: Int
    public var mlpWidth: Int
    /// The most tokens an image may have (the positional embedding has one more row, for the CLS token).
    public var maxTokens: Int
    /// How many parts f is cut into for the center loss and the learned score (`width` / `patterns` each).
    public var patterns: Int
    /// The number of classes (the classifier's outputs).
    public var classes: Int
    /// LayerNorm's ε.
    public var eps: Double
    /// The dropout probability while training.
    public var dropout: Double

    public init(
        inputWidth: Int = 512, width: Int = 512, heads: Int = 8, layers: Int = 2, mlpWidth: Int = 2048,
        maxTokens: Int = 145, patterns: Int = 4, classes: Int, eps: Double = 1e-6, dropout: Double = 0.1
    ) {
        self.inputWidth = inputWidth
        self.width = width
        self.heads = heads
        self.layers = layers
        self.mlpWidth = mlpWidth
        self.maxTokens = maxTokens
        self.patterns = patterns
        self.classes = classes
        self.eps = eps
        self.dropout = dropout
    }

    /// Why this shape cannot be built, or nil.
    public var problem: String? {
        if inputWidth < 1 || width < 1 || heads < 1 || layers < 1 || mlpWidth < 1 || maxTokens < 1 || patterns < 1 {
            return "every size must be at least 1"
        }
        if width % heads != 0 { return "width \(width) is not a multiple of heads \(heads)" }
        if width % patterns != 0 { return "width \(width) is not a multiple of patterns \(patterns)" }
        if classes < 2 { return "training needs at least 2 classes (got \(classes))" }
        if !(0..<1).contains(dropout) { return "dropout \(dropout) is not in [0, 1)" }
        return nil
    }

    /// The state-dict prefix of encoder block `i`.
    static func blockPrefix(_ i: Int) -> String { "layers.layers.encoder_layer_\(i)." }
}
