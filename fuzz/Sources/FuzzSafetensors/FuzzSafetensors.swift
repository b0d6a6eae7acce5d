import Foundation
import VLM

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(getpid()).safetensors")
    guard (try? data.write(to: url)) != nil, let file = try? SafetensorsFile(path: url.path) else { return 0 }
    for name in file.entries.keys.sorted().prefix(4) where (file.entries[name]?.shape.reduce(1, *) ?? 0) <= 1 << 20 { _ = try? file.tensor(name) }
    return 0
}
