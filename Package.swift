// swift-tools-version:6.0
import PackageDescription

/// tagood: TagOOD out-of-distribution detection at cluster scale. Linux only (Glibc, /proc, sched_setaffinity).
///
/// The module graph is docs/DESIGN.md's `module-graph` block: `tools/check_module_graph.py` (run by
/// `make test`) fails when a target's dependencies here, or a file's imports, differ from it.
/// Each C library is one system-library module; the few calls Swift cannot make (setjmp error
/// recovery, HDF5's macro constants, `_GNU_SOURCE` affinity) live in small shim targets, and so do the
/// element-wise kernels that are compiled once per x86-64 level (CKernels).
/// `-O` for hot numeric modules in debug builds too.
/// A fuzz target: one folder under Fuzz/, the module it exercises.
func fuzzTarget(_ name: String, _ modules: Target.Dependency...) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + modules, path: "Fuzz/\(name)")
}

let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "tagood",
    products: [
        .executable(name: "tagood", targets: ["tagood"]),
        .executable(name: "tagood-bench", targets: ["TagoodBench"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2")
    ],
    targets: [
        // MARK: C libraries (Debian -dev packages; see `make deps`).
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CXXHash", path: "Sources/CXXHash", pkgConfig: "libxxhash"),
        // MARK: C shims: only what Swift cannot do itself.
        /// libjpeg / libpng calls that need setjmp/longjmp error recovery.
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        /// HDF5's macro "constants" (they call H5open()) as inline functions.
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"]),
        /// sched_setaffinity and friends, which need _GNU_SOURCE.
        .target(name: "CAffinity", cSettings: [.define("_GNU_SOURCE")]),
        /// The forward pass's element-wise kernels (GELU, softmax), compiled for every x86-64 level and
        /// picked at load time (target_clones); optimised in debug builds too.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        /// XXH3 (the shard seal's hash) from xxHash's header, compiled per x86-64 level and picked at run
        /// time (Debian's libxxhash is built for the baseline); optimised in debug builds too.
        .target(
            name: "CXXH3", dependencies: ["CXXHash"], cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        /// libtagood_cuda's C API (built by `make gpu` from cuda/, never linked), its dlopen loader, and the
        /// kernels' index arithmetic, which compiles for the host too so that tests check it here.
        .target(name: "CTagoodCUDA", linkerSettings: [.linkedLibrary("dl")]),

        // MARK: Swift modules.
        .target(name: "TagoodSupport", dependencies: ["CXXHash", "CXXH3"]),
        .target(name: "Job", dependencies: ["Datasets", "Shards", "TagoodSupport"]),
        .target(name: "Datasets", dependencies: ["TagoodSupport"]),
        .target(name: "Imaging", dependencies: ["CImageCodecs", "TagoodSupport"]),
        .target(name: "Shards", dependencies: ["CHDF5", "CHDF5Shim", "TagoodSupport"]),
        // The numeric kernels are optimised even in debug builds: unoptimised Swift loops are ~50× slower,
        // which would make the tests and the demo crawl.
        .target(
            name: "Tensor", dependencies: ["COpenBLAS", "CKernels", "TagoodSupport"], swiftSettings: optimizedInDebug),
        .target(name: "Model", dependencies: ["Tensor", "TagoodSupport"], swiftSettings: optimizedInDebug),
        .target(name: "Extract", dependencies: ["Datasets", "Imaging", "Shards", "Model", "Tensor", "TagoodSupport"]),
        // The projector's layers are generic over Float and Double; each generic function carries
        // `@_specialize(where T == Float)`, so calls from other files reach a specialised body without
        // whole-module optimisation.
        .target(
            name: "Learning",
            dependencies: ["Tensor", "Model", "Shards", "Job", "Datasets", "COpenBLAS", "TagoodSupport"],
            swiftSettings: optimizedInDebug),
        .target(
            name: "Reduce", dependencies: ["Job", "Shards", "Datasets", "Tensor", "Learning", "TagoodSupport", logging]),
        /// The CUDA backend: RAM and the token selection on a GPU, through libtagood_cuda (dlopen).
        .target(name: "GPU", dependencies: ["CTagoodCUDA", "Extract", "Model", "Tensor", "TagoodSupport"]),
        .target(name: "DemoData", dependencies: ["Imaging", "TagoodSupport"]),
        .target(name: "Transport", dependencies: ["CZeroMQ", "Job", "Datasets", "TagoodSupport"]),
        /// The coordinator's core: its state machine, its server, the task-set seam, the job's keys.
        .target(name: "Coordination", dependencies: ["Transport", "Job", "TagoodSupport"]),
        /// Where the work runs: cluster.yaml and the launchers.
        .target(
            name: "Launch",
            dependencies: ["Job", "CAffinity", "TagoodSupport", .product(name: "Yams", package: "Yams"), logging]),
        /// The coordinated jobs: the two task kinds (extraction, reduce partials), the worker runtime, job.yaml and
        /// the run sequence.
        .target(
            name: "Cluster",
            dependencies: [
                "Coordination", "Launch", "Transport", "Job", "Datasets", "Extract", "Reduce", "Shards", "Tensor",
                "CAffinity", "TagoodSupport", logging
            ]
        ),
        .executableTarget(
            name: "tagood",
            dependencies: [
                "Datasets", "Imaging", "Shards", "Tensor", "Model", "Extract", "GPU", "Job", "Learning", "Reduce",
                "Transport", "Coordination", "Launch", "Cluster", "TagoodSupport", "CAffinity", "DemoData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), logging
            ]
        ),
        /// `tagood-bench` (`make bench`): each hot path measured on its own, as NIOPerformanceTester is beside
        /// swift-nio. Its own executable, so that `tagood` links no test code (`reduce` writes its job with
        /// TagoodTestSupport's `SyntheticJob`).
        .executableTarget(
            name: "TagoodBench",
            dependencies: [
                "Datasets", "Imaging", "Shards", "Tensor", "Model", "Job", "Learning", "Reduce", "Transport", "Launch",
                "Cluster", "TagoodSupport", "TagoodTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), logging
            ]
        ),

        // MARK: Fuzz targets (`make fuzz`): libFuzzer entry points with -DTAGOOD_FUZZ and --sanitize fuzzer;
        // in a normal build each replays the inputs given on its command line (`make test` replays the corpora).
        .target(name: "FuzzSupport", path: "Fuzz/Support"),
        fuzzTarget("fuzz-protocol", "Transport"),
        fuzzTarget("fuzz-journal", "Job"),
        fuzzTarget("fuzz-plan", "Datasets"),
        fuzzTarget("fuzz-config", "Cluster", "Launch"),
        fuzzTarget("fuzz-checkpoint", "Model"),
        fuzzTarget("fuzz-list", "Datasets"),
        fuzzTarget("fuzz-image", "Imaging"),
        fuzzTarget("fuzz-shard", "Shards"),
        fuzzTarget("fuzz-credential", "Coordination"),
        fuzzTarget("fuzz-tar", "Datasets"),

        // MARK: Tests, one target per module.
        .testTarget(name: "TagoodSupportTests", dependencies: ["TagoodSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TagoodSupport", "TagoodTestSupport"]),
        .testTarget(
            name: "ImagingTests", dependencies: ["Imaging"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "CHDF5", "CHDF5Shim"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels", "COpenBLAS"]),
        .testTarget(
            name: "LearningTests", dependencies: ["Learning", "Model", "Tensor", "TagoodSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ExtractTests",
            dependencies: [
                "Extract", "Model", "Tensor", "Imaging", "Shards", "Datasets", "TagoodSupport", "TagoodTestSupport"
            ]),
        .testTarget(
            name: "GPUTests", dependencies: ["GPU", "CTagoodCUDA", "Extract", "Model", "Tensor", "TagoodSupport"]),
        .testTarget(name: "DemoDataTests", dependencies: ["DemoData", "Imaging", "Extract", "TagoodSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "Job"]),
        .testTarget(
            name: "JobTests", dependencies: ["Job", "Datasets", "Shards", "TagoodSupport", "TagoodTestSupport"]),
        .testTarget(
            name: "ClusterTests",
            dependencies: [
                "Cluster", "Coordination", "Launch", "Job", "Transport", "Extract", "Datasets", "Imaging", "Shards",
                "TagoodTestSupport"
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ReduceTests",
            dependencies: [
                "Reduce", "Cluster", "Launch", "Job", "Shards", "Datasets", "Tensor", "TagoodSupport",
                "TagoodTestSupport"
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TagoodSupport"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "NativeLibrariesTests", dependencies: ["CZeroMQ", "COpenBLAS", "CAffinity", "CHDF5", "CHDF5Shim"]),
        /// Helpers for tests and for `tagood-bench`: running the CLI, synthetic finished jobs, a hand-moved clock.
        .target(
            name: "TagoodTestSupport", dependencies: ["TagoodSupport", "Job", "Datasets", "Shards"],
            path: "Tests/TagoodTestSupport"),
        .testTarget(
            name: "CLITests",
            dependencies: ["TagoodSupport", "TagoodTestSupport", "Datasets", "Shards", "Job", "Transport"])
    ]
)
