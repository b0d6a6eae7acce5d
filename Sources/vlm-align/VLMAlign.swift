import ArgumentParser
import Tensor

@main
struct VLMAlign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-align",
        abstract: "Align a vision-language model with expert preferences by DPO, in rounds.",
        subcommands: [
            Init.self, Import.self, Checkpoints.self, Dataset.self, Export.self, Reviewers.self,
            Review.self, RoundCommand.self, MineCommand.self, FailuresCommand.self, AlignCommand.self,
            Tokenize.self, Generate.self, Logprobs.self, PlanCommand.self, SFT.self, DPO.self, DPOEval.self, Eval.self, ReportCommand.self, Embed.self, Convert.self, Shapes.self,
            Bench.self,
        ]
    )

    static func main() {
        BLASKernels.restartWithFasterKernelsIfNeeded()
        main(nil)
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine against the machine.",
        subcommands: [BenchKernels.self, BenchModel.self, BenchQLoRA.self, BenchDPO.self, BenchSFT.self, BenchTower.self]
    )
}
