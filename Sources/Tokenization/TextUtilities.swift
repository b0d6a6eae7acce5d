import Foundation
import JSON

/// The UTF-8 bytes of some scalars.
func utf8<S: Sequence>(_ scalars: S) -> [UInt8] where S.Element == Unicode.Scalar {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(scalars.underestimatedCount)
    for c in scalars { UTF8.encode(c) { bytes.append($0) } }
    return bytes
}

/// `text` with every occurrence of `target` replaced, comparing bytes (Foundation's replacement
/// would treat canonically equivalent texts as equal).
func replacingLiteral(_ target: String, with replacement: String, in text: String) -> String {
    let t = Array(target.utf8), bytes = Array(text.utf8)
    guard !t.isEmpty, bytes.count >= t.count else { return text }
    let r = Array(replacement.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    while i < bytes.count {
        if bytes[i] == t[0], i + t.count <= bytes.count, bytes[i..<(i + t.count)].elementsEqual(t) {
            out += r
            i += t.count
        } else {
            out.append(bytes[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// A string in double quotes with its control characters escaped, for error messages.
func quoted(_ s: String) -> String { JSONValue.string(s).serialized(indent: 0) }
