import Foundation
import GRDB
import Interchange

extension Workspace {
    /// Adds a prompt over the given images (PNG or JPEG bytes, stored as blobs), or returns the
    /// prompt with the same images and body if there is one. A conversational body must hold one
    /// `{"type": "image"}` part per image.
    @discardableResult
    public func addPrompt(images: [Data], body: ChatValue, externalID: String? = nil, category: String? = nil, tags: [String] = [],
                          split: Split = .train) throws -> Prompt {
        if let problem = Prompt.placeholderProblem(images: images.count, body: body) { throw StoreError.refused(problem) }
        return try database.write { db in
            let blobs = try images.map { try storeImage($0, in: db).blob.sha256 }
            return try Prompt.findOrInsert(images: blobs, body: body, externalID: externalID, category: category, tags: tags, split: split,
                                           in: db).prompt
        }
    }

    public func prompt(_ id: Int64) throws -> Prompt {
        guard let prompt = try database.read({ try Prompt.fetchOne($0, id: id) }) else { throw StoreError.notFound(kind: "prompt", id: "\(id)") }
        return prompt
    }

    /// The blobs of a prompt's images, in order.
    public func images(ofPrompt id: Int64) throws -> [ImageBlob] {
        try database.read { db in try Prompt.images(ofPrompt: id, in: db) }
    }
}

extension Prompt {
    /// Why images and body do not fit together, if they do not.
    static func placeholderProblem(images: Int, body: ChatValue) -> String? {
        guard case .messages = body, body.imagePlaceholders != images else { return nil }
        return "the prompt has \(body.imagePlaceholders) image placeholders but \(images) images"
    }

    static func images(ofPrompt id: Int64, in db: Database) throws -> [ImageBlob] {
        try ImageBlob.fetchAll(db, sql: """
            SELECT blob.* FROM promptImage JOIN blob ON blob.sha256 = promptImage.blob
            WHERE promptImage.promptId = ? ORDER BY promptImage.position
            """, arguments: [id])
    }

    /// The prompt with these images and body; inserted (with the given metadata) when new.
    static func findOrInsert(images: [String], body: ChatValue, externalID: String? = nil, category: String?, tags: [String],
                             split: Split, in db: Database) throws -> (prompt: Prompt, added: Bool) {
        let hash = contentHash(images: images, body: body)
        if let existing = try Prompt.fetchOne(db, cachedSQL: "SELECT * FROM prompt WHERE contentHash = ?", arguments: [hash]) { return (existing, false) }
        var prompt = Prompt(id: nil, contentHash: hash, externalId: externalID, body: body, text: body.text, category: category,
                            tags: tags, split: split, createdAt: Date())
        try prompt.insert(db)
        for (position, blob) in images.enumerated() {
            try PromptImage(promptId: prompt.id!, position: position, blob: blob).insert(db)
        }
        return (prompt, true)
    }
}
