import Foundation

/// The process's peak resident memory in MiB (VmHWM of /proc/self/status).
public func peakRSSMiB() -> Double { procStatusMiB("VmHWM") }

/// The process's resident memory now in MiB (VmRSS).
public func residentMiB() -> Double { procStatusMiB("VmRSS") }

/// A "Name:  123 kB" line of /proc/self/status in MiB; NaN where there is none.
private func procStatusMiB(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
    else { return .nan }
    let kb = Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first { Double($0) != nil } ?? "") ?? .nan
    return kb / 1024
}
