import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Adds a reviewer and returns their access token. Only its hash is stored: the token is
    /// shown this once.
    public func addReviewer(name: String, role: Role = .reviewer) throws -> (reviewer: Reviewer, token: String) {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw StoreError.refused("a reviewer needs a name") }
        let token = randomToken()
        return try database.write { db in
            if try Reviewer.filter(Column("name") == name).fetchOne(db) != nil {
                throw StoreError.refused("a reviewer named \"\(name)\" already exists")
            }
            var reviewer = Reviewer(id: nil, name: name, role: role, tokenHash: SHA256.hex(token), createdAt: Date(), disabled: false)
            try reviewer.insert(db)
            return (reviewer, token)
        }
    }

    public func reviewers() throws -> [Reviewer] {
        try database.read { try Reviewer.order(Column("id")).fetchAll($0) }
    }

    public func reviewer(named name: String) throws -> Reviewer {
        guard let reviewer = try database.read({ try Reviewer.filter(Column("name") == name).fetchOne($0) }) else {
            throw StoreError.notNamed(kind: "reviewer", name: name)
        }
        return reviewer
    }

    /// The enabled reviewer holding this token, if any: how the review server signs people in.
    public func reviewer(token: String) throws -> Reviewer? {
        try database.read { db in
            try Reviewer.filter(Column("tokenHash") == SHA256.hex(token) && Column("disabled") == false).fetchOne(db)
        }
    }

    /// Disables (or re-enables) a reviewer: their token stops working and their sessions end (for
    /// good: enabled again, they sign in anew); their verdicts stay.
    @discardableResult
    public func setReviewer(named name: String, disabled: Bool) throws -> Reviewer {
        try database.write { db in
            guard var reviewer = try Reviewer.filter(Column("name") == name).fetchOne(db) else {
                throw StoreError.notNamed(kind: "reviewer", name: name)
            }
            reviewer.disabled = disabled
            try reviewer.update(db)
            if disabled { try ReviewSession.filter(Column("reviewerId") == reviewer.id!).deleteAll(db) }
            return reviewer
        }
    }
}
