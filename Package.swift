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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: optimized),
        .target(name: "Imaging", dependencies: ["CImage"], swiftSettings: optimized),
        .target(name: "VLM", dependencies: ["Tensor", "Imaging", "Tokenization"], swiftSettings: optimized),
        .target(name: "Training", dependencies: ["VLM"], swiftSettings: optimized),
        .target(name: "Tokenization", swiftSettings: optimized),
        .target(name: "ShapesWorld", dependencies: ["Imaging"], swiftSettings: optimized),
        .executableTarget(
            name: "vlm-align",
            dependencies: [
                "Tensor",
                "VLM",
                "Training",
                "ShapesWorld",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimized
        ),
        .testTarget(
            name: "TensorTests", dependencies: ["Tensor"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"]),
        .testTarget(
            name: "TrainingTests", dependencies: ["Training"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        .testTarget(
            name: "VLMTests", dependencies: ["VLM"],
            resources: [.copy("Fixtures")], swiftSettings: optimized
        ),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization"], exclude: ["Fixtures"]),
        .testTarget(name: "ShapesWorldTests", dependencies: ["ShapesWorld", "vlm-align"]),
    ]
)
