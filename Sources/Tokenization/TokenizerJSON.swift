import JSON

/// Reads the parts of a Hugging Face tokenizer.json. Every error names the JSON path of the
/// offending value; the caller adds the file name.
struct TokenizerJSON {
    var model: TokenModel
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var postProcessor: PostProcessor
    var decoder: Decoder?
    var addedTokens: [AddedToken]

    init(_ root: JSONValue) throws {
        guard case .object = root else { throw TokenizerError("the top level is \(root.typeName), not an object") }
        let r = Node(root, "")
        if let version = r.optional("version"), try version.string() != "1.0" {
            throw TokenizerError("unknown tokenizer.json version \(quoted(try version.string())), expected \"1.0\"")
        }
        addedTokens = try r.optional("added_tokens")?.array().map(Self.addedToken) ?? []
        normalizer = try r.optional("normalizer").map(Self.normalizer)
        preTokenizer = try r.optional("pre_tokenizer").map(Self.preTokenizer)
        decoder = try r.optional("decoder").map(Self.decoder)
        model = try Self.model(r.required("model"))
        postProcessor = try r.optional("post_processor").map(Self.postProcessor) ?? PostProcessor()
    }

    /// A value and its JSON path, with typed accessors that throw naming the path.
    struct Node {
        let value: JSONValue
        let path: String

        init(_ value: JSONValue, _ path: String) {
            self.value = value
            self.path = path
        }

        private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        var name: String { path.isEmpty ? "the top level" : "'\(path)'" }

        /// The member, or nil when it is absent or null.
        func optional(_ key: String) -> Node? {
            guard let v = value[key], !v.isNull else { return nil }
            return Node(v, child(key))
        }

        func required(_ key: String) throws -> Node {
            guard let node = optional(key) else { throw TokenizerError("\(name) has no '\(key)'") }
            return node
        }

        func string() throws -> String {
            guard let s = value.stringValue else { throw TokenizerError("'\(path)' is \(value.typeName), expected a string") }
            return s
        }

        func int() throws -> Int {
            guard let i = value.intValue else { throw TokenizerError("'\(path)' is \(value.typeName), expected an integer") }
            return i
        }

        func bool() throws -> Bool {
            guard let b = value.boolValue else { throw TokenizerError("'\(path)' is \(value.typeName), expected true or false") }
            return b
        }

        func array() throws -> [Node] {
            guard let a = value.arrayValue else { throw TokenizerError("'\(path)' is \(value.typeName), expected an array") }
            return a.enumerated().map { Node($1, "\(path)[\($0)]") }
        }

        func object() throws -> [(String, Node)] {
            guard let o = value.objectValue else { throw TokenizerError("'\(path)' is \(value.typeName), expected an object") }
            return o.map { ($0, Node($1, child($0))) }
        }

        func scalar() throws -> Unicode.Scalar {
            let s = try string()
            guard s.unicodeScalars.count == 1 else { throw TokenizerError("'\(path)' must be a single character, got \(quoted(s))") }
            return s.unicodeScalars.first!
        }

        func type() throws -> String { try required("type").string() }

        func unsupported(_ kind: String, _ type: String) -> TokenizerError {
            TokenizerError("unsupported \(kind) type \(quoted(type)) at \(name)")
        }

        func bool(_ key: String, default d: Bool) throws -> Bool { try optional(key)?.bool() ?? d }
    }

    static func addedToken(_ n: Node) throws -> AddedToken {
        AddedToken(id: try n.optional("id")?.int() ?? -1, content: try n.required("content").string(),
                   special: try n.bool("special", default: false), lstrip: try n.bool("lstrip", default: false),
                   rstrip: try n.bool("rstrip", default: false), normalized: try n.bool("normalized", default: true),
                   singleWord: try n.bool("single_word", default: false))
    }

    /// A `{"String": …}` or `{"Regex": …}` pattern.
    static func pattern(_ n: Node) throws -> TokenRegex {
        if let literal = n.optional("String") { return TokenRegex(literal: try literal.string()) }
        if let regex = n.optional("Regex") { return try TokenRegex(pattern: try regex.string()) }
        throw TokenizerError("\(n.name) must hold \"String\" or \"Regex\"")
    }

