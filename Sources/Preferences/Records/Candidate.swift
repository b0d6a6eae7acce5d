import Foundation
import GRDB
import Interchange

/// How a candidate answer was sampled.
public struct Sampling: Codable, Hashable, Sendable {
    public var temperature: Double
    public var topP: Double?
    public var topK: Int?
    public var maxNewTokens: Int?

    public init(temperature: Double, topP: Double? = nil, topK: Int? = nil, maxNewTokens: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.maxNewTokens = maxNewTokens
    }
}

/// One model answer to a prompt. Imported answers have no checkpoint, sampling or seed.
public struct Candidate: Codable, Hashable, Sendable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var contentHash: String
    public var promptId: Int64
    public var body: ChatValue
    public var text: String
    public var checkpointId: Int64?
    public var sampling: Sampling?
    public var seed: Int64?
    public var createdAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder { ChatValue.canonicalEncoder }

    /// The content hash of an answer: its prompt, its canonical JSON, and where it came from.
    static func contentHash(prompt: String, body: ChatValue, checkpoint: String?, sampling: Sampling?, seed: Int64?) -> String {
        let origin = [checkpoint ?? "-", sampling.map { String(decoding: try! ChatValue.canonicalEncoder.encode($0), as: UTF8.self) } ?? "-",
                      seed.map(String.init) ?? "-"]
        return SHA256.hex("candidate\n\(prompt)\n\(body.canonicalJSON)\n\(origin.joined(separator: "\n"))")
    }
}
