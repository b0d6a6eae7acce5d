import Foundation

/// The process's peak resident memory in MiB (VmHWM of /proc/self/status).
func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return .nan }
    let kb = Double(line.split(separator: " ").dropFirst().first { Double($0) != nil } ?? "") ?? .nan
    return kb / 1024
}
