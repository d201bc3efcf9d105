import TagoodSupport

/// Folder creation for the reduce outputs, with the reducer's error.
enum Folders {
    /// `mkdir -p`.
    static func make(_ path: String) throws(ReduceError) {
        do {
            try FileSystem.makeDirectories(path)
        } catch {
            throw ReduceError(
                .write, "cannot create the folder \(error.path): \(error)", subject: error.path,
                remedy: "check free space and permissions")
        }
    }
}
