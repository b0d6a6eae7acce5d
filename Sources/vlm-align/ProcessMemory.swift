import Foundation

/// The process's memory as Linux reports it in /proc/self/status.
enum ProcessMemory {
    enum Field: String {
        case resident = "VmRSS"
        case peakResident = "VmHWM"
    }

    /// Bytes, or 0 where /proc is unavailable.
    static func current(_ field: Field) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field.rawValue + ":") }),
              let kib = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { return 0 }
        return kib * 1024
    }
}
