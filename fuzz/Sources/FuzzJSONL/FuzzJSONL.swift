import Foundation
import Interchange
import JSON

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(getpid()).jsonl")
    guard (try? data.write(to: url)) != nil, let lines = try? JSONLines.read(url) else { return 0 }
    for line in lines {
        guard let row = try? line.object() else { continue }
        _ = try? line.images(of: row)
        for field in ["prompt", "chosen", "rejected", "messages"] { if let value = row[field] { _ = try? ChatValue(json: value, field: field) } }
    }
    return 0
}
