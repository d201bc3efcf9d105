import CZeroMQ

/// A CURVE key pair (Curve25519, as ZeroMQ's CURVE mechanism uses it), each key as the 40 characters
/// of its Z85 text form, which is how ZeroMQ's socket options and tagood's key files take it.
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key, Z85 (40 characters).
    public let publicKey: String
    /// The secret key, Z85 (40 characters). Never log it.
    public let secretKey: String

    /// A fresh key pair from libzmq's `zmq_curve_keypair` (libsodium's random source).
    public static func generate() throws(TransportError) -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else {
            throw TransportError(
                .socket, "cannot make a CURVE key pair: \(ZMQSocket.lastError()) (is libzmq built with CURVE?)")
        }
        return CurveKeyPair(checked: String(cString: pub), String(cString: sec))
    }

    private init(checked publicKey: String, _ secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A key pair from its Z85 texts; nil unless both are valid 40-character Z85 keys.
    public init?(publicKey: String, secretKey: String) {
        guard Self.decode(publicKey) != nil, Self.decode(secretKey) != nil else { return nil }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// The 32 bytes of a Z85 key, or nil unless `z85` is 40 characters of the Z85 alphabet.
    public static func decode(_ z85: String) -> [UInt8]? {
        guard z85.utf8.count == 40, z85.utf8.allSatisfy(isZ85) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, z85) != nil else { return nil }
        return bytes
    }

    /// Whether `b` is in the Z85 alphabet (ZeroMQ RFC 32).
    private static func isZ85(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array(".-:+=^!/*?&<>()[]{}@%$#".utf8).contains(b)
        }
    }
}

/// How a socket takes part in CURVE: as the server that holds its own secret key, or as a client that
/// knows the server's public key and holds its own key pair.
public enum CurveRole: Sendable, Equatable {
    /// A server (the coordinator): it proves it holds `keys`' secret key.
    case server(keys: CurveKeyPair)
    /// A client (a worker): it checks the server is `serverKey` and proves it holds `keys`.
    case client(serverKey: String, keys: CurveKeyPair)
}
