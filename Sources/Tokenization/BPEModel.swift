import Foundation

/// Byte-pair encoding: a word starts as its characters (or byte-fallback / unknown tokens) and the
/// adjacent pair of lowest merge rank is merged, leftmost first among equal ranks, until no pair
/// in the merge table remains. Results are cached per word, as the Rust crate does.
final class BPEModel: TokenModel, @unchecked Sendable {
    struct Merge {
        let rank: Int32
        let newID: Int32
    }

    let vocabulary: Vocabulary
    private let merges: [UInt64: Merge]
    let unknownToken: String?
    let continuingSubwordPrefix: String?
    let endOfWordSuffix: String?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool

    private var cache: [[Unicode.Scalar]: [Int]] = [:]
    private let cacheLock = NSLock()
    private static let cacheCapacity = 10_000
    private static let longestCachedWord = 256

    /// `merges` are the (left, right) token pairs in rank order.
    init(vocabulary: Vocabulary, merges pairs: [(String, String)], unknownToken: String?, continuingSubwordPrefix: String?,
         endOfWordSuffix: String?, fuseUnknown: Bool, byteFallback: Bool, ignoreMerges: Bool) throws {
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        let prefixLength = continuingSubwordPrefix?.utf8.count ?? 0
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (a, b)) in pairs.enumerated() {
            guard let left = vocabulary.id(a) else { throw TokenizerError("BPE merge \(rank) (\(quoted(a)) \(quoted(b))): \(quoted(a)) is not in the vocabulary") }
            guard let right = vocabulary.id(b) else { throw TokenizerError("BPE merge \(rank) (\(quoted(a)) \(quoted(b))): \(quoted(b)) is not in the vocabulary") }
            // The right part loses its continuing-subword prefix in the merged token.
            let merged = Array(a.utf8) + Array(b.utf8).dropFirst(prefixLength)
            guard let newID = vocabulary.id(bytes: merged) else {
                throw TokenizerError("BPE merge \(rank) (\(quoted(a)) \(quoted(b))): the merged token \(quoted(String(decoding: merged, as: UTF8.self))) is not in the vocabulary")
            }
            table[Self.key(left, right)] = Merge(rank: Int32(rank), newID: Int32(newID))
        }
        merges = table
    }

    private static func key(_ a: Int, _ b: Int) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    func tokenize(_ word: [Unicode.Scalar]) throws -> [Int] {
        if word.isEmpty { return [] }
        if ignoreMerges, let id = vocabulary.id(word) { return [id] }
        cacheLock.lock()
        let hit = cache[word]
        cacheLock.unlock()
        if let hit { return hit }
        let ids = try merge(initialSymbols(word))
        if word.count < Self.longestCachedWord {
            cacheLock.lock()
            if cache.count < Self.cacheCapacity { cache[word] = ids }
            cacheLock.unlock()
        }
        return ids
    }

    /// One id per character (with prefix/suffix), byte-fallback ids, or (fused) unknown ids.
    private func initialSymbols(_ word: [Unicode.Scalar]) throws -> [Int] {
        var symbols: [Int] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown: Int?
        let prefix = continuingSubwordPrefix.map { Array($0.utf8) } ?? []
        let suffix = endOfWordSuffix.map { Array($0.utf8) } ?? []
        for (i, c) in word.enumerated() {
            var bytes: [UInt8] = i > 0 ? prefix : []
            UTF8.encode(c) { bytes.append($0) }
            if i == word.count - 1 { bytes += suffix }
            if let id = vocabulary.id(bytes: bytes) {
                if let unk = pendingUnknown { symbols.append(unk); pendingUnknown = nil }
                symbols.append(id)
                continue
            }
            if byteFallback {
                let fallback = bytes.map { vocabulary.id(String(format: "<0x%02X>", $0)) }
                if fallback.allSatisfy({ $0 != nil }) {
                    // As in the Rust crate, a pending unknown token stays pending across these.
                    symbols += fallback.map { $0! }
                    continue
                }
            }
            guard let unknownToken else { continue }
            guard let unk = vocabulary.id(unknownToken) else {
                throw TokenizerError("BPE: the unknown token \(quoted(unknownToken)) is not in the vocabulary")
            }
            if pendingUnknown != nil && !fuseUnknown { symbols.append(unk) }
            pendingUnknown = unk
        }
        if let unk = pendingUnknown { symbols.append(unk) }
        return symbols
    }

    /// Applies merges lowest rank first (leftmost among equals) with a heap and a linked list.
    private func merge(_ initial: [Int]) -> [Int] {
        guard initial.count > 1 else { return initial }
        var ids = initial
        var prev = Array(-1..<(ids.count - 1))
        var next = Array(1...ids.count)
        next[ids.count - 1] = -1
        var alive = [Bool](repeating: true, count: ids.count)
        var heap = MergeHeap()
        for i in 0..<(ids.count - 1) {
            if let m = merges[Self.key(ids[i], ids[i + 1])] { heap.push(.init(rank: m.rank, position: Int32(i), newID: m.newID)) }
        }
        while let top = heap.pop() {
            let pos = Int(top.position)
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = next[pos]
            // Skip entries made stale by an earlier merge at either side.
            guard let m = merges[Self.key(ids[pos], ids[right])], m.newID == top.newID else { continue }
            ids[pos] = Int(m.newID)
            alive[right] = false
            next[pos] = next[right]
            if next[right] >= 0 { prev[next[right]] = pos }
            if prev[pos] >= 0, let left = merges[Self.key(ids[prev[pos]], ids[pos])] {
                heap.push(.init(rank: left.rank, position: Int32(prev[pos]), newID: left.newID))
            }
            if next[pos] >= 0, let after = merges[Self.key(ids[pos], ids[next[pos]])] {
                heap.push(.init(rank: after.rank, position: Int32(pos), newID: after.newID))
            }
        }
        var out: [Int] = []
        var i = 0
        while i >= 0 {
            out.append(ids[i])
            i = next[i]
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
private struct MergeHeap {
    struct Entry {
        let rank: Int32
        let position: Int32
        let newID: Int32
        static func < (a: Entry, b: Entry) -> Bool { a.rank != b.rank ? a.rank < b.rank : a.position < b.position }
    }

    private var items: [Entry] = []

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, items[l] < items[smallest] { smallest = l }
                if r < items.count, items[r] < items[smallest] { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return first
    }
}
