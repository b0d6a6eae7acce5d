import Foundation
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
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            switch dtype {
            case .f32:
                out.append(UnsafeBufferPointer(start: t.data, count: t.count))
            case .bf16:
                var words = [UInt16](repeating: 0, count: t.count)
                for i in 0..<t.count { words[i] = bfloat16(t.data[i]).littleEndian }
                words.withUnsafeBytes { out.append(contentsOf: $0) }
            case .f16:
                var words = [UInt16](repeating: 0, count: t.count)
                for i in 0..<t.count { words[i] = Float16(t.data[i]).bitPattern.littleEndian }
                words.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        do {
            try out.write(to: url, options: .atomic)
        } catch {
            throw ModelError(file: url.path, "cannot write: \(error.localizedDescription)")
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
