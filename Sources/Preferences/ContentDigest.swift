import GRDB
import Interchange

extension Workspace {
    /// A digest of every row of every table: equal digests, equal contents (what a refused
    /// command must leave as it was).
    public func contentDigest() throws -> String {
        try database.read { db in
            var hasher = SHA256()
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                hasher.update(table)
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier) ORDER BY rowid") {
                    hasher.update(row.description)
                }
            }
            return hasher.hexDigest()
        }
    }
}
