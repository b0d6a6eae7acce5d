/// Which linear weights of a model's frozen base are stored in NF4 (QLoRA), as with transformers'
/// `BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4")`; each family says which
/// of its checkpoint keys that covers.
public enum Quantization: String, Sendable, CaseIterable, Codable {
    /// The decoder's attention and MLP projections: nearly all of a VLM's linear weights.
    case nf4
    /// Also the vision tower's projections and MLPs and the connector.
    case nf4WithVision = "nf4-vision"
}
