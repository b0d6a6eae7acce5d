import Foundation
import Imaging

/// libFuzzer's entry: one input, never a crash, a hang or unbounded memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func test(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    _ = try? RGBImage(decoding: data, source: "fuzz", maxPixels: 1 << 22)
    return 0
}
