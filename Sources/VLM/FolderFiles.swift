import Foundation
import JSON
import Tokenization

/// Reading the files of a Hugging Face model folder that every family reads the same way.
enum FolderFiles {
    /// A JSON object file (config.json, …), or an error naming the file and what is wrong.
    static func jsonObject(at url: URL) throws -> JSONValue {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError(file: url.path, "cannot read: \(error.localizedDescription)")
        }
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch { throw ModelError(file: url.path, "not valid JSON: \(error)") }
        guard json.objectValue != nil else { throw ModelError(file: url.path, "not a JSON object") }
        return json
    }

    /// The image processor's settings: preprocessor_config.json (transformers 4.x), or the
    /// `image_processor` object of processor_config.json (5.x), with the file they came from.
    static func imageProcessorSettings(folder: URL) throws -> (file: URL, settings: JSONValue) {
        let pre = folder.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: pre.path) { return (pre, try jsonObject(at: pre)) }
        let processor = folder.appendingPathComponent("processor_config.json")
        if FileManager.default.fileExists(atPath: processor.path),
           let nested = try jsonObject(at: processor)["image_processor"], nested.objectValue != nil {
            return (processor, nested)
        }
        throw ModelError(file: folder.path, "no preprocessor_config.json, nor processor_config.json with an image_processor")
    }

    /// The folder's tokenizer, and its chat template or why it has none (plain prompts work
    /// without one; conversations then fail with that reason).
    static func tokenizerAndTemplate(folder: URL) throws -> (Tokenizer, ChatTemplate?, problem: String?) {
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(directory: folder)
        } catch {
            throw ModelError(file: folder.appendingPathComponent("tokenizer.json").path, "\(error)")
        }
        do {
            return (tokenizer, try ChatTemplate(directory: folder), nil)
        } catch {
            return (tokenizer, nil, "\(error)")
        }
    }
}
