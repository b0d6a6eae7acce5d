/// Why an answer is worse: the tags a reviewer may add to a verdict. The same words as
/// ShapesWorld's oracle expert uses, so simulated and human reviews read alike.
enum ReasonTag: String, Codable, CaseIterable, Sendable {
    case hallucinatedObject = "hallucinated_object"
    case wrongCount = "wrong_count"
    case spatialError = "spatial_error"
    case attributeError = "attribute_error"
    case negationError = "negation_error"
    case formatting
    case other

    var label: String {
        switch self {
        case .hallucinatedObject: "Hallucinated object"
        case .wrongCount: "Wrong count"
        case .spatialError: "Spatial error"
        case .attributeError: "Attribute error"
        case .negationError: "Negation error"
        case .formatting: "Formatting"
        case .other: "Other"
        }
    }

    /// The key that toggles it on the review page.
    var key: Character {
        switch self {
        case .hallucinatedObject: "h"
        case .wrongCount: "c"
        case .spatialError: "p"
        case .attributeError: "a"
        case .negationError: "n"
        case .formatting: "f"
        case .other: "o"
        }
    }
}
