import Foundation
import GPU
import TagoodSupport
import Testing

/// Opening libtagood_cuda: every way it can be missing or wrong gives an error that names the file and says
/// what to do. The libraries here are real shared objects that `cc` builds for the test.
@Suite struct LibraryLoadingTests {
    /// Builds a shared library from C source into `directory`.
    static func sharedLibrary(_ source: String, named name: String, in directory: String) throws -> String {
        let c = directory + "/\(name).c", so = directory + "/\(name).so"
        try source.write(toFile: c, atomically: true, encoding: .utf8)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-shared", "-fPIC", "-o", so, c]
        try cc.run()
        cc.waitUntilExit()
        #expect(cc.terminationStatus == 0)
        return so
    }

    @Test func aMissingLibraryNamesWhereItLookedAndHowToBuildIt() throws {
        let directory = try TemporaryDirectory(prefix: "gpu-missing")
        let path = directory.path + "/libtagood_cuda.so"
        do {
            _ = try CUDALibrary(path: path)
            Issue.record("opened a library that does not exist")
        } catch {
            #expect(error.kind == .libraryMissing)
            #expect(error.message.contains(path))
            #expect(error.description.contains("make gpu"))
        }
    }

    @Test func theEnvironmentVariableIsTheFirstPlaceLooked() {
        let candidates = CUDALibrary.candidates(environment: [
            CUDALibrary.environmentVariable: "/opt/x/libtagood_cuda.so"
        ])
        #expect(candidates == ["/opt/x/libtagood_cuda.so"], "a path someone gave is the only one tried")
        let defaults = CUDALibrary.candidates(environment: [:])
        #expect(defaults.allSatisfy { $0.hasSuffix("/libtagood_cuda.so") })
        #expect(defaults.contains { $0.hasSuffix("/cuda/libtagood_cuda.so") })
    }

    @Test func aFileThatIsNotALibraryGivesTheLoadersReason() throws {
        let directory = try TemporaryDirectory(prefix: "gpu-notelf")
        let path = directory.path + "/libtagood_cuda.so"
        try "not an ELF file".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: GPUError.self) { try CUDALibrary(path: path) }
        do { _ = try CUDALibrary(path: path) } catch {
            #expect(error.kind == .libraryMissing)
            #expect(error.message.contains(path))
        }
    }

    @Test func aLibraryWithoutTheAPIIsRefusedByName() throws {
        let directory = try TemporaryDirectory(prefix: "gpu-noapi")
        let so = try Self.sharedLibrary("int something_else(void) { return 1; }\n", named: "other", in: directory.path)
        do {
            _ = try CUDALibrary(path: so)
            Issue.record("opened a library without the API")
        } catch {
            #expect(error.kind == .libraryMissing)
            #expect(error.message.contains("tagood_cuda_api_version"))
        }
    }

    @Test func aLibraryOfAnotherAPIVersionIsRefused() throws {
        let directory = try TemporaryDirectory(prefix: "gpu-version")
        let names = [
            "describe_device", "create", "last_error", "destroy", "submit", "probabilities", "tags_fire", "select",
            "image_embeds", "layer0_attention"
        ]
        let source =
            "int tagood_cuda_api_version(void) { return 999; }\n"
            + names.map { "void tagood_cuda_\($0)(void) {}\n" }.joined()
        let so = try Self.sharedLibrary(source, named: "future", in: directory.path)
        do {
            _ = try CUDALibrary(path: so)
            Issue.record("opened a library of another API version")
        } catch {
            #expect(error.kind == .libraryMismatch)
            #expect(error.message.contains("999"))
            #expect(error.description.contains("make gpu"))
        }
    }
}
