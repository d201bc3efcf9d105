// swift-tools-version:6.0
import PackageDescription

/// tagood: TagOOD out-of-distribution detection at cluster scale.
///
/// Module layout (data-flow order, see DESIGN.md):
///   tagood (CLI) ─► Shards ─► CHDF5Shim ─► CHDF5
///                ─► Imaging ─► CImageCodecs ─► CJPEG, CPNG
///                ─► Datasets ─► TagoodSupport
/// Each C library is one system-library module; the few calls Swift cannot make (setjmp error
/// recovery, HDF5's macro constants, `_GNU_SOURCE` affinity) live in small shim targets.
/// `-O` for hot numeric modules in debug builds too.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "tagood",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tagood", targets: ["tagood"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: C libraries (Debian -dev packages; see `make deps`).
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial"),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        // MARK: C shims: only what Swift cannot do itself.
        /// libjpeg / libpng calls that need setjmp/longjmp error recovery.
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),
        /// HDF5's macro "constants" (they call H5open()) as inline functions.
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"]),
        /// sched_setaffinity and friends, which need _GNU_SOURCE.
        .target(name: "CAffinity", cSettings: [.define("_GNU_SOURCE")]),

        // MARK: Swift modules.
        .target(name: "TagoodSupport"),
        .target(name: "Datasets", dependencies: ["TagoodSupport"]),
        .target(name: "Imaging", dependencies: ["CImageCodecs", "TagoodSupport"]),
        .target(name: "Shards", dependencies: ["CHDF5", "CHDF5Shim", "TagoodSupport"]),
        // The numeric kernels are optimised even in debug builds: unoptimised Swift loops are ~50× slower,
        // which would make the tests and the demo crawl.
        .target(name: "Tensor", dependencies: ["COpenBLAS", "TagoodSupport"], swiftSettings: optimizedInDebug),
        .target(name: "Model", dependencies: ["Tensor", "TagoodSupport"], swiftSettings: optimizedInDebug),
        .target(name: "Extract", dependencies: ["Imaging", "Shards", "Model", "TagoodSupport"]),
        .target(name: "Reduce", dependencies: ["Shards", "Datasets", "Cluster", "Transport", "COpenBLAS", "TagoodSupport"]),
        .target(name: "DemoData", dependencies: ["Imaging", "TagoodSupport"]),
        .target(name: "Transport", dependencies: ["CZeroMQ", "TagoodSupport"]),
        .target(
            name: "Cluster",
            dependencies: ["Transport", "Datasets", "Extract", "Shards", "CAffinity", "COpenBLAS", "TagoodSupport",
                           .product(name: "Yams", package: "Yams")]
        ),
        .executableTarget(
            name: "tagood",
            dependencies: [
                "Datasets", "Imaging", "Shards", "Tensor", "Model", "Extract", "Reduce", "Transport", "Cluster", "TagoodSupport",
                "CAffinity", "DemoData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests, one target per module.
        .testTarget(name: "TagoodSupportTests", dependencies: ["TagoodSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(
            name: "ImagingTests", dependencies: ["Imaging"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ShardsTests", dependencies: ["Shards", "CHDF5", "CHDF5Shim"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ExtractTests", dependencies: ["Extract"]),
        .testTarget(name: "DemoDataTests", dependencies: ["DemoData", "Imaging", "Extract", "TagoodSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport"]),
        .testTarget(name: "ClusterTests", dependencies: ["Cluster", "Imaging", "Shards", "TagoodTestSupport"]),
        .testTarget(
            name: "ReduceTests", dependencies: ["Reduce", "Shards", "Datasets", "Cluster", "Transport", "TagoodSupport", "TagoodTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TagoodSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NativeLibrariesTests", dependencies: ["CZeroMQ", "COpenBLAS", "CAffinity", "CHDF5", "CHDF5Shim"]),
        .target(name: "TagoodTestSupport", dependencies: ["TagoodSupport"], path: "Tests/TagoodTestSupport"),
        .testTarget(name: "CLITests", dependencies: ["TagoodSupport", "TagoodTestSupport", "Datasets", "Shards", "Transport"]),
    ]
)
