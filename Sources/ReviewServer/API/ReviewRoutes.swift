import Foundation
import Hummingbird
import Interchange
import Preferences

struct VerdictRequest: Decodable, Sendable {
    /// Optional 1–5 scores per answer as shown, by rubric dimension.
    struct Rubric: Codable, Sendable {
        var left: [String: Int]?
        var right: [String: Int]?
    }

    /// The longest comment kept, in characters.
    static let commentLimit = 2000

    var pairId: Int64
    /// About the answers as shown: `left` is the page's answer A, `right` its answer B.
    var verdict: ShownVerdict
    var reasonTags: [String]?
    var rubric: Rubric?
    var comment: String?

    /// The reason tags given, each once, in the vocabulary's order; refused when one is not the
    /// workspace's.
    func tags(in vocabulary: ReviewVocabulary) throws -> [String] {
        let given = Set(reasonTags ?? [])
        let known = vocabulary.reasonTags.map(\.id)
        if let unknown = given.subtracting(known).sorted().first {
            throw HTTPError(.badRequest, message: "unknown reason tag \"\(unknown)\"; this workspace's are \(known.joined(separator: ", "))")
        }
        return known.filter(given.contains)
    }

    /// The scores given, refused when one is outside 1–5 or of a dimension the rubric lacks.
    func scores(in vocabulary: ReviewVocabulary) throws -> ShownScores {
        let known = Set(vocabulary.rubric.map(\.id))
        func checked(_ scores: [String: Int]?) throws -> [String: Double] {
            var checked: [String: Double] = [:]
            for (criterion, score) in (scores ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard known.contains(criterion) else {
                    throw HTTPError(.badRequest, message: "\"\(criterion)\" is not a rubric dimension here; they are \(vocabulary.rubric.map(\.id).joined(separator: ", "))")
                }
                guard (1...5).contains(score) else { throw HTTPError(.badRequest, message: "\(criterion) is scored 1 to 5, not \(score)") }
                checked[criterion] = Double(score)
            }
            return checked
        }
        return ShownScores(left: try checked(rubric?.left), right: try checked(rubric?.right))
    }

    func checkedComment() throws -> String? {
        guard let comment, comment.count > Self.commentLimit else { return comment }
        throw HTTPError(.badRequest, message: "a comment is at most \(Self.commentLimit) characters, not \(comment.count)")
    }
}

/// A pair as the review page shows it: the pair as its reviewer sees it, and the boxes each
/// answer claims on its first image.
struct ReviewPair: Encodable, Sendable {
    struct Boxes: Encodable, Sendable {
        var left: [AnswerBox]
        var right: [AnswerBox]
    }

    var pair: ShownPair
    var boxes: Boxes

    init(_ pair: ShownPair) {
        self.pair = pair
        let size = pair.imageSizes.first
        func find(_ answer: String) -> [AnswerBox] { size.map { AnswerBoxes.find(in: answer, width: $0.width, height: $0.height) } ?? [] }
        boxes = Boxes(left: find(pair.left), right: find(pair.right))
    }

    private enum Keys: String, CodingKey { case boxes }

    /// The pair's fields, and `boxes` beside them.
    func encode(to encoder: any Encoder) throws {
        try pair.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(boxes, forKey: .boxes)
    }
}

/// The next pair for the signed-in reviewer (nil when none is left) and their progress.
struct NextPairResponse: ResponseEncodable {
    var pair: ReviewPair?
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
        let overlap = configuration.overlap, hold = configuration.hold, goldRate = configuration.goldRate
        group.post("/api/pairs/next") { _, context in
            let reviewer = try context.reviewer.id!
            return try await store.run { workspace in
                let pair = try workspace.assignPair(to: reviewer, overlap: overlap, hold: hold, goldRate: goldRate)
                    .map { ReviewPair(try workspace.shownPair($0)) }
                return NextPairResponse(pair: pair, progress: try workspace.progress(of: reviewer, overlap: overlap))
            }
        }
        group.post("/api/verdicts") { request, context in
            let reviewer = try context.reviewer.id!
            let verdict = try await request.decode(as: VerdictRequest.self, context: context)
            let comment = try verdict.checkedComment()
            let vocabulary = try await store.run { try $0.reviewVocabulary() }
            let (tags, scores) = (try verdict.tags(in: vocabulary), try verdict.scores(in: vocabulary))
            return try await store.run { workspace in
                let outcome = try workspace.recordVerdict(verdict.verdict, onPair: verdict.pairId, by: reviewer, reasonTags: tags, scores: scores,
                                                          comment: comment).outcome
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
        group.get("/api/images/:id") { request, context in
            try await image(context.parameters.require("id"), fit: try Self.fit(request))
        }
    }

    /// The `fit` query parameter: the longest side wanted, in pixels (nil: the image as stored).
    static func fit(_ request: Request) throws -> Int? {
        guard let text = request.uri.queryParameters["fit"] else { return nil }
        guard let fit = Int(String(text)), ScaledImages.sizes.contains(fit) else {
            throw HTTPError(.badRequest, message: "fit is one of \(ScaledImages.sizes.map(String.init).joined(separator: ", ")) pixels, not \"\(text)\"")
        }
        return fit
    }

    /// An image by its SHA-256, which must be 64 lowercase hex digits and a stored blob: the file
    /// read is the store's (or its scaled copy's), never a path made from the request. With `fit`,
    /// a larger image comes shrunk to fit, as PNG.
    private func image(_ id: String, fit: Int?) async throws -> Response {
        guard id.count == 64, id.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw HTTPError(.badRequest, message: "an image ID is the SHA-256 of the image: 64 lowercase hex digits")
        }
        let (format, bytes) = try await store.run { workspace -> (ImageFormat, Data) in
            guard let blob = try workspace.imageBlob(id) else { throw StoreError.notFound(kind: "image", id: id) }
            if let fit, max(blob.width, blob.height) > fit { return (.png, try ScaledImages.png(of: blob, fitting: fit, in: workspace)) }
            return (blob.format, try Data(contentsOf: workspace.blobURL(blob.sha256)))
        }
        return Response(status: .ok,
                        headers: [.contentType: format == .png ? "image/png" : "image/jpeg",
                                  .cacheControl: "private, max-age=31536000, immutable"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
