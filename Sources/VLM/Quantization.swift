/// Which linear weights of an Idefics3 model are stored in NF4 (QLoRA's frozen base). Norms,
/// biases, embeddings, the patch embedding and the LM head stay fp32 either way, as with
/// transformers' `BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")`.
public enum Quantization: String, Sendable, CaseIterable {
    /// The decoder's attention and MLP projections: nearly all of a SmolVLM's linear weights.
    case nf4
    /// Also the vision tower's projections and MLPs and the connector.
    case nf4WithVision = "nf4-vision"

    /// Whether the parameter `name` (a checkpoint name) is kept in NF4.
    public func quantizes(_ name: String) -> Bool {
        if name.hasPrefix("model.text_model.layers."), name.hasSuffix("_proj.weight") { return true }
        guard self == .nf4WithVision else { return false }
        if name == "\(Idefics3Model.connectorPath).weight" { return true }
        return name.hasPrefix("\(VisionTower.prefix).encoder.layers.")
            && (name.hasSuffix("_proj.weight") || name.hasSuffix(".fc1.weight") || name.hasSuffix(".fc2.weight"))
    }

    /// The parameters of a model of `config`, with the quantized ones declared NF4.
    public func parameterSet(_ config: ModelConfig) -> ParameterSet {
        let specs = Idefics3Model.specs(config)
        return ParameterSet(specs, nf4: Set(specs.map(\.name).filter(quantizes)))
    }
}
