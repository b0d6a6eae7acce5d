import Foundation
import Interchange
import Preferences

/// The prompts a round asks about.
public enum RoundPrompts {
    /// A row of a prompt pool (ShapesWorld's `pools/round-N.jsonl`, the store's prompt format):
    /// `images` and `text` required; `id`, `category`, `tags`, `split` (train or held-out) optional.
    struct Row: Decodable {
        var id: String?
        var images: [String]
        var text: String
        var category: String?
        var tags: [String]?
        var split: Split?
    }

    /// Imports a prompt pool as conversational prompts (one user turn, its images first), the form
    /// the model is sampled with and DPO trains on. `split` overrides the rows' own. Prompts
    /// already stored stay as they are. Returns how many rows were read.
    @discardableResult
    public static func load(_ file: URL, split: Split? = nil, into workspace: Workspace) throws -> Int {
        let lines = try JSONLines.read(file)
        // checked whole before anything is stored
        let rows = try lines.map { line in
            let row = try line.decode(Row.self)
            let images = try line.images(of: try line.object()).map { url in
                do { return try Data(contentsOf: url) } catch { throw line.error("cannot read image \(url.path)") }
            }
            return (row, images)
        }
        for (row, images) in rows {
            let body = ChatValue.messages([ChatMessage(role: "user", content: .parts(Array(repeating: .image, count: images.count) + [.text(row.text)]))])
            try workspace.addPrompt(images: images, body: body, externalID: row.id, category: row.category, tags: row.tags ?? [],
                                    split: split ?? row.split ?? .train)
        }
        return rows.count
    }

    /// Up to `count` items, stratified: categories take turns (in name order), each category's
    /// items in a seeded shuffle; `weights` (category → weight) gives some categories more turns
    /// and leaves out those it does not name.
    static func stratified<Item>(_ items: [Item], count: Int, seed: UInt64, weights: [String: Double] = [:],
                                 category: (Item) -> String) -> [Item] {
        var rng = SeededGenerator(seed: seed)
        var byCategory = Dictionary(grouping: items, by: category)
        for key in byCategory.keys.sorted() {
            var list = byCategory[key]!
            for i in stride(from: list.count - 1, to: 0, by: -1) { list.swapAt(i, rng.below(i + 1)) }
            byCategory[key] = list
        }
        // each category owes turns in proportion to its weight; the most owed goes next
        let categories = byCategory.keys.sorted()
        let weight = { (c: String) in weights.isEmpty ? 1 : weights[c] ?? 0 }
        var credit = Dictionary(uniqueKeysWithValues: categories.map { ($0, 0.0) })
        var taken: [Item] = []
        while taken.count < count {
            let open = categories.filter { !byCategory[$0]!.isEmpty && weight($0) > 0 }
            guard !open.isEmpty else { break }
            for c in open { credit[c]! += weight(c) }
            let next = open.max { credit[$0]! < credit[$1]! || (credit[$0]! == credit[$1]! && $0 > $1) }!
            credit[next]! -= open.map(weight).reduce(0, +)
            taken.append(byCategory[next]!.removeFirst())
        }
        return taken
    }

    /// Prompts stratified by their category.
    static func stratified(_ prompts: [Prompt], count: Int, seed: UInt64, weights: [String: Double] = [:]) -> [Prompt] {
        stratified(prompts, count: count, seed: seed, weights: weights) { $0.category ?? "" }
    }
}
