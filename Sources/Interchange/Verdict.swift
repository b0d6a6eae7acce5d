/// What a reviewer (a person, the ShapesWorld oracle or a simulated expert) says of a pair of
/// answers A and B. The raw values are what the store, the review API and every file write.
public enum Verdict: String, Codable, Sendable, CaseIterable {
    case a
    case b
    case tie
    case bothBad = "both-bad"
    case skip

    /// The verdicts that judge the answers (all but `skip`).
    public static let judgements: [Verdict] = [.a, .b, .tie, .bothBad]
}

/// Why an answer is worse: the tags a reviewer may add to a verdict, the same words for the
/// review app, the oracle expert and the simulated reviewers.
public enum ReasonTag: String, Codable, CaseIterable, Sendable, Comparable {
    case hallucinatedObject = "hallucinated_object"
    case wrongCount = "wrong_count"
    case spatialError = "spatial_error"
    case attributeError = "attribute_error"
    case negationError = "negation_error"
    /// "There is no …" about an object the image does have.
    case needlessRefusal = "needless_refusal"
    case formatting
    case other

    public static func < (a: ReasonTag, b: ReasonTag) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// How the review page names it.
    public var label: String {
        switch self {
        case .hallucinatedObject: "Hallucinated object"
        case .wrongCount: "Wrong count"
        case .spatialError: "Spatial error"
        case .attributeError: "Attribute error"
        case .negationError: "Negation error"
        case .needlessRefusal: "Needless refusal"
        case .formatting: "Formatting"
        case .other: "Other"
        }
    }

    /// The key that toggles it on the review page.
    public var key: Character {
        switch self {
        case .hallucinatedObject: "h"
        case .wrongCount: "c"
        case .spatialError: "p"
        case .attributeError: "a"
        case .negationError: "n"
        case .needlessRefusal: "r"
        case .formatting: "f"
        case .other: "o"
        }
    }
}

/// What made a checkpoint: imported as it is, supervised fine-tuning, or DPO.
public enum CheckpointKind: String, Codable, Sendable, CaseIterable {
    case base
    case sft
    case dpo
}
