import Foundation

/// Work splitting for the kernels.
///
/// Every loop kernel is written so that each output element is produced by exactly one task, in
/// a fixed order inside that task; results are therefore identical from run to run and for any
/// number of threads; so are attention's, whose blocks of rows are fixed. Products through BLAS
/// (`Matmul.gemm`, the NF4 tiles) are cut into blocks by the number of threads, and OpenBLAS
/// rounds a block's sums differently with its shape: they repeat exactly for a given number of
/// threads and agree to rounding across numbers.
public enum Parallel {
    /// Threads used by the kernels: all cores unless `VLM_ALIGN_THREADS` says otherwise. A task
    /// may run work under another count with `Parallel.$threads.withValue(n) { … }` (tests
    /// compare thread counts in one process); the value is bound for that task only.
    @TaskLocal public static var threads: Int = {
        if let s = ProcessInfo.processInfo.environment["VLM_ALIGN_THREADS"], let n = Int(s), n > 0 {
            return n
        }
        return max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }()

    /// Calls `body` on disjoint subranges covering `0..<count`, concurrently when the work is
    /// large enough. `cost` is the rough number of scalar operations per item: small jobs run
    /// inline, since waking threads costs more than they save.
    public static func forEach(
        _ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void
    ) {
        guard count > 0 else { return }
        let (work, overflow) = count.multipliedReportingOverflow(by: cost)
        let tasks = min(count, threads, overflow ? count : max(1, work / 32_768))
        if tasks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendable(body)
            DispatchQueue.concurrentPerform(iterations: tasks) { task in
                let start = count * task / tasks
                let end = count * (task + 1) / tasks
                box.value(start..<end)
            }
        }
    }
}

/// Carries a non-Sendable value into `concurrentPerform`; the kernels guarantee that tasks
/// touch disjoint memory.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
