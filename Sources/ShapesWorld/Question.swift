/// What a prompt asks, in structured form: the oracle judges answers against this and the
/// scene, never against the prompt's wording.

public enum Category: String, Codable, CaseIterable, Sendable {
    case existence, counting, spatial, attributes, negation, grounding, description, unanswerable
}

public enum Relation: String, Codable, CaseIterable, Sendable {
    case leftOf = "left_of", rightOf = "right_of", above, below

    public var words: String {
        switch self {
        case .leftOf: "left of"
        case .rightOf: "right of"
        case .above: "above"
        case .below: "below"
        }
    }

    /// Left of or right of: what a left-to-right flip changes.
    public var isHorizontal: Bool { self == .leftOf || self == .rightOf }

    /// Whether `a` stands in this relation to `b`: their boxes are separated along the axis.
    public func holds(_ a: SceneObject, _ b: SceneObject) -> Bool {
        let (p, q) = (a.box, b.box)
        switch self {
        case .leftOf: return p.x2 <= q.x1
        case .rightOf: return p.x1 >= q.x2
        case .above: return p.y2 <= q.y1
        case .below: return p.y1 >= q.y2
        }
    }
}

public enum Attribute: String, Codable, CaseIterable, Sendable {
    case colour, size
}

/// What an unanswerable question asks of its (missing) object: worded as the attributes and
/// grounding questions ask it.
public enum ObjectQuery: String, Codable, CaseIterable, Sendable {
    case colour, size, box

    /// The attribute the subject must not state (a colour question does not name the colour).
    var omitted: Attribute? {
        switch self {
        case .colour: .colour
        case .size: .size
        case .box: nil
        }
    }
}

public enum Question: Codable, Equatable, Sendable {
    /// "Is there a red circle in the image?" Subjects may be absent: hallucination probes.
    case existence(subject: ObjectDescription)
    /// "How many red circles are there?"
    case counting(subject: ObjectDescription)
    /// "Is the red circle left of the blue square?" Both name exactly one object.
    case spatial(subject: ObjectDescription, relation: Relation, object: ObjectDescription)
    /// "What colour is the small circle?" The subject names exactly one object.
    case attributes(asked: Attribute, subject: ObjectDescription)
    /// "Which objects are not red?" The excluded description states one attribute.
    case negation(excluded: ObjectDescription)
    /// "Give the bounding box of the red circle." The subject names exactly one object.
    case grounding(subject: ObjectDescription)
    /// "List every object in the image."
    case description
    /// "What colour is the star?" with no star in the scene: the subject names no object, and
    /// the right answer is a refusal ("there is no star").
    case unanswerable(asked: ObjectQuery, subject: ObjectDescription)

    public var category: Category {
        switch self {
        case .existence: .existence
        case .counting: .counting
        case .spatial: .spatial
        case .attributes: .attributes
        case .negation: .negation
        case .grounding: .grounding
        case .description: .description
        case .unanswerable: .unanswerable
        }
    }

    /// The prompt's wording.
    public var text: String {
        switch self {
        case .existence(let subject):
            "Is there \(subject.withArticle) in the image?"
        case .counting(let subject):
            "How many \(subject.pluralPhrase) are there?"
        case .spatial(let subject, let relation, let object):
            "Is the \(subject.phrase) \(relation.words) the \(object.phrase)?"
        case .attributes(let asked, let subject):
            "What \(asked.rawValue) is the \(subject.phrase)?"
        case .negation(let excluded):
            "Which objects are not \(excluded.shape?.plural ?? excluded.colour?.rawValue ?? excluded.size?.rawValue ?? "")?"
        case .grounding(let subject):
            "Give the bounding box of the \(subject.phrase)."
        case .description:
            "List every object in the image."
        case .unanswerable(.box, let subject):
            Question.grounding(subject: subject).text
        case .unanswerable(.colour, let subject):
            Question.attributes(asked: .colour, subject: subject).text
        case .unanswerable(.size, let subject):
            Question.attributes(asked: .size, subject: subject).text
        }
    }

    /// The kind of answer the question wants.
    public var answerKind: AnswerKind {
        switch self {
        case .existence, .spatial: .yesNo
        case .counting: .count
        case .attributes(.colour, _): .colour
        case .attributes(.size, _): .size
        case .negation, .description: .objects
        case .grounding, .unanswerable(.box, _): .box
        case .unanswerable(.colour, _): .colour
        case .unanswerable(.size, _): .size
        }
    }

    /// The descriptions that must name exactly one object of the scene.
    var referents: [ObjectDescription] {
        switch self {
        case .spatial(let subject, _, let object): [subject, object]
        case .attributes(_, let subject), .grounding(let subject): [subject]
        case .existence, .counting, .negation, .description, .unanswerable: []
        }
    }

    /// The description that must name no object of the scene.
    var absentee: ObjectDescription? {
        if case .unanswerable(_, let subject) = self { return subject }
        return nil
    }

    /// The true answer in the scene. Referents must be unique (`World` checks on load).
    public func reference(in scene: Scene) -> Answer {
        func the(_ description: ObjectDescription) -> SceneObject { scene.objects(matching: description)[0] }
        switch self {
        case .existence(let subject):
            return .yesNo(!scene.objects(matching: subject).isEmpty)
        case .counting(let subject):
            return .count(scene.objects(matching: subject).count)
        case .spatial(let subject, let relation, let object):
            return .yesNo(relation.holds(the(subject), the(object)))
        case .attributes(.colour, let subject):
            return .colour(the(subject).colour)
        case .attributes(.size, let subject):
            return .size(the(subject).size)
        case .negation(let excluded):
            return .objects(scene.objects.filter { !excluded.matches($0) }.map { ObjectDescription($0.kind) })
        case .grounding(let subject):
            return .box(the(subject).box)
        case .description:
            return .objects(scene.objects.map { ObjectDescription($0.kind) })
        case .unanswerable(_, let subject):
            return .refusal(subject)
        }
    }
}
