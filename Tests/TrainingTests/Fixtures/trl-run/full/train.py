"""DPO with TRL, exported by `vlm-align export trl`: the run `vlm-align dpo` would make on dataset version #1 from its parent checkpoint (vlm_align_run.json), with the same options in TRL's names.
Launch it as README.md says; then `vlm-align checkpoints import-run THIS_FOLDER --workspace WS`
brings the result back into the lineage. Edit nothing here that vlm_align_run.json records:
the import checks train.py's hash."""
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
BASE_MODEL = os.path.join(HERE, "model")
OUTPUT = os.path.join(HERE, "output")

# vlm-align's loss, optimizer, schedule and loop. max_length None: vlm-align truncates nothing.
# gradient_checkpointing (off, as vlm-align) computes the same with less memory, more time.
DPO_ARGS = dict(
    loss_type=["sigmoid"],
    beta=0.1,
    label_smoothing=0.0,
    learning_rate=0.001,
    lr_scheduler_type="constant",
    warmup_steps=0,
    weight_decay=0.0,
    max_grad_norm=1.0,
    optim="adamw_torch",
    adam_beta1=0.9,
    adam_beta2=0.999,
    adam_epsilon=1e-08,
    per_device_train_batch_size=3,
    per_device_eval_batch_size=3,
    gradient_accumulation_steps=1,
    max_steps=3,
    num_train_epochs=1,
    seed=42,
    train_sampling_strategy="sequential",
    max_length=None,
    bf16=False,
    fp16=False,
    gradient_checkpointing=False,
    disable_dropout=True,
    logging_steps=1,
    save_strategy="steps",
    save_steps=50,
    eval_strategy="no",
    eval_steps=None,
    report_to="none",
    dataloader_drop_last=False,
)

# LoRA in PEFT's names (None: full fine-tuning).
LORA = None

# The vision tower stays fixed (full fine-tuning of the rest).
FREEZE_VISION = False
# QLoRA: the frozen base's linear weights in 4-bit NF4, as vlm-align's --quantize (not asked).
QUANTIZE = None
NOT_QUANTIZED = ["lm_head", "vision_model", "connector"]
DTYPE = torch.float32


def preference_set(name):
    """A JSONL of the dataset version as TRL reads it (None when absent): image paths made
    absolute, images decoded when used."""
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
    model = AutoModelForImageTextToText.from_pretrained(BASE_MODEL, dtype=DTYPE, quantization_config=quantization)
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
        with open(os.path.join(HERE, "vlm_align_run.json"), "rb") as f:
            run = hashlib.sha256(f.read()).hexdigest()
        import peft, transformers, trl
        versions = {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__,
                    "peft": peft.__version__}
        with open(os.path.join(OUTPUT, "vlm_align_finished.json"), "w") as f:
            json.dump({"run": run, "versions": versions}, f, indent=1)


if __name__ == "__main__":
    main()
