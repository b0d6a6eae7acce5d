import Foundation
import ShapesWorld

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let text = String(data: data, encoding: .utf8) else { return 0 }
    for kind in [AnswerKind.yesNo, .count, .colour, .size, .box, .objects] { _ = AnswerParser.parse(text, as: kind) }
    return 0
}
