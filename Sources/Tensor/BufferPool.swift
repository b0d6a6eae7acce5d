import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where large tensors live: page-aligned anonymous mappings, kept after a tensor goes for the
/// next one that fits instead of being unmapped.
///
/// A training step allocates the same few hundred activation buffers every time. Through
/// malloc each large one was either mapped afresh (the kernel faulting in and zeroing every
/// page) or, once glibc raised its mapping threshold, carved from a heap that frees' holes
/// fragment (~150 MiB more peak on the 47M DPO benchmark). Reused buffers cost neither; a fresh
/// mapping is zero already, so only a reused buffer is cleared. A request takes the smallest
/// free buffer from its size class up to half as large again; when none fits, free buffers of
/// at least its size are unmapped before a new one is mapped, so what the pool holds grows only
/// with what is in use at once.
final class BufferPool: @unchecked Sendable {
    /// Smaller buffers go through malloc, which serves them well.
    static let minimumBytes = 1 << 18
    /// The tensors' pool: it may keep a quarter of the machine's memory free for reuse (a
    /// training pass frees gigabytes of activations at once and maps them again next step), yet
    /// what it holds grows only with what is in use at once, since a miss unmaps before mapping.
    static let shared = BufferPool(retainedLimit: max(1 << 30, sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE)) / 4))

    /// Free buffers kept beyond this total are unmapped.
    let retainedLimit: Int
    private let lock = NSLock()
    /// Free buffers by mapped size.
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    /// Bytes of the free buffers kept.
    private(set) var retained = 0

    init(retainedLimit: Int) { self.retainedLimit = retainedLimit }

    /// `bytes` rounded up to its class: eight classes an octave (at most 12.5% unused), whole pages.
    static func classBytes(_ bytes: Int) -> Int {
        let octave = Int.bitWidth - 1 - bytes.leadingZeroBitCount
        let step = max(1 << max(octave - 3, 0), 4096)
        return (bytes + step - 1) / step * step
    }

    /// A zero-filled buffer of at least `bytes`, and its mapped size (for `give`).
    func take(_ bytes: Int) -> (buffer: UnsafeMutableRawPointer, size: Int) {
        let wanted = Self.classBytes(bytes)
        var evicted: [(UnsafeMutableRawPointer, Int)] = []
        lock.lock()
        func available(_ size: Int) -> Bool { free[size]?.isEmpty == false }
        let fit = free.keys.filter { $0 >= wanted && 2 * $0 <= 3 * wanted && available($0) }.min()
        if let fit {
            let buffer = free[fit]!.removeLast()
            retained -= fit
            lock.unlock()
            memset(buffer, 0, bytes)
            return (buffer, fit)
        }
        // nothing fits: make room with the smallest free buffer that is larger on its own, else
        // with the largest ones
        var released = 0
        while released < wanted, let size = free.keys.filter({ $0 >= wanted && available($0) }).min() ?? free.keys.filter(available).max() {
            evicted.append((free[size]!.removeLast(), size))
            retained -= size
            released += size
        }
        lock.unlock()
        for (buffer, size) in evicted { munmap(buffer, size) }
        // populated now: a page first read (C += A·B into fresh zeros) would map the shared zero
        // page, and the write after it fault again and flush every core's TLB
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE | MAP_ANONYMOUS
        #endif
        guard let mapped = mmap(nil, wanted, PROT_READ | PROT_WRITE, flags, -1, 0), mapped != MAP_FAILED else {
            fatalError("out of memory: cannot map \(wanted) bytes for a tensor")
        }
        return (mapped, wanted)
    }

    /// Takes back a buffer `take` gave, with the size it gave.
    func give(_ buffer: UnsafeMutableRawPointer, size: Int) {
        lock.lock()
        let keep = retained + size <= retainedLimit
        if keep {
            free[size, default: []].append(buffer)
            retained += size
        }
        lock.unlock()
        if !keep { munmap(buffer, size) }
    }
}
