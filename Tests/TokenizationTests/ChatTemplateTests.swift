import Foundation
import JSON
import Jinja
import Testing
import Tokenization

/// Templates rendered exactly as transformers' `apply_chat_template(…, tokenize=False)` renders
/// them (Fixtures/chat_template_cases.json), and clear errors for what the subset leaves out.
@Suite(.timeLimit(.minutes(10))) struct ChatTemplateTests {
    static let fixture = Fixtures.load("chat_template_cases.json")

    static var templateNames: [String] {
        var names: [String] = []
        for c in fixture["cases"]!.arrayValue! where !names.contains(c["template"]!.stringValue!) {
            names.append(c["template"]!.stringValue!)
        }
        return names
    }

    static func template(_ name: String) throws -> ChatTemplate {
        let source = try String(contentsOf: Fixtures.url("chat_templates/\(name).jinja"), encoding: .utf8)
        var specials: [String: String] = [:]
        for (k, v) in fixture["special_tokens"]!.objectValue! { specials[k] = v.stringValue! }
        return try ChatTemplate(source: source, specialTokens: specials)
    }

    @Test func fixturesCoverThePublishedTemplates() {
        for name in ["smolvlm", "idefics3", "qwen2_vl", "llava", "features"] {
            #expect(Self.templateNames.contains(name), "no cases for \(name)")
        }
    }

    @Test(arguments: templateNames)
    func rendersAsTransformers(templateName: String) throws {
        let template = try Self.template(templateName)
        let conversations = Self.fixture["conversations"]!
        for c in Self.fixture["cases"]!.arrayValue! where c["template"]!.stringValue == templateName {
            let name = c["conversation"]!.stringValue!
            let generation = c["add_generation_prompt"]!.boolValue!
            var variables: [String: JSONValue] = [:]
            for (k, v) in c["variables"]!.objectValue! { variables[k] = v }
            let label = "\(templateName) / \(name) / add_generation_prompt=\(generation) \(variables.keys.sorted())"
            let messages = conversations[name]!.arrayValue!
            if let expectedError = c["error"]?.stringValue {
                #expect(throws: JinjaError.self, "\(label) should fail like transformers (\(expectedError))") {
                    try template.render(messages: messages, addGenerationPrompt: generation, variables: variables)
                }
                if expectedError.contains("roles are supported") {
                    do {
                        _ = try template.render(messages: messages, addGenerationPrompt: generation, variables: variables)
                    } catch let error as JinjaError {
                        #expect(error.message.contains(expectedError), "\(label): \(error.message)")
                    }
                }
                continue
            }
            let expected = c["rendered"]!.stringValue!
            let rendered = try template.render(messages: messages, addGenerationPrompt: generation, variables: variables)
            #expect(rendered.unicodeScalars.elementsEqual(expected.unicodeScalars),
                    "\(label):\n\(rendered.debugDescription)\nexpected\n\(expected.debugDescription)")
        }
    }

    @Test func loadsFromEachPlaceAModelFolderKeepsIt() throws {
        let source = "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }}{% endfor %}{{ eos_token }}"
        let messages: [JSONValue] = [.object([("role", .string("user")), ("content", .string("hi"))])]
        let fm = FileManager.default
        func folder(_ files: [String: String]) throws -> URL {
            let dir = fm.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)")
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
            return dir
        }
        let config = #"{"bos_token": "<s>", "eos_token": {"content": "</s>", "special": true}, "chat_template": "config:{{ messages | length }}"}"#
        let jinja = try folder(["chat_template.jinja": source + "\n", "tokenizer_config.json": config])
        #expect(try ChatTemplate(directory: jinja).render(messages: messages, addGenerationPrompt: false) == "<s>user:hi</s>")
        let json = try folder(["chat_template.json": #"{"chat_template": "json:{{ messages[0].content }}"}"#, "tokenizer_config.json": config])
        #expect(try ChatTemplate(directory: json).render(messages: messages, addGenerationPrompt: false) == "json:hi")
        let inConfig = try folder(["tokenizer_config.json": config])
        #expect(try ChatTemplate(directory: inConfig).render(messages: messages, addGenerationPrompt: false) == "config:1")
        let named = try folder(["tokenizer_config.json": #"{"chat_template": [{"name": "tool_use", "template": "t"}, {"name": "default", "template": "d"}]}"#])
        #expect(try ChatTemplate(directory: named).render(messages: messages, addGenerationPrompt: false) == "d")
        let none = try folder(["tokenizer_config.json": "{}"])
        #expect(throws: JinjaError.self) { try ChatTemplate(directory: none) }
        let corrupt = try folder(["tokenizer_config.json": "{\"chat_template\": "])
        do {
            _ = try ChatTemplate(directory: corrupt)
            Issue.record("a corrupt tokenizer_config.json loaded")
        } catch let error as JinjaError {
            #expect(error.message.contains("tokenizer_config.json") && error.message.contains("line 1"), "\(error.message)")
        }
        for dir in [jinja, json, inConfig, named, none, corrupt] { try? fm.removeItem(at: dir) }
    }

    static let unsupported: [(template: String, mentions: String)] = [
        ("{% include 'other.jinja' %}", "'{% include %}' statement"),
        ("{% extends 'base' %}", "'{% extends %}' statement"),
        ("{{ messages | xmlattr }}", "unsupported filter 'xmlattr'"),
        ("{% if messages is sameas_something %}x{% endif %}", "unsupported test 'sameas_something'"),
        ("{% for m in messages recursive %}{% endfor %}", "recursive for-loop"),
        ("{{ messages[0].content.format(1) }}", "unsupported method 'format'"),
        ("{{ cycler(1, 2) }}", "'cycler' is undefined or an unsupported function"),
        ("{% for m in messages %}", "'{% endfor %}' before the end of the template"),
        ("{{ messages[0] ", "unclosed '{{' tag"),
        ("{% if %}x{% endif %}", "expected an expression"),
        ("{{ raise_exception('No system messages!') }}", "No system messages!"),
        ("{% set x.y = 1 %}", "only namespace objects take attribute assignment"),
    ]

    @Test(arguments: 0..<unsupported.count)
    func constructsOutsideTheSubsetAreNamed(index: Int) {
        let (source, mention) = Self.unsupported[index]
        let messages: [JSONValue] = [.object([("role", .string("user")), ("content", .string("hi"))])]
        do {
            _ = try ChatTemplate(source: source).render(messages: messages, addGenerationPrompt: false)
            Issue.record("\(source) rendered without an error")
        } catch let error as JinjaError {
            #expect(error.message.contains(mention), "\(source): \(error.message)")
            #expect(error.message.hasPrefix("chat template line "), "\(source): \(error.message)")
        } catch {
            Issue.record("\(source): unexpected error \(error)")
        }
    }
}

/// A chat template is input: a crafted one ends with an error that names it, never a crash, a
/// hang or an exhausted memory.
@Suite(.timeLimit(.minutes(10))) struct HostileTemplateTests {
    static let messages: [JSONValue] = [.object([("role", .string("user")), ("content", .string("hi"))])]

    static func render(_ source: String) throws -> String {
        try ChatTemplate(source: source).render(messages: messages, addGenerationPrompt: false)
    }

    static let refused: [(template: String, mentions: String)] = [
        ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "macro 'f' nests deeper than 64 calls"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "more than 1000000 steps"),
        ("{{ 'x' * 1000000000000 }}", "over 16777216"),
        ("{{ [1, 2] * 100000000 }}", "over 16777216"),
        ("{% for i in range(100) %}{{ 'y' * 1000000 }}{% endfor %}", "the output is over 16777216 bytes"),
        ("{{ 'x' | indent(100000000) }}", "over 16777216"),
        ("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}", "nest deeper than 256 levels"),
        ("{{ " + String(repeating: "not ", count: 100000) + "true }}", "nest deeper than 256 levels"),
        (String(repeating: "{% if true %}", count: 5000) + String(repeating: "{% endif %}", count: 5000), "nest deeper than 256 levels"),
    ]

    @Test(arguments: 0..<refused.count)
    func craftedTemplatesEndInAnError(index: Int) {
        let (source, mention) = Self.refused[index]
        #expect {
            _ = try Self.render(source)
        } throws: { error in
            let message = (error as? JinjaError)?.message ?? "\(error)"
            return message.hasPrefix("chat template line ") && message.contains(mention)
        }
    }

    /// What Python computes, or its nearest: big powers, negative widths.
    @Test func arithmeticAndWidthsThatUsedToTrap() throws {
        #expect(try Self.render("{{ 1 ** (10 ** 18) }}") == "1")
        #expect(try Self.render("{{ 2 ** 62 }}") == "4611686018427387904")
        #expect(try Self.render("{{ (2 ** 64) > 10 ** 19 }}") == "True")
        #expect(try Self.render("{{ 'a\nb' | indent(-1) }}") == "a\nb")
        #expect(try Self.render("{{ 'ab' * -3 }}") == "")
        #expect(try Self.render("{{ [1, [2]] | tojson(indent=-1) }}") == "[\n1,\n[\n2\n]\n]")
    }

    /// A template loaded from a folder names its file in render errors.
    @Test func errorsNameTheTemplatesFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}".write(to: dir.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        #expect {
            _ = try ChatTemplate(directory: dir).render(messages: Self.messages, addGenerationPrompt: false)
        } throws: { error in
            (error as? JinjaError)?.message.hasPrefix(dir.appendingPathComponent("chat_template.jinja").path + ": line 1: ") == true
        }
    }
}
