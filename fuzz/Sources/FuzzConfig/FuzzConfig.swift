import Foundation
import JSON
import VLM

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard let json = try? JSONValue(parsing: data) else { return 0 }
    _ = try? Idefics3Config(json: json, file: "config.json")
    return 0
}
