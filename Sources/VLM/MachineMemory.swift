import Foundation

/// The memory this process may use: the machine's, or a smaller cgroup limit, or
/// `VLM_ALIGN_MEMORY_BYTES` where set (what a test or a shared machine allows).
public func machineMemory() -> Double {
    if let text = ProcessInfo.processInfo.environment["VLM_ALIGN_MEMORY_BYTES"], let bytes = Double(text), bytes > 0 {
        return bytes
    }
    let physical = Double(ProcessInfo.processInfo.physicalMemory)
    for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
        if let text = try? String(contentsOfFile: file, encoding: .utf8),
           let limit = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit < physical {
            return limit
        }
    }
    return physical
}
