/// GPT-2's reversible map from bytes to printable characters: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) for U+0100 onwards in order.
enum ByteLevelAlphabet {
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// Indexed by scalar value; -1 for characters outside the alphabet (all of them are below U+0144).
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, s) in byteToScalar.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    static func byte(for c: Unicode.Scalar) -> UInt8? {
        guard Int(c.value) < scalarToByte.count else { return nil }
        let b = scalarToByte[Int(c.value)]
        return b < 0 ? nil : UInt8(b)
    }

    /// Each UTF-8 byte of `text` as its alphabet character.
    static func encode(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        for c in text {
            UTF8.encode(c) { out.append(byteToScalar[Int($0)]) }
        }
        return out
    }
}
