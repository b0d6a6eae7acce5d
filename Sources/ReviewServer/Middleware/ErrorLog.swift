import Foundation

/// Where the details of unexpected errors go, under the ID their response names.
struct ErrorLog: Sendable {
    var write: @Sendable (String) -> Void

    static let standardError = ErrorLog { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
}
