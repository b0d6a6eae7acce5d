// swift-tools-version:6.0
import PackageDescription

// Numerical code is compiled optimized even under `swift test` (debug): unoptimized Swift is
// ~100x slower on the kernels' loops, which would make the gradient tests and any use crawl.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "vlm-align",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vlm-align", targets: ["vlm-align"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "VLM", targets: ["VLM"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "Preferences", targets: ["Preferences"]),
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "Interchange", targets: ["Interchange"]),
        .library(name: "ShapesWorld", targets: ["ShapesWorld"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "CImage",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg")]
        ),
        // no multiply-add fused (every instruction-set level gives the same bits), and sqrtf without
        // errno, so that loops calling it vectorise
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off", "-fno-math-errno"])]),
        .target(name: "JSON", swiftSettings: optimized),
        .target(name: "Interchange", dependencies: ["JSON"], swiftSettings: optimized),
        .target(name: "Jinja", dependencies: ["JSON", "Interchange"], swiftSettings: optimized),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels", "Interchange"], swiftSettings: optimized),
        .target(name: "Imaging", dependencies: ["CImage", "Interchange"], swiftSettings: optimized),
        .target(name: "VLM", dependencies: ["Tensor", "Imaging", "Tokenization", "JSON", "Interchange"], swiftSettings: optimized),
        .target(name: "Training", dependencies: ["VLM", "CKernels", "Tokenization", "Imaging", "JSON", "Interchange"], swiftSettings: optimized),
        .target(name: "Evaluation", dependencies: ["Training", "VLM", "Tokenization", "Tensor", "JSON", "Interchange"], swiftSettings: optimized),
        .target(
            name: "Runs", dependencies: ["Training", "Evaluation", "Preferences", "ShapesWorld", "VLM", "Imaging", "JSON", "Interchange"],
            swiftSettings: optimized),
        .target(
            name: "Rounds", dependencies: ["Runs", "Training", "Evaluation", "Preferences", "ShapesWorld", "VLM", "Imaging", "JSON", "Interchange"],
            swiftSettings: optimized),
        .target(name: "Report", dependencies: ["Preferences", "Interchange", "JSON"]),
        .target(name: "Benchmarks", dependencies: ["Training", "VLM", "Tensor", "CBLAS", "JSON", "Interchange"], swiftSettings: optimized),
        .target(name: "Tokenization", dependencies: ["JSON", "Jinja", "Interchange"], swiftSettings: optimized),
        .target(name: "ShapesWorld", dependencies: ["Imaging", "Interchange", "JSON"], swiftSettings: optimized),
        .target(name: "Preferences", dependencies: ["Interchange", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: optimized),
        .target(
            name: "ReviewServer",
            dependencies: [
                "Preferences",
                "Interchange",
                "Imaging",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // Pages build HTML from string literals: GRDB's SQL literals must not be in scope there.
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "vlm-align",
            dependencies: [
                "Tensor",
                "JSON",
                "Interchange",
                "ShapesWorld",
                "Tokenization",
                "VLM",
                "Training",
                "Evaluation",
                "Runs",
                "Rounds",
                "Report",
                "Benchmarks",
                "Preferences",
                "ReviewServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimized
        ),
        .testTarget(
            name: "TensorTests", dependencies: ["Tensor", "CKernels", "Interchange"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        .testTarget(
            name: "EvaluationTests", dependencies: ["Evaluation", "VLM", "Tokenization", "JSON", "Interchange", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        .testTarget(name: "InterchangeTests", dependencies: ["Interchange", "JSON"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Interchange"], resources: [.copy("Fixtures")]),
        // What several test targets share: the one way to run the built command line.
        .target(name: "TestSupport", path: "Tests/Support"),
        .testTarget(
            name: "TrainingTests", dependencies: ["Training", "Evaluation", "Tokenization", "JSON", "Interchange", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        .testTarget(
            name: "VLMTests", dependencies: ["VLM", "Tokenization", "JSON", "Interchange"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        // Idefics3PromptTests checks VLM's prompt expansion with this target's tokenizer fixtures,
        // TokenizeCommandTests the command line's `tokenize` with them.
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "JSON", "Jinja", "VLM", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ShapesWorldTests", dependencies: ["ShapesWorld", "Interchange", "VLM", "Preferences", "Report", "Runs", "vlm-align", "TestSupport"]),
        .testTarget(
            name: "RoundsTests",
            dependencies: ["Rounds", "Preferences", "Interchange", "JSON", "VLM", "Tensor", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "PreferencesTests", dependencies: ["Preferences", "Interchange", "TestSupport"]),
        .testTarget(
            name: "ReviewServerTests",
            dependencies: ["ReviewServer", "Preferences", "Interchange", "Imaging", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
    ]
)
