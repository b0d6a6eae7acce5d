import Foundation
import GRDB
import Interchange

// The shared vocabulary as the store's columns hold it.

extension Verdict: DatabaseValueConvertible {}
extension CheckpointKind: DatabaseValueConvertible {}

/// A chat value is stored as its canonical JSON text (GRDB would otherwise store a plain string bare and a
/// message list as JSON, and the column could not tell them apart).
extension ChatValue: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { canonicalJSON.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> ChatValue? {
        guard let json = String.fromDatabaseValue(dbValue) else { return nil }
        return try? JSONDecoder().decode(ChatValue.self, from: Data(json.utf8))
    }
}
