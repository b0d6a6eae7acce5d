import ArgumentParser
import Tensor

@main
struct VLMAlign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-align",
        abstract: "Align a vision-language model with expert preferences by DPO, in rounds.",
        subcommands: [Bench.self, Shapes.self]
    )

    static func main() {
        BLASKernels.restartWithFasterKernelsIfNeeded()
        main(nil)
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine against the machine.",
        subcommands: [BenchKernels.self, BenchQLoRA.self]
    )
}
