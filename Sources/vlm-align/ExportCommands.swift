import ArgumentParser
import Foundation
import Runs
import VLM

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand a training run over to another trainer.", subcommands: [ExportTRL.self])
}

extension TRLExport.DeepSpeed: ExpressibleByArgument {}

struct ExportTRL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trl",
        abstract: "A launch folder that trains a dataset version from a checkpoint with TRL's DPOTrainer under accelerate.",
        discussion: """
            The folder holds the dataset version (TRL vision preference JSONL and images), the checkpoint \
            (or --base-model's id or path), train.py with the options `vlm-align dpo` would use in TRL's \
            names, accelerate_config.yaml (and ds_config.json with --deepspeed), requirements.txt, a \
            README with the commands, and vlm_align_run.json, what the run is in the lineage. Bring the \
            result back with `vlm-align checkpoints import-run DIR`.
            """)

    @OptionGroup var location: WorkspaceOption
    @Option(help: "The checkpoint to train from.") var checkpoint: Int64
    @Option(help: "The frozen dataset version (ID or hash prefix) to train on.") var dataset: String
    @Option(help: "The folder to write (absent or empty).") var out: String
    @OptionGroup var dpo: DPOOptions
    @OptionGroup var loop: LoopOptions
    @OptionGroup var lora: LoRAOptions
    @Option(help: "QLoRA with --lora-rank: nf4 or nf4-vision (bitsandbytes' 4-bit NF4).") var quantize: Quantization?
    @Option(help: "none, zero2 or zero3.") var deepspeed: TRLExport.DeepSpeed = .none
    @Option(help: "GPUs per node.") var gpus = 1
    @Option(help: "Machines.") var nodes = 1
    @Flag(help: "bf16 mixed precision (vlm-align trains in fp32).") var bf16 = false
    @Option(name: .customLong("base-model"), help: "Load this Hugging Face id or path instead of copying the checkpoint into the folder.")
    var baseModel: String?

    func run() throws {
        var export = TRLExport(workspace: try location.open(), checkpoint: checkpoint, dataset: dataset, out: URL(filePath: out))
        export.training = try loop.options()
        export.dpo = try dpo.settings()
        export.lora = lora.settings
        export.freezeVision = lora.freezeVision
        export.quantize = quantize
        export.deepSpeed = deepspeed
        export.gpus = gpus
        export.nodes = nodes
        export.bf16 = bf16
        export.baseModel = baseModel
        let record = try export.write()
        print("wrote \(out): checkpoint #\(record.parentCheckpoint) on dataset version #\(record.datasetVersion), "
              + "\(record.launch.processes) process\(record.launch.processes == 1 ? "" : "es"); run it as \(out)/README.md says")
    }
}
