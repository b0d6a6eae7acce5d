import Foundation
import JSON
import Tokenization

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let source = String(data: data, encoding: .utf8), let template = try? ChatTemplate(source: source) else { return 0 }
    let messages: [JSONValue] = [
        .object([("role", .string("system")), ("content", .string("Be brief."))]),
        .object([("role", .string("user")), ("content", .array([.object([("type", .string("image"))]), .object([("type", .string("text")), ("text", .string("What is this?"))])]))]),
        .object([("role", .string("assistant")), ("content", .string("A cat."))]),
    ]
    _ = try? template.render(messages: messages, addGenerationPrompt: true)
    return 0
}
