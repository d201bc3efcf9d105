@preconcurrency import CHDF5
import CHDF5Shim

/// Internal glue between Swift and the HDF5 C library.
///
/// Threading assumption: Debian's `libhdf5-103` (1.10.8, serial) is the thread-safe build, so the library
/// serialises every API call behind one global lock and any thread may call it. ``ShardWriter`` and
/// ``ShardReader`` instances are still not safe to share between threads (they keep unsynchronised
/// buffers); use each from one thread at a time. Several instances on several threads are fine, but HDF5
/// work does not run in parallel. ``HDF5/isThreadSafe`` reports what the linked library says. The error
/// stack and the automatic error printing are per thread in the thread-safe build, so every entry point
/// calls ``HDF5/prepareThread()`` first.
enum HDF5 {
    /// Turns HDF5's automatic error printing off for the calling thread (and, on the first call, the
    /// library's exit handler: ``exitHandlerOff``).
    @inline(__always) static func prepareThread() {
        _ = exitHandlerOff
        _ = tagood_silence_hdf5_errors()
    }

    /// HDF5 closes the files still open when the process exits (`H5_term_library`, an `atexit` handler).
    /// After a close that failed (a write on a full disk), HDF5 1.10.8 crashes in that handler (SIGSEGV in
    /// `H5F__close_cb`), so a worker that hit a full disk died at exit. tagood closes every file itself
    /// (and fsyncs what it commits), so the handler is turned off before the library starts.
    private static let exitHandlerOff: Void = { _ = H5dont_atexit() }()

    /// The messages on the calling thread's HDF5 error stack (then cleared), or nil when it is empty.
    static func errorStack() -> String? {
        var buffer = [CChar](repeating: 0, count: 2048)
        tagood_hdf5_error_message(&buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? nil : text
    }

    /// Whether the linked HDF5 library was built thread-safe (nil when it cannot say).
    static var isThreadSafe: Bool? {
        switch tagood_hdf5_is_threadsafe() {
        case 1: return true
        case 0: return false
        default: return nil
        }
    }

    static var defaultList: hid_t { tagood_H5P_DEFAULT() }
    static var all: hid_t { tagood_H5S_ALL() }
}
