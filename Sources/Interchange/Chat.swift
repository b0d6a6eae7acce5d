import Foundation
import JSON

/// A prompt or an answer as TRL's preference datasets write it: a plain string, or a
/// conversational list of messages whose content is a string or a list of text and image parts
/// (`{"type": "image"}` marks where each of the row's `images` goes).
public enum ChatValue: Codable, Hashable, Sendable {
    case plain(String)
    case messages([ChatMessage])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .plain(text)
        } else {
            // Not a string: the error, if any, says what is wrong with the message list.
            self = .messages(try container.decode([ChatMessage].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .plain(text): try container.encode(text)
        case let .messages(messages): try container.encode(messages)
        }
    }

    /// The words alone, for display and search: text parts joined by newlines.
    public var text: String {
        switch self {
        case let .plain(text): text
        case let .messages(messages): messages.flatMap(\.textParts).joined(separator: "\n")
        }
    }

    /// How many `{"type": "image"}` placeholders it holds.
    public var imagePlaceholders: Int {
        switch self {
        case .plain: 0
        case let .messages(messages): messages.reduce(0) { $0 + $1.imagePlaceholders }
        }
    }

    /// The one JSON spelling the store hashes and keeps: sorted keys, no escaped slashes.
    public var canonicalJSON: String {
        // Encoding plain strings and messages cannot fail.
        String(decoding: try! ChatValue.canonicalEncoder.encode(self), as: UTF8.self)
    }

    public static var canonicalEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

public struct ChatMessage: Codable, Hashable, Sendable {
    public var role: String
    public var content: ChatContent

    public init(role: String, content: ChatContent) {
        self.role = role
        self.content = content
    }

    /// A user turn: the image placeholder (when there is one) before the text.
    public static func user(image: Bool, _ text: String) -> ChatMessage {
        ChatMessage(role: "user", content: .parts((image ? [.image] : []) + [.text(text)]))
    }

    public static func assistant(_ text: String) -> ChatMessage {
        ChatMessage(role: "assistant", content: .parts([.text(text)]))
    }

    var textParts: [String] { content.parts.compactMap(\.text) }

    var imagePlaceholders: Int { content.parts.filter(\.isImage).count }
}

public enum ChatContent: Codable, Hashable, Sendable {
    case text(String)
    case parts([ChatPart])

    /// The content as parts (a plain string is one text part).
    public var parts: [ChatPart] {
        switch self {
        case let .text(text): [.text(text)]
        case let .parts(parts): parts
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([ChatPart].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .text(text): try container.encode(text)
        case let .parts(parts): try container.encode(parts)
        }
    }
}

/// `{"type": "text", "text": …}` or `{"type": "image"}`. Datasets exported from Arrow tables
/// carry `null` for the absent field (`{"type": "image", "text": null}`); that reads the same.
public enum ChatPart: Codable, Hashable, Sendable {
    case text(String)
    case image

    private enum Keys: String, CodingKey { case type, text }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "text": self = .text(try container.decode(String.self, forKey: .text))
        case "image": self = .image
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown content part type \"\(other)\" (expected text or image)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case let .text(text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .text)
        case .image:
            try container.encode("image", forKey: .type)
        }
    }

    public var text: String? {
        if case let .text(text) = self { text } else { nil }
    }

    public var isImage: Bool { self == .image }
}

// MARK: JSON values (chat templates render these)

/// A chat value that is not in TRL's form, said the way a row's error reads.
public struct ChatFormError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension ChatValue {
    /// A TRL row's field: a string, or a list of messages.
    public init(json: JSONValue, field: String) throws {
        if let text = json.stringValue {
            self = .plain(text)
        } else if let list = json.arrayValue {
            self = .messages(try list.enumerated().map { i, message in try ChatMessage(json: message, at: "\(field)[\(i)]") })
        } else {
            throw ChatFormError(description: "\(field) must be a string or a list of messages")
        }
    }

    /// As a chat template sees it: the string, or the list of messages.
    public var json: JSONValue {
        switch self {
        case let .plain(text): .string(text)
        case let .messages(messages): .array(messages.map(\.json))
        }
    }

    public var messages: [ChatMessage]? {
        if case let .messages(messages) = self { messages } else { nil }
    }
}

extension ChatMessage {
    init(json: JSONValue, at place: String) throws {
        guard let role = json["role"]?.stringValue else { throw ChatFormError(description: "\(place) needs a \"role\" string") }
        guard let content = json["content"] else { throw ChatFormError(description: "\(place) needs \"content\"") }
        if let text = content.stringValue {
            self.init(role: role, content: .text(text))
            return
        }
        guard let parts = content.arrayValue else {
            throw ChatFormError(description: "\(place).content must be a string or a list of parts")
        }
        self.init(role: role, content: .parts(try parts.enumerated().map { j, part in
            switch part["type"]?.stringValue {
            case "text"?:
                guard let text = part["text"]?.stringValue else { throw ChatFormError(description: "\(place).content[\(j)] needs a \"text\" string") }
                return .text(text)
            case "image"?: return .image
            case let other:
                throw ChatFormError(description: "\(place).content[\(j)]: unknown content part type \"\(other ?? "none")\" (expected text or image)")
            }
        }))
    }

    /// `{"role": …, "content": …}` with content a string or a list of `{"type": …}` parts.
    public var json: JSONValue {
        let body: JSONValue = switch content {
        case let .text(text): .string(text)
        case let .parts(parts): .array(parts.map { part in
            switch part {
            case let .text(text): .object([("type", .string("text")), ("text", .string(text))])
            case .image: .object([("type", .string("image"))])
            }
        })
        }
        return .object([("role", .string(role)), ("content", body)])
    }
}
