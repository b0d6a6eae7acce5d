import Interchange

/// Prompts: a question about one scene, its wording, its tags and its reference answer.
public struct Prompt: Codable, Equatable, Sendable {
    public var id: String
    public var sceneID: String
    public var split: String
    public var question: Question
    public var text: String
    /// The category first, then what kind of case it is ("absent", "zero", "left_of", …).
    public var tags: [String]
    /// The canonical text of the true answer.
    public var reference: String

    public var category: Category { question.category }

    public init(id: String, scene: Scene, split: String, question: Question, tags: [String]) {
        self.id = id
        self.sceneID = scene.id
        self.split = split
        self.question = question
        self.text = question.text
        self.tags = [question.category.rawValue] + tags
        self.reference = question.reference(in: scene).text
    }
}

extension Scene {
    /// One prompt per category the scene can support (spatial questions need two objects that
    /// can be named and are apart; attribute and grounding questions one that can be named).
    public func prompts(split: String, using rng: inout SeededGenerator) -> [Prompt] {
        let makers: [(inout SeededGenerator) -> (Question, [String])?] = [
            existenceQuestion, countingQuestion, spatialQuestion, attributeQuestion,
            negationQuestion, groundingQuestion, { _ in (.description, []) },
            // last, so the categories before it draw what they drew before it existed
            unanswerableQuestion,
        ]
        return makers.compactMap { make in
            make(&rng).map { question, tags in
                Prompt(id: "\(id)-\(question.category.rawValue)", scene: self, split: split, question: question, tags: tags)
            }
        }
    }

    private func existenceQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        let object = rng.pick(objects)
        let level = rng.below(4)  // shape; colour and shape (twice as often); everything
        var subject = ObjectDescription(object.kind)
        if level == 0 { subject = ObjectDescription(shape: object.shape) }
        if level == 1 || level == 2 { subject.size = nil }
        guard rng.chance(0.5) else { return (.existence(subject: subject), ["present"]) }
        // absent: half the time a near miss of a real object (one attribute changed), the kind of
        // thing a model hallucinates; else anything absent, named as fully. Near misses alone
        // teach no comparison: with every "no" one attribute away from a "yes", a decoder
        // trained from scratch stays at chance on them (docs/shapesworld.md).
        let near = rng.chance(0.5)
        for _ in 0..<20 {
            var probe = subject
            if !near {
                probe.shape = rng.pick(Shape.allCases)
                if probe.colour != nil { probe.colour = rng.pick(Colour.allCases) }
                if probe.size != nil { probe.size = rng.pick(Size.allCases) }
            } else if probe.colour != nil && rng.chance(0.5) {
                probe.colour = rng.pick(Colour.allCases)
            } else {
                probe.shape = rng.pick(Shape.allCases)
            }
            if self.objects(matching: probe).isEmpty {
                return (.existence(subject: probe), ["absent", near ? "near_miss" : "far_miss"])
            }
        }
        return (.existence(subject: subject), ["present"])
    }

    private func countingQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        let object = rng.pick(objects)
        var subject: ObjectDescription
        switch rng.below(4) {
        case 0: subject = ObjectDescription()
        case 1: subject = ObjectDescription(shape: object.shape)
        case 2: subject = ObjectDescription(colour: object.colour)
        default: subject = ObjectDescription(colour: object.colour, shape: object.shape)
        }
        // one in five asks about something absent
        if rng.chance(0.2) {
            let probe = ObjectDescription(colour: rng.pick(Colour.allCases), shape: rng.pick(Shape.allCases))
            if self.objects(matching: probe).isEmpty { subject = probe }
        }
        return (.counting(subject: subject), self.objects(matching: subject).isEmpty ? ["zero"] : [])
    }

    private func spatialQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        var pairs: [(SceneObject, SceneObject, ObjectDescription, ObjectDescription, [Relation])] = []
        for a in objects {
            for b in objects where a != b {
                guard let da = referringDescription(for: a), let db = referringDescription(for: b) else { continue }
                // ask only along an axis where the two are clearly apart
                let axes = [[Relation.leftOf, .rightOf], [.above, .below]].filter { axis in
                    axis[0].holds(a, b) || axis[0].holds(b, a)
                }
                if !axes.isEmpty { pairs.append((a, b, da, db, axes.flatMap { $0 })) }
            }
        }
        guard !pairs.isEmpty else { return nil }
        let (a, b, da, db, relations) = rng.pick(pairs)
        let relation = rng.pick(relations)
        let truth = relation.holds(a, b)
        return (.spatial(subject: da, relation: relation, object: db), [relation.rawValue, truth ? "yes" : "no"])
    }

    private func attributeQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        let asked: Attribute = rng.chance(0.6) ? .colour : .size
        let named = objects.compactMap { referringDescription(for: $0, omitting: asked) }
        guard !named.isEmpty else { return nil }
        return (.attributes(asked: asked, subject: rng.pick(named)), [asked.rawValue])
    }

    private func negationQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        let object = rng.pick(objects)
        let kind = rng.below(3)
        // usually an attribute some object has; sometimes one none has (the answer is all)
        let other = rng.chance(0.2)
        let excluded: ObjectDescription
        switch kind {
        case 0: excluded = ObjectDescription(colour: other ? rng.pick(Colour.allCases) : object.colour)
        case 1: excluded = ObjectDescription(shape: other ? rng.pick(Shape.allCases) : object.shape)
        default: excluded = ObjectDescription(size: other ? rng.pick(Size.allCases) : object.size)
        }
        return (.negation(excluded: excluded), [["colour", "shape", "size"][kind]])
    }

    /// The colour, size or box of an object the scene does not have, worded as the attributes
    /// and grounding questions word it: a near miss of a real object's shortest description
    /// (one attribute changed, as existence's absent probes), else any absent description.
    private func unanswerableQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        let asked = rng.pick(ObjectQuery.allCases)
        let object = rng.pick(objects)
        let forms = [
            ObjectDescription(shape: object.shape),
            ObjectDescription(colour: object.colour, shape: object.shape),
            ObjectDescription(size: object.size, shape: object.shape),
            ObjectDescription(object.kind),
        ].filter { $0.states(asked.omitted) == false }
        let shortest = forms.first { self.objects(matching: $0).count == 1 } ?? forms.last!
        for _ in 0..<20 {
            var probe = shortest
            switch rng.below(3) {
            case 0 where shortest.colour != nil: probe.colour = rng.pick(Colour.allCases.filter { $0 != shortest.colour })
            case 1 where shortest.size != nil: probe.size = shortest.size == .small ? .large : .small
            default: probe.shape = rng.pick(Shape.allCases.filter { $0 != shortest.shape })
            }
            if self.objects(matching: probe).isEmpty { return (.unanswerable(asked: asked, subject: probe), [asked.rawValue]) }
        }
        let absent = Shape.allCases.flatMap { shape in
            (Size.allCases.map(Optional.some) + [nil]).flatMap { size in
                (Colour.allCases.map(Optional.some) + [nil]).map { ObjectDescription(size: size, colour: $0, shape: shape) }
            }
        }.filter { !$0.states(asked.omitted) && self.objects(matching: $0).isEmpty }
        guard !absent.isEmpty else { return nil }
        return (.unanswerable(asked: asked, subject: rng.pick(absent)), [asked.rawValue])
    }

    private func groundingQuestion(using rng: inout SeededGenerator) -> (Question, [String])? {
        let named = objects.compactMap { referringDescription(for: $0) }
        guard !named.isEmpty else { return nil }
        return (.grounding(subject: rng.pick(named)), [])
    }
}