    static func behavior(_ n: Node) throws -> SplitBehavior {
        let s = try n.string()
        guard let b = SplitBehavior(rawValue: s) else { throw TokenizerError("'\(n.path)': unknown split behavior \(quoted(s))") }
        return b
    }

    static func normalizer(_ n: Node) throws -> Normalizer {
        switch try n.type() {
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "BertNormalizer":
            let lowercase = try n.bool("lowercase", default: true)
            return .bert(cleanText: try n.bool("clean_text", default: true),
                         handleChineseChars: try n.bool("handle_chinese_chars", default: true),
                         stripAccents: try n.optional("strip_accents")?.bool() ?? lowercase, lowercase: lowercase)
        case "Replace": return .replace(try pattern(n.required("pattern")), content: try n.required("content").string())
        case "Prepend": return .prepend(try n.required("prepend").string())
        case "Strip": return .strip(left: try n.bool("strip_left", default: true), right: try n.bool("strip_right", default: true))
        case "ByteLevel": return .byteLevel
        case "Sequence": return .sequence(try n.required("normalizers").array().map(normalizer))
        case let other: throw n.unsupported("normalizer", other)
        }
    }

    static func preTokenizer(_ n: Node) throws -> PreTokenizer {
        switch try n.type() {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try n.bool("add_prefix_space", default: true), useRegex: try n.bool("use_regex", default: true))
        case "Split":
            return .split(try pattern(n.required("pattern")), behavior: try behavior(n.required("behavior")),
                          invert: try n.bool("invert", default: false))
        case "Digits": return .digits(individual: try n.bool("individual_digits", default: false))
        case "Metaspace":
            var scheme = PreTokenizer.PrependScheme.always
            if let s = n.optional("prepend_scheme") {
                let name = try s.string()
                guard let parsed = PreTokenizer.PrependScheme(rawValue: name) else {
                    throw TokenizerError("'\(s.path)': unknown prepend scheme \(quoted(name))")
                }
                scheme = parsed
            }
            if try n.optional("add_prefix_space")?.bool() == false { scheme = .never }
            return .metaspace(replacement: try n.required("replacement").scalar(), prependScheme: scheme,
                              split: try n.bool("split", default: true))
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Punctuation": return .punctuation(try n.optional("behavior").map(behavior) ?? .isolated)
        case "BertPreTokenizer": return .bert
        case "CharDelimiterSplit": return .charDelimiter(try n.required("delimiter").scalar())
        case "Sequence": return .sequence(try n.required("pretokenizers").array().map(preTokenizer))
        case let other: throw n.unsupported("pre-tokenizer", other)
        }
    }

    static func decoder(_ n: Node) throws -> Decoder {
        switch try n.type() {
        case "ByteLevel": return .byteLevel
        case "WordPiece":
            return .wordPiece(prefix: try n.optional("prefix")?.string() ?? "##", cleanup: try n.bool("cleanup", default: true))
        case "Metaspace":
            var scheme = PreTokenizer.PrependScheme.always
            if let s = n.optional("prepend_scheme") { scheme = PreTokenizer.PrependScheme(rawValue: try s.string()) ?? .always }
            if try n.optional("add_prefix_space")?.bool() == false { scheme = .never }
            return .metaspace(replacement: try n.required("replacement").scalar(), prependScheme: scheme)
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Strip":
            return .strip(content: try n.required("content").scalar(), start: try n.required("start").int(), stop: try n.required("stop").int())
        case "Replace": return .replace(try pattern(n.required("pattern")), content: try n.required("content").string())
        case "BPEDecoder": return .bpe(suffix: try n.optional("suffix")?.string() ?? "</w>")
        case "Sequence": return .sequence(try n.required("decoders").array().map(decoder))
        case let other: throw n.unsupported("decoder", other)
        }
    }

    static func vocabulary(_ n: Node) throws -> Vocabulary {
        Vocabulary(try n.object().map { ($0, try $1.int()) })
    }

    static func model(_ n: Node) throws -> TokenModel {
        // Files written before the crate tagged models have no "type"; tell them apart by their fields.
        let type = try n.optional("type")?.string()
            ?? (n.optional("merges") != nil ? "BPE" : n.optional("continuing_subword_prefix") != nil ? "WordPiece" : "WordLevel")
        switch type {
        case "BPE":
            if let dropout = n.optional("dropout"), dropout.value != .int(0), dropout.value != .double(0) {
                throw TokenizerError("'\(dropout.path)': BPE dropout is random and not supported for encoding")
            }
            let merges = try n.required("merges").array().map { m -> (String, String) in
                if let pair = m.value.arrayValue {
                    guard pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue else {
                        throw TokenizerError("'\(m.path)' must be a pair of strings")
                    }
                    return (a, b)
                }
                let line = try m.string()
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError("'\(m.path)': the merge \(quoted(line)) is not two tokens separated by one space") }
                return (String(parts[0]), String(parts[1]))
            }
            return try BPEModel(vocabulary: try vocabulary(n.required("vocab")), merges: merges,
                                unknownToken: try n.optional("unk_token")?.string(),
                                continuingSubwordPrefix: try n.optional("continuing_subword_prefix")?.string(),
                                endOfWordSuffix: try n.optional("end_of_word_suffix")?.string(),
                                fuseUnknown: try n.bool("fuse_unk", default: false),
                                byteFallback: try n.bool("byte_fallback", default: false),
                                ignoreMerges: try n.bool("ignore_merges", default: false))
        case "WordPiece":
            return WordPieceModel(vocabulary: try vocabulary(n.required("vocab")),
                                  unknownToken: try n.optional("unk_token")?.string() ?? "[UNK]",
                                  continuingSubwordPrefix: try n.optional("continuing_subword_prefix")?.string() ?? "##",
                                  maxInputCharsPerWord: try n.optional("max_input_chars_per_word")?.int() ?? 100)
        case "WordLevel":
            return WordLevelModel(vocabulary: try vocabulary(n.required("vocab")),
                                  unknownToken: try n.optional("unk_token")?.string() ?? "<unk>")
        case let other:
            throw n.unsupported("model", other)
        }
    }

    static func postProcessor(_ n: Node) throws -> PostProcessor {
        /// `["[CLS]", 101]` as BertProcessing and RobertaProcessing give their tokens.
        func pairID(_ node: Node) throws -> Int {
            let pair = try node.array()
            guard pair.count == 2 else { throw TokenizerError("\(node.name) must be [token, id]") }
            return try pair[1].int()
        }
        switch try n.type() {
        case "ByteLevel":
            return PostProcessor()
        case "BertProcessing", "RobertaProcessing":
            return PostProcessor(prefix: [try pairID(n.required("cls"))], suffix: [try pairID(n.required("sep"))])
        case "TemplateProcessing":
            var specials: [String: [Int]] = [:]
            for (name, entry) in try n.required("special_tokens").object() {
                specials[name] = try entry.required("ids").array().map { try $0.int() }
            }
            var result = PostProcessor()
            var seenSequence = false
            for piece in try n.required("single").array() {
                if let special = piece.optional("SpecialToken") {
                    let name = try special.required("id").string()
                    guard let ids = specials[name] else {
                        throw TokenizerError("\(piece.name): special token \(quoted(name)) is not in 'post_processor.special_tokens'")
                    }
                    if seenSequence { result.suffix += ids } else { result.prefix += ids }
                } else if piece.optional("Sequence") != nil {
                    seenSequence = true
                } else {
                    throw TokenizerError("\(piece.name) is neither a SpecialToken nor a Sequence")
                }
            }
            return result
        case "Sequence":
            var result = PostProcessor()
            for step in try n.required("processors").array() {
                let p = try postProcessor(step)
                result.prefix = p.prefix + result.prefix
                result.suffix += p.suffix
            }
            return result
        case let other:
            throw n.unsupported("post-processor", other)
        }
    }
}
