import Foundation

/// The launch files of a TRL launch folder beside `train.py`: accelerate's config, DeepSpeed's,
/// the pinned requirements and the README with the commands.
enum TRLLaunchFiles {
    static let deepSpeedFileName = "ds_config.json"

    /// accelerate's config: one process per GPU on each node; DeepSpeed when asked.
    static func accelerateConfig(_ launch: TRLRunRecord.Launch) -> String {
        let type = launch.deepSpeed != .none ? "DEEPSPEED" : launch.processes > 1 ? "MULTI_GPU" : "NO"
        var lines = [
            "# accelerate launch --config_file accelerate_config.yaml train.py  (README.md: other nodes)",
            "compute_environment: LOCAL_MACHINE",
            "distributed_type: \(type)",
            "num_machines: \(launch.nodes)",
            "num_processes: \(launch.processes)",
            "machine_rank: 0",
            "main_training_function: main",
            "mixed_precision: \(launch.bf16 ? "bf16" : "'no'")",
            "gpu_ids: all",
            "rdzv_backend: static",
            "same_network: true",
            "use_cpu: false",
        ]
        if launch.nodes > 1 { lines += ["main_process_ip: MAIN_NODE_ADDRESS  # set to the first node's address", "main_process_port: 29500"] }
        if launch.deepSpeed != .none {
            lines += ["deepspeed_config:", "  deepspeed_config_file: \(deepSpeedFileName)",
                      "  zero3_init_flag: \(launch.deepSpeed == .zero3)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// DeepSpeed's config: ZeRO stage 2 or 3; batch, accumulation, clipping and precision "auto",
    /// that is, from train.py's arguments.
    static func deepSpeedConfig(_ stage: TRLExport.DeepSpeed) -> String {
        let zero3 = stage == .zero3
        let optimization = zero3
            ? """
                "stage": 3,
                    "overlap_comm": true,
                    "contiguous_gradients": true,
                    "reduce_bucket_size": "auto",
                    "stage3_prefetch_bucket_size": "auto",
                    "stage3_param_persistence_threshold": "auto",
                    "stage3_gather_16bit_weights_on_model_save": true
                """
            : """
                "stage": 2,
                    "overlap_comm": true,
                    "contiguous_gradients": true,
                    "reduce_bucket_size": "auto",
                    "allgather_bucket_size": 200000000
                """
        return """
            {
              "train_micro_batch_size_per_gpu": "auto",
              "gradient_accumulation_steps": "auto",
              "gradient_clipping": "auto",
              "bf16": {"enabled": "auto"},
              "fp16": {"enabled": false},
              "zero_optimization": {
                \(optimization)
              }
            }

            """
    }

    static func requirements(_ versions: [String: String]) -> String {
        "# The versions train.py was checked with (bitsandbytes and deepspeed: pinned, not checked by vlm-align).\n"
            + "# On GPUs install the CUDA build of torch that fits the machine's driver.\n"
            + versions.keys.sorted().map { "\($0)==\(versions[$0]!)\n" }.joined()
    }

    static func readme(launch: TRLRunRecord.Launch, checkpoint: Int64, version: Int64, copiedModel: Bool) -> String {
        var text = """
            # DPO with TRL: checkpoint #\(checkpoint) on dataset version #\(version)

            Written by `vlm-align export trl`. `train.py` runs TRL's `DPOTrainer` with the options of the
            `vlm-align dpo` run recorded in `vlm_align_run.json` (loss, β, label smoothing, RPO, optimizer,
            schedule, batch, steps, seed, LoRA, quantization). \(copiedModel ? "`model/` is the checkpoint; " : "")`data/` is the
            dataset version as TRL vision preference JSONL with its images.

            ## Run it

            ```sh
            pip install -r requirements.txt
            accelerate launch --config_file accelerate_config.yaml train.py
            ```

            The result goes to `output/` (the PEFT adapter, or the full model), with `trainer_state.json`
            (every step's metrics). A stopped launch continues from its last saved step when started again.
            Then, on the machine with the workspace:

            ```sh
            vlm-align checkpoints import-run THIS_FOLDER --workspace WS
            ```

            It checks that the folder is this export (the record, the data and `train.py` unchanged),
            merges an adapter into the parent, and registers the result as a DPO checkpoint, child of
            #\(checkpoint), with its dataset version, settings and TRL's metrics.

            ## What differs from a vlm-align run

            - The pairs are drawn in TRL's seeded order, not vlm-align's, and TRL runs the reference model
              at every step instead of caching its log-probs: the same loss, another order of batches.
            - The held-out metrics are TRL's (`eval_rewards/accuracies`, `eval_rewards/margins`); the KL on
              sampled answers is not computed: run `vlm-align eval` on the imported checkpoint.

            """
        if launch.bf16 { text += "- bf16 mixed precision (`--bf16`): vlm-align trains in fp32.\n" }
        text += """

            ## Several GPUs, several machines

            `accelerate_config.yaml` starts \(launch.gpus) process\(launch.gpus == 1 ? "" : "es") per node on \(launch.nodes) node\(launch.nodes == 1 ? "" : "s"). \
            The batch size of the run is split over all processes (`per_device_train_batch_size` in
            train.py × \(launch.processes) processes × `gradient_accumulation_steps`), so the optimizer sees the same batch.

            """
        if launch.nodes > 1 {
            text += """
                On a cluster, copy this folder to every node (or share it), set `main_process_ip` in
                `accelerate_config.yaml` to the first node's address, and on node N (0 first) run:

                ```sh
                accelerate launch --config_file accelerate_config.yaml --machine_rank N train.py
                ```

                Under Slurm, `srun` one such command per node with `--machine_rank $SLURM_NODEID`.

                """
        }
        if launch.deepSpeed != .none {
            text += """
                DeepSpeed ZeRO stage \(launch.deepSpeed == .zero3 ? 3 : 2) (`\(deepSpeedFileName)`): \(launch.deepSpeed == .zero3 ? "parameters, gradients and optimizer state are sharded over the processes; the full weights are gathered when saving" : "gradients and optimizer state are sharded over the processes"). Its batch, accumulation, clipping and
                precision are "auto": taken from train.py.

                """
        }
        return text
    }
}
