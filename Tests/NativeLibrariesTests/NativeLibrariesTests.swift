import CAffinity
import CHDF5
import CHDF5Shim
import COpenBLAS
import CZeroMQ
import Testing

/// Smoke tests that each native library links and answers: the first thing to fail on a machine whose
/// `make deps` went wrong.
@Suite struct NativeLibrariesTests {
    @Test func zeroMQReportsVersion4() {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        #expect(major == 4)
    }

    @Test func zeroMQRoundTripsOverInproc() throws {
        let context = zmq_ctx_new()!
        defer { zmq_ctx_term(context) }
        let server = zmq_socket(context, ZMQ_PAIR)!
        let client = zmq_socket(context, ZMQ_PAIR)!
        defer { zmq_close(client); zmq_close(server) }
        #expect(zmq_bind(server, "inproc://smoke") == 0)
        #expect(zmq_connect(client, "inproc://smoke") == 0)
        let message = Array("hello".utf8)
        #expect(zmq_send(client, message, message.count, 0) == 5)
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = zmq_recv(server, &buffer, buffer.count, 0)
        #expect(n == 5)
        #expect(Array(buffer[0..<5]) == message)
    }

    @Test func openBLASMultipliesMatrices() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
        #expect(c == [19, 22, 43, 50])
    }

    @Test func affinityCanBeReadAndPinnedForOneThread() {
        var cpus = [Int32](repeating: -1, count: 1024)
        let count = tagood_get_affinity(&cpus, 1024)
        #expect(count >= 1)
        let first = cpus[0]
        // Pin only this thread (process-wide pinning would leak into the other tests).
        #expect(tagood_set_thread_affinity([first], 1) == 0)
        #expect(tagood_current_cpu() == first)
        #expect(tagood_set_thread_affinity(Array(cpus[0..<Int(count)]), count) == 0)
    }

    @Test func hdf5ConstantsAreReachableThroughTheShim() {
        #expect(tagood_H5T_NATIVE_FLOAT() > 0)
        let f16 = tagood_make_float16_type()
        #expect(f16 > 0)
        #expect(H5Tget_size(f16) == 2)
        H5Tclose(f16)
    }
}
