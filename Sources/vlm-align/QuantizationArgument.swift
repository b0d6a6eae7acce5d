import ArgumentParser
import VLM

/// `--quantize nf4 | nf4-vision` on any command that loads a model.
extension Quantization: ExpressibleByArgument {}
