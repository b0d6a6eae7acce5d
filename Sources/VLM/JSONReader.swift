import JSON

/// Typed reads from a JSON object with errors that name the file and the key path.
struct JSONReader {
    let object: JSONValue
    let file: String
    let path: String

    init(_ object: JSONValue, file: String, path: String) {
        self.object = object
        self.file = file
        self.path = path
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    private func fail(_ key: String, _ expected: String) -> ModelError {
        ModelError(file: file, "\(path)\(key) must be \(expected), found \(object[key]!.serialized(indent: 0))")
    }

    func object(_ key: String) throws -> JSONReader {
        guard let reader = try optionalObject(key) else { throw ModelError(file: file, "missing \(path)\(key)") }
        return reader
    }

    func optionalObject(_ key: String) throws -> JSONReader? {
        guard let v = value(key) else { return nil }
        guard v.objectValue != nil else { throw fail(key, "an object") }
        return JSONReader(v, file: file, path: "\(path)\(key).")
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        if let i = v.intValue { return i }
        if let d = v.doubleValue, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw fail(key, "an integer")
    }

    func int(_ key: String, default d: Int) throws -> Int { try optionalInt(key) ?? d }

    /// A size: an integer from 1 to `limit` (a config that says 0 heads or a billion layers is
    /// refused by name, before anything divides by it or allocates for it).
    func size(_ key: String, default d: Int, limit: Int = 1 << 20) throws -> Int {
        let value = try int(key, default: d)
        guard (1...limit).contains(value) else { throw ModelError(file: file, "\(path)\(key) must be from 1 to \(limit), found \(value)") }
        return value
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let d = v.doubleValue else { throw fail(key, "a number") }
        return d
    }

    func double(_ key: String, default d: Double) throws -> Double { try optionalDouble(key) ?? d }

    func optionalString(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw fail(key, "a string") }
        return s
    }

    func string(_ key: String, default d: String) throws -> String { try optionalString(key) ?? d }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard let b = v.boolValue else { throw fail(key, "true or false") }
        return b
    }

    func bool(_ key: String, default d: Bool) throws -> Bool { try optionalBool(key) ?? d }

    /// An integer or a list of integers (eos_token_id may be either).
    func intList(_ key: String) throws -> [Int]? {
        guard let v = value(key) else { return nil }
        if let items = v.arrayValue {
            return try items.map {
                guard let i = $0.intValue else { throw fail(key, "integers") }
                return i
            }
        }
        return try optionalInt(key).map { [$0] }
    }
}
