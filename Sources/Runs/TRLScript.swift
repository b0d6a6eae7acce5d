import Foundation
import Training
import VLM

/// The `train.py` of a TRL launch folder: TRL's `DPOTrainer` with a vlm-align run's options in
/// TRL's names, written as literals one per line (`name=value,`) so that people and tests can
/// read them.
struct TRLScript {
    /// A Python literal.
    enum Value: Equatable {
        case string(String), int(Int), float(Float), bool(Bool), none, strings([String]), floats([Float])

        var literal: String {
            switch self {
            case .string(let s): return Self.quoted(s)
            case .int(let i): return "\(i)"
            case .float(let f): return "\(f)"
            case .bool(let b): return b ? "True" : "False"
            case .none: return "None"
            case .strings(let list): return "[" + list.map(Self.quoted).joined(separator: ", ") + "]"
            case .floats(let list): return "[" + list.map { "\($0)" }.joined(separator: ", ") + "]"
            }
        }

        /// A double-quoted Python string (the characters JSON escapes are escaped the same way).
        static func quoted(_ s: String) -> String {
            var out = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default: out.unicodeScalars.append(c)
                }
            }
            return out + "\""
        }
    }

    let settings: RunSettings
    let launch: TRLRunRecord.Launch
    let baseModel: String?
    let shape: ModelShape
    let hasHeldOut: Bool

    /// DPOConfig's arguments, in order.
    var dpoArguments: [(String, Value)] {
        let t = settings.training, dpo = settings.dpo ?? DPOSettings()
        // TRL 1.16's sigmoid loss ignores label smoothing; aot with one pair per device is cDPO
        let loss = [dpo.loss == .sigmoid && dpo.labelSmoothing > 0 ? "aot" : dpo.loss.rawValue] + (dpo.rpoAlpha == nil ? [] : ["sft"])
        var arguments: [(String, Value)] = [
            ("loss_type", .strings(loss)),
            ("beta", .float(dpo.beta)),
            ("label_smoothing", .float(dpo.labelSmoothing)),
        ]
        if let alpha = dpo.rpoAlpha { arguments.append(("loss_weights", .floats([1, alpha]))) }
        let scheduler = t.scheduler == .constant && t.warmupSteps > 0 ? "constant_with_warmup" : t.scheduler.rawValue
        arguments += [
            ("learning_rate", .float(t.learningRate)),
            ("lr_scheduler_type", .string(scheduler)),
            ("warmup_steps", .int(t.warmupSteps)),
            ("weight_decay", .float(t.weightDecay)),
            ("max_grad_norm", .float(t.maxGradNorm ?? 0)),
            ("optim", .string("adamw_torch")),
            ("adam_beta1", .float(AdamW().beta1)),
            ("adam_beta2", .float(AdamW().beta2)),
            ("adam_epsilon", .float(AdamW().epsilon)),
            ("per_device_train_batch_size", .int(t.batchSize / launch.processes)),
            ("per_device_eval_batch_size", .int(t.batchSize / launch.processes)),
            ("gradient_accumulation_steps", .int(t.gradientAccumulationSteps)),
            ("max_steps", .int(t.maxSteps ?? -1)),
            ("num_train_epochs", .int(t.epochs)),
            ("seed", .int(Int(t.seed))),
            ("train_sampling_strategy", .string(t.shuffle ? "random" : "sequential")),
            ("max_length", .none),
            ("bf16", .bool(launch.bf16)),
            ("fp16", .bool(false)),
            ("gradient_checkpointing", .bool(false)),
            ("disable_dropout", .bool((settings.lora?.dropout ?? 0) == 0)),
            ("logging_steps", .int(1)),
            ("save_strategy", .string("steps")),
            ("save_steps", .int(t.saveSteps)),
            ("eval_strategy", .string(hasHeldOut && t.evalSteps > 0 ? "steps" : "no")),
            ("eval_steps", t.evalSteps > 0 ? .int(t.evalSteps) : .none),
            ("report_to", .string("none")),
            ("dataloader_drop_last", .bool(false)),
        ]
        if launch.deepSpeed != .none { arguments.append(("deepspeed", .string(TRLLaunchFiles.deepSpeedFileName))) }
        return arguments
    }

    /// LoraConfig's arguments (nil: full fine-tuning).
    var loraArguments: [(String, Value)]? {
        settings.lora.map { lora in
            let targets: Value = switch shape.loraTargets(lora.modules, includeVision: lora.includeVision) {
            case .pattern(let pattern): .string(pattern)
            case .suffixes(let names): .strings(names)
            }
            return [("r", .int(lora.rank)), ("lora_alpha", .float(lora.alpha)), ("lora_dropout", .float(lora.dropout)),
                    ("target_modules", targets)]
        }
    }

    var text: String {
        func block(_ name: String, _ arguments: [(String, Value)]?) -> String {
            guard let arguments else { return "\(name) = None\n" }
            return "\(name) = dict(\n" + arguments.map { "    \($0.0)=\($0.1.literal),\n" }.joined() + ")\n"
        }
        let model = baseModel.map { Value.quoted($0) } ?? "os.path.join(HERE, \"model\")"
        let skipped: [String] = settings.quantize == .nf4WithVision ? ["lm_head"] : ["lm_head", "vision_model", "connector"]
        return """
            \"\"\"DPO with TRL, exported by `vlm-align export trl`: the run `vlm-align dpo` would make on \
            \(settings.data) from its parent checkpoint (vlm_align_run.json), with the same options in TRL's names.
            Launch it as README.md says; then `vlm-align checkpoints import-run THIS_FOLDER --workspace WS`
            brings the result back into the lineage. Edit nothing here that vlm_align_run.json records:
            the import checks train.py's hash.\"\"\"
            import hashlib
            import json
            import os

            import torch
            from datasets import Image, List, load_dataset
            from peft import LoraConfig
            from transformers import AutoModelForImageTextToText, AutoProcessor, BitsAndBytesConfig
            from transformers.trainer_utils import get_last_checkpoint
            from trl import DPOConfig, DPOTrainer

            HERE = os.path.dirname(os.path.abspath(__file__))
            BASE_MODEL = \(model)
            OUTPUT = os.path.join(HERE, \(Value.quoted(TRLRunRecord.outputFolder)))

            # vlm-align's loss, optimizer, schedule and loop. max_length None: vlm-align truncates nothing.
            # gradient_checkpointing (off, as vlm-align) computes the same with less memory, more time.
            \(block("DPO_ARGS", dpoArguments))
            # LoRA in PEFT's names (None: full fine-tuning).
            \(block("LORA", loraArguments))
            # The vision tower stays fixed (full fine-tuning of the rest).
            FREEZE_VISION = \(Value.bool(settings.freezeVision).literal)
            # QLoRA: the frozen base's linear weights in 4-bit NF4, as vlm-align's --quantize \(settings.quantize?.rawValue ?? "(not asked)").
            QUANTIZE = \(settings.quantize.map { Value.quoted($0.rawValue) } ?? "None")
            NOT_QUANTIZED = \(Value.strings(skipped).literal)
            # The 4-bit base's compute dtype (the weights themselves load in fp32).
            DTYPE = \(launch.bf16 ? "torch.bfloat16" : "torch.float32")


            def preference_set(name):
                \"\"\"A JSONL of the dataset version as TRL reads it (None when absent): image paths made
                absolute, images decoded when used.\"\"\"
                path = os.path.join(HERE, "data", name)
                if not os.path.exists(path):
                    return None
                rows = load_dataset("json", data_files=path, split="train")
                folder = os.path.dirname(path)
                rows = rows.map(lambda row: {"images": [os.path.join(folder, p) for p in row["images"]]})
                return rows.cast_column("images", List(Image()))


            def main():
                os.chdir(HERE)  # the configs' relative paths (ds_config.json) are this folder's
                quantization = None
                if QUANTIZE:
                    quantization = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=DTYPE,
                                                      llm_int8_skip_modules=NOT_QUANTIZED)
                # fp32 master weights; --bf16 autocasts the compute (DPOConfig's bf16), it does not store bf16 weights
                model = AutoModelForImageTextToText.from_pretrained(BASE_MODEL, dtype=torch.float32, quantization_config=quantization)
                processor = AutoProcessor.from_pretrained(BASE_MODEL)
                if FREEZE_VISION:
                    for name, parameter in model.named_parameters():
                        if ".vision_model." in name:
                            parameter.requires_grad_(False)
                held_out = preference_set("held-out.jsonl")
                trainer = DPOTrainer(model=model, ref_model=None, args=DPOConfig(output_dir=OUTPUT, **DPO_ARGS),
                                     train_dataset=preference_set("train.jsonl"), eval_dataset=held_out, processing_class=processor,
                                     peft_config=LoraConfig(**LORA) if LORA else None)
                # a launch that was stopped continues from its last saved step
                last = get_last_checkpoint(OUTPUT) if os.path.isdir(OUTPUT) else None
                trainer.train(resume_from_checkpoint=last)
                if held_out is not None:
                    trainer.evaluate()
                trainer.save_model(OUTPUT)
                trainer.save_state()
                if trainer.accelerator.is_main_process:
                    with open(os.path.join(HERE, \(Value.quoted(TRLRunRecord.fileName))), "rb") as f:
                        run = hashlib.sha256(f.read()).hexdigest()
                    import peft, transformers, trl
                    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                                "peft": peft.__version__}
                    with open(os.path.join(OUTPUT, \(Value.quoted(TRLRunRecord.finishedFileName))), "w") as f:
                        json.dump({"run": run, "versions": versions}, f, indent=1)


            if __name__ == "__main__":
                main()

            """
    }
}
