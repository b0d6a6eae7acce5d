import GRDB

extension FetchableRecord {
    /// Fetches through a prepared statement the connection keeps: imports run the same few
    /// lookups for every row, and preparing them each time was most of an import's time.
    static func fetchOne(_ db: Database, cachedSQL sql: String, arguments: StatementArguments) throws -> Self? {
        try SQLRequest<Self>(sql: sql, arguments: arguments, cached: true).fetchOne(db)
    }
}
