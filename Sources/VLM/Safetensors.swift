import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Tensor

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping names
/// to dtype, shape and byte offsets, then the raw little-endian data.
public enum SafetensorsDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    var size: Int { self == .f32 ? 4 : 2 }
}

/// One tensor's entry in a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    public let dtype: SafetensorsDType
    public let shape: [Int]
    let range: Range<Int>  // within the data section
}

/// A file written through its descriptor, closed when done or dropped.
final class FileWriter {
    struct Failure: Error { let reason: String; init(_ reason: String) { self.reason = reason } }
    private var fd: Int32

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(String(cString: strerror(errno))) }
    }

    deinit { if fd >= 0 { closeDescriptor(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = writeDescriptor(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure(String(cString: strerror(errno))) }
            guard n > 0 else { throw Failure("the disk took no bytes") }
            done += n
        }
    }

    func close() throws {
        let result = closeDescriptor(fd)
        fd = -1
        guard result == 0 else { throw Failure(String(cString: strerror(errno))) }
    }
}

// the C library's, under names `FileWriter`'s own methods do not hide
private func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
@discardableResult private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

/// A memory-mapped safetensors file, validated when opened.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let entries: [String: SafetensorsEntry]
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// Tensors named in `ignoring` are left out unread, whatever their dtype (buffers such as
    /// BERT's int64 `embeddings.position_ids`, which transformers writes beside the weights).
    public init(path: String, ignoring ignored: Set<String> = []) throws {
        file = try MappedFile(path: path)
        self.path = path
        let bytes = file.bytes
        func fail(_ problem: String) -> ModelError { ModelError(file: path, problem) }
        guard bytes.count >= 8 else { throw fail("not a safetensors file: \(bytes.count) bytes, shorter than its 8-byte header length") }
        let headerLength = bytes.loadUnaligned(as: UInt64.self).littleEndian
        // safetensors' own limit: a header is metadata, not data
        guard headerLength <= 100_000_000 else { throw fail("header length \(headerLength) is over safetensors' limit of 100000000 bytes") }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file's \(bytes.count - 8) remaining bytes (truncated or not safetensors)")
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        guard let text = String(validating: headerBytes, as: UTF8.self) else { throw fail("header is not valid UTF-8") }
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let dataLength = bytes.count - dataStart
        var entries: [String: SafetensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                guard let values = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = values
                continue
            }
            if ignored.contains(name) { continue }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor \(name): entry needs dtype, shape and two data_offsets") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw fail("tensor \(name): unsupported dtype \(dtypeName) (F32, F16 and BF16 are read)")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw fail("tensor \(name): data offsets \(offsets) outside the \(dataLength)-byte data section")
            }
            // a crafted shape must not overflow the byte count (a trap, not an error)
            var expected = dtype.size
            for dim in shape {
                let (product, overflow) = expected.multipliedReportingOverflow(by: dim)
                guard !overflow else { throw fail("tensor \(name): shape \(shape) is too large to address") }
                expected = product
            }
            guard offsets[1] - offsets[0] == expected else {
                throw fail("tensor \(name): \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtypeName) (expected \(expected))")
            }
            entries[name] = SafetensorsEntry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        let ordered = entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.value.range.overlaps(b.value.range) {
            throw fail("tensors \(a.key) and \(b.key) overlap in the data section")
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// The tensor converted to fp32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw ModelError(file: path, "no tensor named \(name)") }
        let t = Tensor(shape: entry.shape)
        read(entry, into: t.data)
        return t
    }

    /// Converts the tensor's data to fp32 into `out` (count = the entry's element count), then
    /// lets its mapped pages go.
    func read(_ entry: SafetensorsEntry, into out: UnsafeMutablePointer<Float>) {
        defer { file.release(dataStart + entry.range.lowerBound..<dataStart + entry.range.upperBound) }
        let source = file.bytes.baseAddress! + dataStart + entry.range.lowerBound
        let count = entry.shape.reduce(1, *)
        switch entry.dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 4)
        case .bf16:
            for i in 0..<count {
                let bits = UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)
                out[i] = Float(bitPattern: bits << 16)
            }
        case .f16:
            for i in 0..<count {
                out[i] = Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian))
            }
        }
    }
}

public enum SafetensorsWriter {
    /// Writes tensors (in the given order) as one safetensors file, fp32 or bf16, atomically.
    public static func write(
        _ tensors: [(String, Tensor)], metadata: [String: String] = [:],
        dtype: SafetensorsDType = .f32, to url: URL
    ) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            let length = t.count * dtype.size
            header[name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + length]]
            offset += length
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so that the data section starts 8-byte aligned.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        // streamed through a bounded buffer into a file beside `url`, renamed over it at the end:
        // saving never holds a second copy of the weights (or of an optimizer's moments)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        do {
            let file = try FileWriter(path: temporary.path)
            var head = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { head.append(contentsOf: $0) }
            head.append(json)
            try head.withUnsafeBytes { try file.write($0) }
            let chunk = 1 << 20
            var words = [UInt16](repeating: 0, count: dtype == .f32 ? 0 : chunk)
            for (_, t) in tensors {
                for start in stride(from: 0, to: t.count, by: chunk) {
                    let n = min(chunk, t.count - start), source = t.data + start
                    switch dtype {
                    case .f32:
                        try file.write(UnsafeRawBufferPointer(start: source, count: n * 4))
                    case .bf16, .f16:
                        for i in 0..<n {
                            words[i] = (dtype == .bf16 ? bfloat16(source[i]) : Float16(source[i]).bitPattern).littleEndian
                        }
                        try words.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)])) }
                    }
                }
            }
            try file.close()
            guard rename(temporary.path, url.path) == 0 else { throw FileWriter.Failure(String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ModelError(file: url.path, "cannot write: \((error as? FileWriter.Failure)?.reason ?? error.localizedDescription)")
        }
    }

    /// fp32 → bf16 with round-to-nearest-even, as torch converts; NaN stays NaN.
    static func bfloat16(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
