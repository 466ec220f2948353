// swift-tools-version:6.0
import PackageDescription

// Layers, each depending only on those above it (see DESIGN.md):
// FrameStorage (bytes) -> FrameCompute (expressions, kernels, executor)
// -> SwiftFrame (public Swift API) -> SwiftFrameC (@_cdecl C ABI, libswiftframe.so).
let package = Package(
  name: "swiftframe",
  products: [
    .library(name: "SwiftFrame", targets: ["SwiftFrame"]),
    .library(name: "swiftframe", type: .dynamic, targets: ["SwiftFrameC"]),
    .executable(name: "swiftframe-stats", targets: ["SwiftStatsExample"]),
  ],
  targets: [
    // Debian's liblz4 and libzstd, for compressed Arrow IPC bodies.
    .systemLibrary(name: "CCodecs"),
    // Debian's libpcre2-8 (libpcre2-dev), for the regular expressions of string functions.
    .systemLibrary(name: "CPCRE2"),
    // libhdf5 (Debian's libhdf5-dev) for vaex's HDF5 files; flags from pkg-config `hdf5`.
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    .target(name: "FrameStorage", dependencies: ["CCodecs", "CHDF5"]),
    .target(name: "FrameCompute", dependencies: ["FrameStorage", "CPCRE2"], exclude: ["Aggregators/README.md"]),
    .target(name: "SwiftFrame", dependencies: ["FrameCompute", "FrameStorage", "CSwiftFrame"]),
    // The public header as a Swift module: one copy of the C types (sf_scalar, sf_progress).
    .systemLibrary(name: "CSwiftFrame"),
    .target(name: "SwiftFrameC", dependencies: ["SwiftFrame", "CSwiftFrame"]),
    .executableTarget(name: "SwiftStatsExample", dependencies: ["SwiftFrame"], path: "examples/swift"),
    .testTarget(name: "FrameStorageTests", dependencies: ["FrameStorage"]),
    .testTarget(name: "FrameComputeTests", dependencies: ["FrameCompute", "FrameStorage"]),
    .testTarget(name: "SwiftFrameTests", dependencies: ["SwiftFrame"]),
  ],
  swiftLanguageModes: [.v5]
)

// libFuzzer targets (Tests/Fuzz): declared only when SWIFTFRAME_FUZZ is set, so the normal
// build never compiles them; `.ci/fuzz` builds them with --sanitize=fuzzer --sanitize=address.
if Context.environment["SWIFTFRAME_FUZZ"] != nil {
  package.targets += [
    .target(name: "FuzzSupport", dependencies: ["SwiftFrameC", "CSwiftFrame"], path: "Tests/Fuzz/Support"),
    .executableTarget(name: "fuzz-arrow", dependencies: ["FuzzSupport"], path: "Tests/Fuzz/Arrow"),
    .executableTarget(name: "fuzz-hdf5", dependencies: ["FuzzSupport"], path: "Tests/Fuzz/HDF5"),
    .executableTarget(name: "fuzz-csv", dependencies: ["FuzzSupport", "CSwiftFrame"], path: "Tests/Fuzz/CSV"),
    .executableTarget(name: "fuzz-expression", dependencies: ["FuzzSupport", "CSwiftFrame"], path: "Tests/Fuzz/Expression"),
  ]
}
