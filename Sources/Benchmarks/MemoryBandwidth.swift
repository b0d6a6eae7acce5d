import Foundation
import Tensor

/// The machine's copy bandwidth as STREAM reports it (bytes read plus bytes written per second),
/// on the kernel threads: what bounds a decoding step, which reads every weight once.
public enum MemoryBandwidth {
    /// Best of `repeats` copies of a `mebibytes` buffer (large enough to leave the caches), split
    /// across the kernel threads; GB/s.
    public static func copy(mebibytes: Int = 512, repeats: Int = 5) -> Double {
        let count = mebibytes << 20
        let source = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        memset(source, 1, count)
        memset(target, 0, count)
        let threads = Parallel.threads
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            Parallel.forEach(threads, cost: .max) { parts in
                for part in parts {
                    let lo = count * part / threads, hi = count * (part + 1) / threads
                    memcpy(target + lo, source + lo, hi - lo)
                }
            }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(count) / best / 1e9
    }
}
