import Foundation
import JSON
import Tokenization

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let json = try? JSONValue(parsing: data), let tokenizer = try? Tokenizer(json: json) else { return 0 }
    if let ids = try? tokenizer.encode("Hello, world! 123 <image> ünïcödé  spaces", addSpecialTokens: true) {
        _ = try? tokenizer.decode(ids, skipSpecialTokens: false)
    }
    return 0
}
