import Foundation
import GRDB
import Interchange

/// A pair whose verdict is known. Gold pairs are mixed into every reviewer's queue, unmarked, to
/// measure each reviewer's accuracy; in `dataset freeze` the gold verdict is the pair's verdict.
public struct GoldPair: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public var pairId: Int64
    /// About the pair's candidates: A, B, tie or both bad.
    public var verdict: Verdict
    /// The admin who marked it; nil when it was imported (`import pairs --gold`).
    public var markedById: Int64?
    public var markedAt: Date
}
