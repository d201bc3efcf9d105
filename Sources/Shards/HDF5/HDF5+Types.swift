@preconcurrency import CHDF5
import CHDF5Shim

extension HDF5 {
    /// The file type of a schema element (little-endian standard types; float16 and strings are built).
    /// The same type is the memory type: shards are little-endian and so are the hosts tagood runs on.
    static func makeType(_ element: ShardSchema.Element) -> HDF5Handle? {
        let id: hid_t
        switch element {
        case .utf8String: id = tagood_make_utf8_string_type()
        case .float16: id = tagood_make_float16_type()
        case .float32: id = H5Tcopy(tagood_H5T_IEEE_F32LE())
        case .int16: id = H5Tcopy(tagood_H5T_STD_I16LE())
        case .int32: id = H5Tcopy(tagood_H5T_STD_I32LE())
        case .int64: id = H5Tcopy(tagood_H5T_STD_I64LE())
        case .uint8: id = H5Tcopy(tagood_H5T_STD_U8LE())
        }
        return id < 0 ? nil : HDF5Handle(id, .datatype)
    }

    /// Whether a file type stores `element` (class, size, sign; strings must be variable-length).
    static func type(_ type: hid_t, matches element: ShardSchema.Element) -> Bool {
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        switch element {
        case .utf8String:
            return typeClass == H5T_STRING && H5Tis_variable_str(type) > 0
        case .float16, .float32:
            return typeClass == H5T_FLOAT && size == element.size
        case .int16, .int32, .int64:
            return typeClass == H5T_INTEGER && size == element.size && H5Tget_sign(type) == H5T_SGN_2
        case .uint8:
            return typeClass == H5T_INTEGER && size == 1 && H5Tget_sign(type) == H5T_SGN_NONE
        }
    }

    /// A readable name for a file type, for error messages.
    static func describe(_ type: hid_t) -> String {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_STRING: return H5Tis_variable_str(type) > 0 ? "vlen string" : "fixed string of \(size) bytes"
        case H5T_FLOAT: return "float\(size * 8)"
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(size * 8)"
        default: return "HDF5 type class \(H5Tget_class(type).rawValue)"
        }
    }
}
