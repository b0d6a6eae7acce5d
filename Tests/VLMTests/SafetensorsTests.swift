import Foundation
import Interchange
import Tensor
import Testing
@testable import VLM

@Suite(.timeLimit(.minutes(10))) struct SafetensorsTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-align-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A file from a raw header and data section.
    static func file(header: String, data: [UInt8] = [], headerLength: UInt64? = nil, in dir: URL) throws -> URL {
        var bytes = Data()
        let h = Array(header.utf8)
        withUnsafeBytes(of: (headerLength ?? UInt64(h.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: h)
        bytes.append(contentsOf: data)
        let url = dir.appendingPathComponent("\(UUID().uuidString).safetensors")
        try bytes.write(to: url)
        return url
    }

    @Test(arguments: [SafetensorsDType.f32, .bf16, .f16])
    func writeThenReadRoundTrips(dtype: SafetensorsDType) throws {
        let dir = try Self.temporaryDirectory()
        var rng = SeededGenerator(seed: 1)
        let a = Tensor.uniform(shape: [3, 7], scale: 4, using: &rng), b = Tensor(shape: [1], values: [1.5])
        let url = dir.appendingPathComponent("w.safetensors")
        try SafetensorsWriter.write([("a", a), ("b.c", b)], metadata: ["format": "pt"], dtype: dtype, to: url)
        let file = try SafetensorsFile(path: url.path)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.entries["a"]?.shape == [3, 7] && file.entries["a"]?.dtype == dtype)
        let read = try file.tensor("a")
        let bound: Float = dtype == .f32 ? 0 : (dtype == .bf16 ? 1.0 / 128 : 1.0 / 1024)  // relative rounding of the format
        let exact = (0..<a.count).allSatisfy { abs(read[$0] - a[$0]) <= bound * abs(a[$0]) }
        #expect(exact, "\(dtype) values off by more than its rounding")
        #expect(try file.tensor("b.c").array == [1.5])
    }

    /// The writer streams through a bounded buffer: a tensor longer than it (and one that ends
    /// mid-buffer after it) reads back exactly, and a file written over is replaced whole.
    @Test(arguments: [SafetensorsDType.f32, .bf16])
    func tensorsLongerThanTheWritersBufferRoundTrip(dtype: SafetensorsDType) throws {
        let dir = try Self.temporaryDirectory()
        let long = Tensor(shape: [(1 << 20) + 3]), after = Tensor(shape: [5], values: [1, 2, 3, 4, 5])
        for i in 0..<long.count { long[i] = Float(i % 256) }  // exact in bf16
        let url = dir.appendingPathComponent("w.safetensors")
        try SafetensorsWriter.write([("x", Tensor(shape: [1 << 22]))], to: url)
        try SafetensorsWriter.write([("long", long), ("after", after)], dtype: dtype, to: url)
        let file = try SafetensorsFile(path: url.path)
        #expect(file.entries.keys.sorted() == ["after", "long"])
        let read = try file.tensor("long")
        #expect(read.count == long.count && (0..<long.count).allSatisfy { read[$0] == long[$0] })
        #expect(try file.tensor("after").array == [1, 2, 3, 4, 5])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["w.safetensors"], "no temporary file is left")
    }

    @Test func aFileThatCannotBeWrittenIsAnErrorNamingIt() throws {
        let url = try Self.temporaryDirectory().appendingPathComponent("missing/w.safetensors")
        #expect {
            try SafetensorsWriter.write([("a", Tensor(shape: [2]))], to: url)
        } throws: { error in
            "\(error)".contains(url.path) && "\(error)".contains("cannot write")
        }
    }

    @Test func bfloat16RoundsToNearestEven() {
        #expect(SafetensorsWriter.bfloat16(1.0) == 0x3F80)
        #expect(SafetensorsWriter.bfloat16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(SafetensorsWriter.bfloat16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even
        #expect(SafetensorsWriter.bfloat16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(SafetensorsWriter.bfloat16(.nan) & 0x7FC0 == 0x7FC0)
    }

    @Test func corruptFilesAreClearErrors() throws {
        let dir = try Self.temporaryDirectory()
        let entry = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let cases: [(URL, String)] = [
            (try Self.file(header: entry, data: [UInt8](repeating: 0, count: 8), headerLength: 1 << 40, in: dir), "header length"),
            (try Self.file(header: "{not json", in: dir), "not a JSON object"),
            (try Self.file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0], in: dir), "outside"),
            (try Self.file(header: #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8), in: dir), "expected 12"),
            (try Self.file(header: #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                           data: [UInt8](repeating: 0, count: 8), in: dir), "overlap"),
            (try Self.file(header: #"{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8), in: dir), "unsupported dtype I64"),
            // 2^32 × 2^32 × 4 bytes overflows: an error, not a trap
            (try Self.file(header: #"{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
                           data: [UInt8](repeating: 0, count: 8), in: dir), "shape [4294967296, 4294967296] is too large"),
        ]
        for (url, problem) in cases {
            #expect {
                _ = try SafetensorsFile(path: url.path)
            } throws: { error in
                let text = String(describing: error)
                return text.hasPrefix(url.path) && text.contains(problem)
            }
        }
        // a header that is not UTF-8
        var bytes = Data()
        withUnsafeBytes(of: UInt64(4).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [0x7B, 0xFF, 0xFE, 0x7D])
        let url = dir.appendingPathComponent("utf8.safetensors")
        try bytes.write(to: url)
        #expect { _ = try SafetensorsFile(path: url.path) } throws: { String(describing: $0).contains("UTF-8") }
        // shorter than the length field
        try Data([1, 2, 3]).write(to: url)
        #expect { _ = try SafetensorsFile(path: url.path) } throws: { String(describing: $0).contains("shorter") }
    }

    /// Saving a loaded model and loading it again gives bitwise the same parameters; sharded
    /// folders load like single files.
    @Test(arguments: FixtureModel.names)
    func saveLoadIsBitwiseIdenticalAndShardsLoad(name: String) throws {
        let model = try Idefics3Model.load(FixtureModel.folder(name))
        let dir = try Self.temporaryDirectory()
        try ModelFolder.save(model, to: dir, companionsFrom: FixtureModel.folder(name))
        let again = try Idefics3Model.load(dir)
        #expect(again.config == model.config)
        let identical = model.parameters.values.array.withUnsafeBufferPointer { a in
            again.parameters.values.array.withUnsafeBufferPointer { b in memcmp(a.baseAddress!, b.baseAddress!, a.count * 4) == 0 }
        }
        #expect(identical)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("generation_config.json").path))

        // split the weights over two shards with an index
        let sharded = try Self.temporaryDirectory()
        try FileManager.default.copyItem(at: dir.appendingPathComponent("config.json"), to: sharded.appendingPathComponent("config.json"))
        let specs = model.parameters.specs
        let half = specs.count / 2
        var weightMap: [String: String] = [:]
        for (shard, part) in [("model-00001-of-00002.safetensors", specs[..<half]), ("model-00002-of-00002.safetensors", specs[half...])] {
            try SafetensorsWriter.write(part.map { ($0.name, model.parameters[$0.name]) }, dtype: .f32, to: sharded.appendingPathComponent(shard))
            for spec in part { weightMap[spec.name] = shard }
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": weightMap])
        try index.write(to: sharded.appendingPathComponent("model.safetensors.index.json"))
        let fromShards = try Idefics3Model.load(sharded)
        #expect(fromShards.parameters.values.array == model.parameters.values.array)
    }

    @Test func mismatchedWeightsAreReportedByName() throws {
        let model = try Idefics3Model.load(FixtureModel.folder("gqa-untied"))
        let dir = try Self.temporaryDirectory()
        try FileManager.default.copyItem(at: FixtureModel.folder("gqa-untied").appendingPathComponent("config.json"),
                                         to: dir.appendingPathComponent("config.json"))
        var tensors = model.parameters.specs.map { ($0.name, model.parameters[$0.name]) }
        tensors.removeAll { $0.0 == "model.text_model.norm.weight" }
        tensors = tensors.map { $0.0 == "lm_head.weight" ? ($0.0, Tensor(shape: [3, 4])) : $0 }
        tensors.append(("model.extra.weight", Tensor(shape: [2])))
        try SafetensorsWriter.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        #expect {
            _ = try Idefics3Model.load(dir)
        } throws: { error in
            let text = String(describing: error)
            return text.contains("missing model.text_model.norm.weight [48]")
                && text.contains("lm_head.weight: expected shape [300, 48], found [3, 4]")
                && text.contains("unexpected model.extra.weight [2]")
        }
    }

    @Test func badConfigsNameTheKey() throws {
        let dir = try Self.temporaryDirectory()
        let url = dir.appendingPathComponent("config.json")
        let base = try String(contentsOf: FixtureModel.folder("gqa-untied").appendingPathComponent("config.json"), encoding: .utf8)
        for (edit, problem) in [
            (base.replacingOccurrences(of: "\"num_key_value_heads\": 2", with: "\"num_key_value_heads\": 4"), "does not divide"),
            (base.replacingOccurrences(of: "\"num_hidden_layers\": 2,\n    \"num_key_value_heads\"", with: "\"num_hidden_layers\": \"two\",\n    \"num_key_value_heads\""), "text_config.num_hidden_layers must be an integer"),
            ("[1, 2]", "not a JSON object"),
            // sizes that would divide by zero or allocate without end are refused by name
            (base.replacingOccurrences(of: "\"scale_factor\": 2", with: "\"scale_factor\": 0"), "scale_factor must be from 1 to 64, found 0"),
            (base.replacingOccurrences(of: "\"patch_size\": 8", with: "\"patch_size\": 0"), "vision_config.patch_size must be from 1 to 1024, found 0"),
            (base.replacingOccurrences(of: "\"num_attention_heads\": 6,\n    \"num_hidden_layers\": 2,\n    \"num_key_value_heads\"",
                                       with: "\"num_attention_heads\": 0,\n    \"num_hidden_layers\": 2,\n    \"num_key_value_heads\""),
             "text_config.num_attention_heads must be from 1 to 1024, found 0"),
            (base.replacingOccurrences(of: "\"num_hidden_layers\": 2,\n    \"num_key_value_heads\"", with: "\"num_hidden_layers\": 1000000000,\n    \"num_key_value_heads\""),
             "text_config.num_hidden_layers must be from 1 to 1024"),
        ] {
            try edit.write(to: url, atomically: true, encoding: .utf8)
            #expect { _ = try Idefics3Config(contentsOf: url) } throws: { error in
                let text = String(describing: error)
                return text.hasPrefix(url.path) && text.contains(problem)
            }
        }
    }
}
