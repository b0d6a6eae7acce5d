/// 256 random bits from the system's generator as 64 hex digits: reviewer tokens, session
/// tokens, CSRF tokens.
func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<4).map { _ in
        let hex = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
}
