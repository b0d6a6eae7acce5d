// swift-tools-version:6.0
import Foundation
import PackageDescription

// The main package is the folder above; SwiftPM names a path dependency by its folder's name.
let main = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Fuzzing targets for vlm-align's parsers (libFuzzer): `make fuzz` builds them with
// `--sanitize fuzzer` and runs each on the committed fixtures for a set time.
let package = Package(
    name: "vlm-align-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "FuzzJSON", dependencies: [.product(name: "JSON", package: main)]),
        .executableTarget(name: "FuzzTokenizer", dependencies: [.product(name: "JSON", package: main), .product(name: "Tokenization", package: main)]),
        .executableTarget(name: "FuzzJinja", dependencies: [.product(name: "JSON", package: main), .product(name: "Tokenization", package: main)]),
        .executableTarget(name: "FuzzImage", dependencies: [.product(name: "Imaging", package: main)]),
        .executableTarget(name: "FuzzSafetensors", dependencies: [.product(name: "VLM", package: main)]),
        .executableTarget(name: "FuzzConfig", dependencies: [.product(name: "JSON", package: main), .product(name: "VLM", package: main)]),
        .executableTarget(name: "FuzzJSONL", dependencies: [.product(name: "Interchange", package: main), .product(name: "JSON", package: main)]),
        .executableTarget(name: "FuzzAnswers", dependencies: [.product(name: "ShapesWorld", package: main)]),
    ]
)
