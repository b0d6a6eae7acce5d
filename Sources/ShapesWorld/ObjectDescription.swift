/// A description of objects that may leave attributes out: "red circle", "small object",
/// "objects". It is how questions name their subjects and how answers mention objects.
public struct ObjectDescription: Codable, Hashable, Sendable {
    public var size: Size?
    public var colour: Colour?
    public var shape: Shape?

    public init(size: Size? = nil, colour: Colour? = nil, shape: Shape? = nil) {
        self.size = size
        self.colour = colour
        self.shape = shape
    }

    public init(_ kind: ObjectKind) {
        self.init(size: kind.size, colour: kind.colour, shape: kind.shape)
    }

    public func matches(_ object: SceneObject) -> Bool {
        (size ?? object.size) == object.size && (colour ?? object.colour) == object.colour
            && (shape ?? object.shape) == object.shape
    }

    /// Whether it states the attribute (false for nil).
    func states(_ attribute: Attribute?) -> Bool {
        switch attribute {
        case .colour: colour != nil
        case .size: size != nil
        case nil: false
        }
    }

    /// How many attributes it states.
    public var specificity: Int { [size != nil, colour != nil, shape != nil].filter { $0 }.count }

    /// "small red circle", "red object", "circle".
    public var phrase: String { words(noun: shape?.rawValue ?? "object") }

    /// "small red circles", "red objects", "objects".
    public var pluralPhrase: String { words(noun: shape?.plural ?? "objects") }

    /// "a small red circle", "an orange square".
    public var withArticle: String { Self.article(for: phrase) + " " + phrase }

    private func words(noun: String) -> String {
        ([size?.rawValue, colour?.rawValue].compactMap { $0 } + [noun]).joined(separator: " ")
    }

    static func article(for phrase: String) -> String {
        phrase.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }
}

extension Scene {
    /// The objects a description matches.
    public func objects(matching description: ObjectDescription) -> [SceneObject] {
        objects.filter(description.matches)
    }

    /// The shortest description that picks out exactly this object (shape; colour and shape;
    /// size and shape; all three), leaving out `omitting` if given; nil when none is unique.
    func referringDescription(for object: SceneObject, omitting: Attribute? = nil) -> ObjectDescription? {
        let kind = object.kind
        let candidates = [
            ObjectDescription(shape: kind.shape),
            ObjectDescription(colour: kind.colour, shape: kind.shape),
            ObjectDescription(size: kind.size, shape: kind.shape),
            ObjectDescription(kind),
        ].filter { candidate in
            switch omitting {
            case .colour: candidate.colour == nil
            case .size: candidate.size == nil
            case nil: true
            }
        }
        return candidates.first { objects(matching: $0).count == 1 }
    }
}
