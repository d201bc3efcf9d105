@preconcurrency import CHDF5
import CHDF5Shim

/// Scalar root attributes: vlen UTF-8 strings (h5py reads `str`), int64 and float64.
extension HDF5 {
    /// Writes a scalar attribute; returns false on failure (the error stack says why).
    private static func writeScalar(
        on object: hid_t, _ name: String, type: hid_t,
        _ value: UnsafeRawPointer
    ) -> Bool {
        let space = H5Screate(H5S_SCALAR)
        guard space >= 0 else { return false }
        defer { H5Sclose(space) }
        if H5Aexists(object, name) > 0 { H5Adelete(object, name) }
        let attribute = H5Acreate2(object, name, type, space, defaultList, defaultList)
        guard attribute >= 0 else { return false }
        defer { H5Aclose(attribute) }
        return H5Awrite(attribute, type, value) >= 0
    }

    static func writeAttribute(on object: hid_t, _ name: String, string: String) -> Bool {
        guard let type = makeType(.utf8String) else { return false }
        return string.withCString { text in
            var pointer: UnsafePointer<CChar>? = text
            return withUnsafePointer(to: &pointer) { writeScalar(on: object, name, type: type.id, $0) }
        }
    }

    static func writeAttribute(on object: hid_t, _ name: String, integer: Int64) -> Bool {
        var value = integer.littleEndian
        return writeScalar(on: object, name, type: tagood_H5T_STD_I64LE(), &value)
    }

    static func writeAttribute(on object: hid_t, _ name: String, double: Double) -> Bool {
        var value = double
        return writeScalar(on: object, name, type: tagood_H5T_IEEE_F64LE(), &value)
    }

    /// The outcome of reading an attribute.
    enum AttributeRead<Value> {
        case value(Value)
        case missing
        /// Present but of another type or shape (the text describes it).
        case wrongType(String)
        case failed
    }

    /// Opens attribute `name` and checks it is scalar (or a 1-element array) of class `expected`.
    private static func openScalar<V>(
        _ object: hid_t, _ name: String, _ expected: H5T_class_t,
        _ body: (hid_t, hid_t) -> AttributeRead<V>
    ) -> AttributeRead<V> {
        let exists = H5Aexists(object, name)
        if exists < 0 { return .failed }
        if exists == 0 { return .missing }
        let attribute = H5Aopen(object, name, defaultList)
        guard attribute >= 0 else { return .failed }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { return .failed }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { return .failed }
        defer { H5Sclose(space) }
        if H5Sget_simple_extent_npoints(space) != 1 {
            return .wrongType("\(H5Sget_simple_extent_npoints(space)) values instead of one")
        }
        if H5Tget_class(type) != expected { return .wrongType(describe(type)) }
        return body(attribute, type)
    }

    static func readStringAttribute(_ object: hid_t, _ name: String) -> AttributeRead<String> {
        openScalar(object, name, H5T_STRING) { attribute, type in
            if H5Tis_variable_str(type) > 0 {
                guard let memoryType = makeType(.utf8String) else { return .failed }
                var pointer: UnsafeMutablePointer<CChar>? = nil
                guard H5Aread(attribute, memoryType.id, &pointer) >= 0 else { return .failed }
                defer { if pointer != nil { H5free_memory(pointer) } }
                return .value(pointer.map { String(cString: $0) } ?? "")
            }
            // A fixed-length string (as some tools write): read its bytes, stop at the first NUL.
            let size = H5Tget_size(type)
            var bytes = [UInt8](repeating: 0, count: size + 1)
            guard H5Aread(attribute, type, &bytes) >= 0 else { return .failed }
            return .value(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        }
    }

    static func readIntegerAttribute(_ object: hid_t, _ name: String) -> AttributeRead<Int64> {
        openScalar(object, name, H5T_INTEGER) { attribute, _ in
            var value: Int64 = 0
            guard H5Aread(attribute, tagood_H5T_NATIVE_INT64(), &value) >= 0 else { return .failed }
            return .value(value)
        }
    }

    static func readDoubleAttribute(_ object: hid_t, _ name: String) -> AttributeRead<Double> {
        openScalar(object, name, H5T_FLOAT) { attribute, _ in
            var value: Double = 0
            guard H5Aread(attribute, tagood_H5T_NATIVE_DOUBLE(), &value) >= 0 else { return .failed }
            return .value(value)
        }
    }
}
