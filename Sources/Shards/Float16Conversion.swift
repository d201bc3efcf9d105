import CHDF5Shim

/// Row conversions between `Float` and IEEE binary16 bits (`UInt16`), round to nearest even like numpy.
///
/// The shim uses the x86 F16C instructions when the CPU has them; ``portable`` forces the plain C path
/// (tests compare both with Swift's own `Float16`).
enum Float16Conversion {
    /// Converts floats to binary16 bits.
    static func toHalf(
        _ source: UnsafeBufferPointer<Float>, _ destination: UnsafeMutablePointer<UInt16>,
        portable: Bool = false
    ) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        if portable {
            tagood_f32_to_f16_portable(base, destination, source.count)
        } else {
            tagood_f32_to_f16(base, destination, source.count)
        }
    }

    /// Converts binary16 bits to floats (exact).
    static func toFloat(
        _ source: UnsafeBufferPointer<UInt16>, _ destination: UnsafeMutablePointer<Float>,
        portable: Bool = false
    ) {
        guard let base = source.baseAddress, source.count > 0 else { return }
        if portable {
            tagood_f16_to_f32_portable(base, destination, source.count)
        } else {
            tagood_f16_to_f32(base, destination, source.count)
        }
    }

    /// Converts an array of binary16 bits to floats.
    static func floats(fromHalf bits: [UInt16]) -> [Float] {
        guard !bits.isEmpty else { return [] }
        return [Float](unsafeUninitializedCapacity: bits.count) { out, initialized in
            bits.withUnsafeBufferPointer { toFloat($0, out.baseAddress!) }
            initialized = bits.count
        }
    }
}
