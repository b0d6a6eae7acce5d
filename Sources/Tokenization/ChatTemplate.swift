import Foundation
import Jinja
import JSON

/// A model's chat template: Jinja source rendered as transformers' `apply_chat_template(…,
/// tokenize=False)` renders it (`trim_blocks` and `lstrip_blocks` on, the tokenizer's special
/// tokens as variables, `None` members of messages dropped).
public struct ChatTemplate: Sendable {
    public let source: String
    /// `bos_token`, `eos_token` … as the template sees them.
    public let specialTokens: [String: String]
    /// The file it came from, for errors (nil for a template given as text).
    public let origin: String?
    private let template: JinjaTemplate

    public init(source: String, specialTokens: [String: String] = [:], origin: String? = nil) throws {
        self.source = source
        self.specialTokens = specialTokens
        self.origin = origin
        do {
            template = try JinjaTemplate(source: source)
        } catch let error as JinjaError {
            throw Self.located(error, origin)
        }
    }

    /// An error of the template's, naming where the template came from.
    private static func located(_ error: JinjaError, _ origin: String?) -> JinjaError {
        JinjaError(origin.map { "\($0): \(error.message)" } ?? "chat template \(error.message)")
    }

    /// The template of a model folder: `chat_template.jinja`, else `chat_template.json`, else the
    /// `chat_template` of `tokenizer_config.json` (the one named "default" when it lists several).
    /// Special tokens come from `tokenizer_config.json` and `special_tokens_map.json`.
    public init(directory: URL) throws {
        let fm = FileManager.default
        func read(_ name: String) throws -> JSONValue? {
            let url = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: url.path) else { return nil }
            do {
                return try JSONValue(parsing: try Data(contentsOf: url))
            } catch let error as JSONError {
                throw JinjaError("\(url.path): \(error.description)")
            } catch {
                throw JinjaError("\(url.path): cannot read the file")
            }
        }
        let config = try read("tokenizer_config.json")
        var specials: [String: String] = [:]
        for source in [try read("special_tokens_map.json"), config].compactMap({ $0 }) {
            for key in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
                switch source[key] {
                case .string(let s)?: specials[key] = s
                case .object?: if let s = source[key]?["content"]?.stringValue { specials[key] = s }
                default: break
                }
            }
        }
        let jinjaURL = directory.appendingPathComponent("chat_template.jinja")
        var text: String?
        var origin = jinjaURL.path
        if fm.fileExists(atPath: jinjaURL.path) {
            guard let data = fm.contents(atPath: jinjaURL.path), let s = String(data: data, encoding: .utf8) else {
                throw JinjaError("\(jinjaURL.path): cannot read the file as UTF-8 text")
            }
            text = s
        } else if let json = try read("chat_template.json") {
            origin = directory.appendingPathComponent("chat_template.json").path
            guard let s = json["chat_template"]?.stringValue else { throw JinjaError("\(origin): no \"chat_template\" string") }
            text = s
        } else if let config, let entry = config["chat_template"] {
            origin = directory.appendingPathComponent("tokenizer_config.json").path
            switch entry {
            case .string(let s): text = s
            case .array(let named):
                text = named.first(where: { $0["name"]?.stringValue == "default" })?["template"]?.stringValue
                if text == nil { throw JinjaError("\(origin): \"chat_template\" lists no template named \"default\"") }
            default: throw JinjaError("\(origin): \"chat_template\" is neither a string nor a list of named templates")
            }
        }
        guard let text else {
            throw JinjaError("\(directory.path): no chat template (looked for chat_template.jinja, chat_template.json and tokenizer_config.json's \"chat_template\")")
        }
        try self.init(source: text, specialTokens: specials, origin: origin)
    }

    /// The conversation as the template formats it. `messages` are objects with "role" and
    /// "content" (a string or a list of parts such as {"type": "image"}, {"type": "text", "text": …});
    /// `variables` add to or override the template's variables (e.g. "add_vision_id").
    public func render(messages: [JSONValue], addGenerationPrompt: Bool, variables: [String: JSONValue] = [:]) throws -> String {
        guard !messages.isEmpty else { throw JinjaError("cannot apply a chat template to an empty conversation") }
        var context: [String: JSONValue] = [:]
        for (k, v) in specialTokens { context[k] = .string(v) }
        context["messages"] = .array(messages.map { message in
            guard case .object(let members) = message else { return message }
            return .object(members.filter { !$0.1.isNull })
        })
        context["tools"] = .null
        context["documents"] = .null
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        for (k, v) in variables { context[k] = v }
        do {
            return try template.render(context)
        } catch let error as JinjaError {
            throw Self.located(error, origin)
        }
    }
}
