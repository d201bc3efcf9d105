@preconcurrency import CHDF5

/// An HDF5 identifier that is closed exactly once: by ``close()`` or when the handle is released.
final class HDF5Handle {
    /// What kind of object the identifier names; it picks the close function.
    enum Kind {
        case file, dataset, dataspace, datatype, attribute, propertyList
    }

    let id: hid_t
    let kind: Kind
    private var isOpen = true

    /// Wraps `id`, which must be valid (>= 0).
    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// Closes the identifier now; returns false when HDF5 reports a failure (for files: a failed flush).
    @discardableResult
    func close() -> Bool {
        guard isOpen else { return true }
        isOpen = false
        HDF5.prepareThread() // handles may be released on any thread: keep HDF5 quiet there too
        let status: herr_t
        switch kind {
        case .file: status = H5Fclose(id)
        case .dataset: status = H5Dclose(id)
        case .dataspace: status = H5Sclose(id)
        case .datatype: status = H5Tclose(id)
        case .attribute: status = H5Aclose(id)
        case .propertyList: status = H5Pclose(id)
        }
        return status >= 0
    }

    deinit { close() }
}
