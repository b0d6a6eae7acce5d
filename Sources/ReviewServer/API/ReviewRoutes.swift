import Foundation
import Hummingbird
import Interchange
import Preferences

/// Optional 1–5 scores for one answer.
struct AnswerScores: Codable, Sendable {
    var accuracy: Int?
    var grounding: Int?

    var scores: [String: Double] {
        get throws {
            var scores: [String: Double] = [:]
            for (criterion, score) in [("accuracy", accuracy), ("grounding", grounding)] {
                guard let score else { continue }
                guard (1...5).contains(score) else { throw HTTPError(.badRequest, message: "\(criterion) is scored 1 to 5, not \(score)") }
                scores[criterion] = Double(score)
            }
            return scores
        }
    }
}

struct VerdictRequest: Decodable, Sendable {
    struct Rubric: Codable, Sendable {
        var left: AnswerScores?
        var right: AnswerScores?
    }

    var pairId: Int64
    /// About the answers as shown: `left` is the page's answer A, `right` its answer B.
    var verdict: ShownVerdict
    var reasonTags: [ReasonTag]?
    var rubric: Rubric?
}

/// The next pair for the signed-in reviewer (nil when none is left) and their progress.
struct NextPairResponse: ResponseEncodable {
    var pair: ShownPair?
    var progress: ReviewerProgress
}

struct VerdictResponse: ResponseEncodable {
    enum Outcome: String, Encodable {
        case added, unchanged, replaced
    }

    var outcome: Outcome
    var progress: ReviewerProgress
}

struct UndoResponse: ResponseEncodable {
    var pairId: Int64
    var verdict: ShownVerdict
    var progress: ReviewerProgress
}

/// What a reviewer does: take the next pair, give a verdict, undo it, load the images.
struct ReviewRoutes {
    let store: Store
    let configuration: ServerConfiguration

    func add(to group: RouterGroup<ReviewContext>) {
        let overlap = configuration.overlap, hold = configuration.hold
        group.post("/api/pairs/next") { _, context in
            let reviewer = try context.reviewer.id!
            return try await store.run { workspace in
                let pair = try workspace.assignPair(to: reviewer, overlap: overlap, hold: hold).map { try workspace.shownPair($0) }
                return NextPairResponse(pair: pair, progress: try workspace.progress(of: reviewer, overlap: overlap))
            }
        }
        group.post("/api/verdicts") { request, context in
            let reviewer = try context.reviewer.id!
            let verdict = try await request.decode(as: VerdictRequest.self, context: context)
            let given = Set(verdict.reasonTags ?? [])
            let tags = ReasonTag.allCases.filter(given.contains).map(\.rawValue)
            let scores = ShownScores(left: try verdict.rubric?.left?.scores ?? [:], right: try verdict.rubric?.right?.scores ?? [:])
            return try await store.run { workspace in
                let outcome = try workspace.recordVerdict(verdict.verdict, onPair: verdict.pairId, by: reviewer, reasonTags: tags, scores: scores).outcome
                let named: VerdictResponse.Outcome = switch outcome {
                case .added: .added
                case .unchanged: .unchanged
                case .replaced: .replaced
                }
                return VerdictResponse(outcome: named, progress: try workspace.progress(of: reviewer, overlap: overlap))
            }
        }
        group.post("/api/verdicts/undo") { _, context in
            let reviewer = try context.reviewer.id!
            let undone = try await store.run { workspace -> UndoResponse? in
                guard let comparison = try workspace.undoLastVerdict(by: reviewer, hold: hold), let leftShown = comparison.leftShown else { return nil }
                return UndoResponse(pairId: comparison.pairId, verdict: ShownVerdict(comparison.verdict, leftShown: leftShown),
                                    progress: try workspace.progress(of: reviewer, overlap: overlap))
            }
            guard let undone else { throw HTTPError(.notFound, message: "no verdict to undo") }
            return undone
        }
        group.get("/api/images/:id") { _, context in
            try await image(context.parameters.require("id"))
        }
    }

    /// An image by its SHA-256, which must be 64 lowercase hex digits and a stored blob: the file
    /// read is the store's, never a path made from the request.
    private func image(_ id: String) async throws -> Response {
        guard id.count == 64, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw HTTPError(.badRequest, message: "an image ID is the SHA-256 of the image: 64 lowercase hex digits")
        }
        let (blob, bytes) = try await store.run { workspace -> (ImageBlob, Data) in
            guard let blob = try workspace.imageBlob(id) else { throw StoreError.notFound(kind: "image", id: id) }
            return (blob, try Data(contentsOf: workspace.blobURL(blob.sha256)))
        }
        return Response(status: .ok,
                        headers: [.contentType: blob.format == .png ? "image/png" : "image/jpeg",
                                  .cacheControl: "private, max-age=31536000, immutable"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
