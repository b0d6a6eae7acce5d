import Foundation
import JSON

/// The committed reference outputs (tools/fixtures/*.py).
enum Fixture {
    static let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func json(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: Data(contentsOf: folder.appendingPathComponent(name)))
    }
}

extension JSONValue {
    var number: Double { doubleValue ?? Double(intValue!) }
    var strings: [String] { arrayValue!.map { $0.stringValue! } }
    var numbers: [Double] { arrayValue!.map(\.number) }
}
