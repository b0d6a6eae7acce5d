import Foundation
import GRDB
import Interchange
@testable import Preferences

/// A fresh folder under the system's temporary folder, removed when released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "vlm-align-tests-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func appending(_ path: String) -> URL { url.appending(path: path) }

    func write(_ text: String, to name: String) throws -> URL {
        let file = appending(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }
}

enum Fixtures {
    /// A valid RGB PNG (stored deflate blocks), its pixels derived from `seed`.
    static func png(width: Int, height: Int, seed: Int) -> Data {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)  // filter: none
            for x in 0..<width {
                raw += [UInt8(truncatingIfNeeded: seed &* 31 &+ x), UInt8(truncatingIfNeeded: seed &* 7 &+ y), UInt8(truncatingIfNeeded: seed >> 8)]
            }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, raw.count - offset)
            let final: UInt8 = offset + length == raw.count ? 1 : 0
            zlib += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            zlib += raw[offset..<offset + length]
            offset += length
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        zlib += bigEndian(b << 16 | a)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        png += chunk("IDAT", zlib)
        png += chunk("IEND", [])
        return Data(png)
    }

    /// A JPEG's first bytes up to its frame header: enough for the header reader, not a picture.
    static func jpegHeader(width: Int, height: Int) -> Data {
        let app0: [UInt8] = [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        let sof0: [UInt8] = [0xFF, 0xC0, 0x00, 0x11, 8, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 3,
                             1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        return Data([0xFF, 0xD8] + app0 + sof0 + [0xFF, 0xD9])
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in body {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return bigEndian(UInt32(data.count)) + body + bigEndian(~crc)
    }

    /// A TRL preference row with a conversational prompt over one image.
    static func conversationalRow(image: String, question: String, chosen: String, rejected: String) -> TRLPreferenceRow {
        TRLPreferenceRow(
            images: [image],
            prompt: .messages([ChatMessage(role: "user", content: .parts([.image, .text(question)]))]),
            chosen: .messages([ChatMessage(role: "assistant", content: .parts([.text(chosen)]))]),
            rejected: .messages([ChatMessage(role: "assistant", content: .parts([.text(rejected)]))]))
    }

    /// Writes `count` images and a TRL JSONL file over them (alternating conversational and plain
    /// rows) into `folder`; returns the JSONL file and its rows.
    @discardableResult
    static func writeTRLFile(count: Int, in folder: TemporaryFolder, name: String = "pairs.jsonl", seed: Int = 0) throws
        -> (file: URL, rows: [TRLPreferenceRow]) {
        try FileManager.default.createDirectory(at: folder.appending("images"), withIntermediateDirectories: true)
        var rows: [TRLPreferenceRow] = []
        for i in 0..<count {
            let image = "images/\(seed)-\(i).png"
            try png(width: 3 + i % 5, height: 2 + i % 3, seed: seed * 100_000 + i).write(to: folder.appending(image))
            if i % 2 == 0 {
                rows.append(conversationalRow(image: image, question: "How many shapes are in picture \(i)?", chosen: "\(i % 7) shapes.",
                                              rejected: "\(i % 7 + 1) shapes."))
            } else {
                rows.append(TRLPreferenceRow(images: [image], prompt: .plain("What colour is shape \(i)?"), chosen: .plain("Red (\(i))."),
                                             rejected: .plain("Blue (\(i)).")))
            }
        }
        return (try writeRows(rows, to: name, in: folder), rows)
    }

    /// Writes rows as JSON Lines.
    @discardableResult
    static func writeRows(_ rows: [TRLPreferenceRow], to name: String, in folder: TemporaryFolder) throws -> URL {
        let lines = try rows.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try folder.write(lines.joined(separator: "\n") + "\n", to: name)
    }
}

extension Workspace {
    /// Rows in each content table.
    func rowCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for table in ["blob", "prompt", "promptImage", "candidate", "pair", "comparison"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)")!
            }
            return counts
        }
    }

    /// Files under blobs/.
    func blobFileCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: blobsFolder.path).reduce(0) { total, sub in
            total + (try FileManager.default.contentsOfDirectory(atPath: blobsFolder.appending(path: sub).path)).count
        }
    }
}
