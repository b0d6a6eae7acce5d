import Foundation
import GRDB
import Interchange
import Testing
@testable import Preferences

@Suite(.timeLimit(.minutes(10))) struct PairImportTests {
    @Test func importStoresPromptsCandidatesPairsAndVerdicts() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, rows) = try Fixtures.writeTRLFile(count: 6, in: folder)
        let report = try workspace.importPairs(from: file)
        #expect(report.rows == 6 && report.promptsAdded == 6 && report.candidatesAdded == 12 && report.pairsAdded == 6)
        #expect(report.imagesAdded == 6 && report.verdictsAdded == 6 && report.verdictsChanged == 0)
        try workspace.database.read { db in
            let pairs = try Pair.order(Column("id")).fetchAll(db)
            #expect(pairs.count == 6)
            for (pair, row) in zip(pairs, rows) {
                #expect(try Candidate.fetchOne(db, id: pair.candidateA)!.body == row.chosen)
                #expect(try Candidate.fetchOne(db, id: pair.candidateB)!.body == row.rejected)
                #expect(try Prompt.fetchOne(db, id: pair.promptId)!.body == row.prompt)
                #expect(pair.reason == .imported && pair.round == nil)
                let verdicts = try Comparison.filter(Column("pairId") == pair.id!).fetchAll(db)
                #expect(verdicts.count == 1 && verdicts[0].verdict == .a && verdicts[0].leftShown == nil)
            }
        }
        let image = try workspace.images(ofPrompt: 1)
        #expect(image.count == 1 && image[0].format == .png && image[0].width == 3 && image[0].height == 2)
        let stored = try Data(contentsOf: workspace.blobURL(image[0].sha256))
        #expect(stored == (try Data(contentsOf: folder.appending(rows[0].images[0]))))
        #expect(SHA256.hex(stored) == image[0].sha256)
    }

    /// The "Done when" of the store: TRL JSONL in, freeze, export: the same pairs come out, with
    /// the same image bytes, for plain and conversational rows, several images or none.
    @Test func importFreezeExportGivesBackTheInputPairs() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        var (_, rows) = try Fixtures.writeTRLFile(count: 7, in: folder)
        try Fixtures.png(width: 9, height: 4, seed: 99).write(to: folder.appending("images/extra.png"))
        rows.append(TRLPreferenceRow(
            images: ["images/0-1.png", "images/extra.png"],
            prompt: .messages([ChatMessage(role: "system", content: .text("Answer briefly.")),
                               ChatMessage(role: "user", content: .parts([.image, .text("Compare"), .image, .text("these.")]))]),
            chosen: .messages([ChatMessage(role: "assistant", content: .text("The left has more."))]),
            rejected: .messages([ChatMessage(role: "assistant", content: .text("They are equal."))])))
        rows.append(TRLPreferenceRow(images: [], prompt: .plain("No picture: what is 2+2?"), chosen: .plain("4"), rejected: .plain("5")))
        let train = try Fixtures.writeRows(rows, to: "train-in.jsonl", in: folder)
        let heldOutRows = Array(try Fixtures.writeTRLFile(count: 3, in: folder, name: "held-in.jsonl", seed: 1).rows)
        try workspace.importPairs(from: train)
        try workspace.importPairs(from: folder.appending("held-in.jsonl"), split: .heldOut)

        let (version, _) = try workspace.freezeDataset(policy: .majority)
        #expect(version.pairCount == rows.count + heldOutRows.count && version.trainCount == rows.count && version.heldOutCount == 3)
        let out = folder.appending("export")
        let files = try workspace.exportDataset(version, to: out)
        #expect(files.map(\.lastPathComponent) == ["train.jsonl", "held-out.jsonl", "dataset.json", "reviews.jsonl"])

        for (name, input) in [("train.jsonl", rows), ("held-out.jsonl", heldOutRows)] {
            let exported = try JSONLines.read(TRLPreferenceRow.self, from: out.appending(path: name)).map(\.row)
            #expect(exported.count == input.count)
            for (got, want) in zip(exported, input) {
                #expect(got.prompt == want.prompt && got.chosen == want.chosen && got.rejected == want.rejected)
                let gotImages = try got.images.map { try Data(contentsOf: out.appending(path: $0)) }
                let wantImages = try want.images.map { try Data(contentsOf: folder.appending($0)) }
                #expect(gotImages == wantImages, "images of \(want.prompt.text)")
            }
        }
        // The export imports into a fresh workspace as the same dataset.
        let again = try Workspace.create(at: folder.appending("ws2"))
        try again.importPairs(from: out.appending(path: "train.jsonl"))
        try again.importPairs(from: out.appending(path: "held-out.jsonl"), split: .heldOut)
        #expect(try again.freezeDataset(policy: .majority).version.contentHash == version.contentHash)
    }

    @Test func reimportingTheSameFileChangesNothing() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, _) = try Fixtures.writeTRLFile(count: 5, in: folder)
        #expect(!(try workspace.importPairs(from: file)).changedNothing)
        let before = try workspace.contentDigest()
        let report = try workspace.importPairs(from: file)
        #expect(report.changedNothing && report.rows == 5)
        #expect(try workspace.contentDigest() == before)
    }

    @Test func aPromptStaysInItsSplitAndTheReportSaysSo() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, _) = try Fixtures.writeTRLFile(count: 3, in: folder)
        try workspace.importPairs(from: file)
        let report = try workspace.importPairs(from: file, split: .heldOut)
        #expect(report.promptsKeptInOtherSplit == 3)
        #expect(report.description == "pairs.jsonl: 3 rows; 3 prompts were already in the other split and stay there")
        #expect(try workspace.database.read { try Prompt.filter(Column("split") == Split.train).fetchCount($0) } == 3)
    }

    @Test func aFileThatReversesEarlierVerdictsReplacesThemAndSaysSo() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (_, rows) = try Fixtures.writeTRLFile(count: 4, in: folder)
        try workspace.importPairs(from: try Fixtures.writeRows(rows, to: "a.jsonl", in: folder))
        let swapped = rows.map { TRLPreferenceRow(images: $0.images, prompt: $0.prompt, chosen: $0.rejected, rejected: $0.chosen) }
        let report = try workspace.importPairs(from: try Fixtures.writeRows(swapped, to: "b.jsonl", in: folder))
        #expect(report.verdictsChanged == 4 && report.verdictsAdded == 0 && report.pairsAdded == 0 && report.candidatesAdded == 0)
        #expect(report.description == "b.jsonl: 4 rows; 4 earlier verdicts reversed")
        #expect(try workspace.votes().map(\.verdict) == [.b, .b, .b, .b])
    }

    /// A bad line anywhere stops the import with the file and line, and nothing of the file is
    /// stored: not a row, not a blob.
    @Test(arguments: [
        (#"{"images": [], "prompt": "q", "chosen": "#, "not valid JSON"),
        (#"[1, 2]"#, "not a JSON object"),
        (#"{"prompt": "q", "chosen": "a", "rejected": "b"}"#, #"missing "images""#),
        (#"{"images": [], "prompt": 3, "chosen": "a", "rejected": "b"}"#, "prompt: "),
        (#"{"images": ["images/missing.png"], "prompt": "q", "chosen": "a", "rejected": "b"}"#, #"image "images/missing.png" not found"#),
        (#"{"images": ["notes.txt"], "prompt": "q", "chosen": "a", "rejected": "b"}"#, #"image "notes.txt": not a PNG or JPEG image"#),
        (#"{"images": [], "prompt": "q", "chosen": "same", "rejected": "same"}"#, "chosen and rejected are the same answer"),
        (#"{"images": ["images/0-0.png"], "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "image"}]}], "chosen": "a", "rejected": "b"}"#,
         "the prompt has 2 image placeholders but 1 images"),
        (#"{"images": [], "prompt": [{"role": "user", "content": [{"type": "video"}]}], "chosen": "a", "rejected": "b"}"#,
         #"unknown content part type "video""#),
        (#"{"images": [], "prompt": "q", "chosen": [{"role": "assistant", "content": [{"type": "image"}]}], "rejected": "b"}"#,
         "chosen holds an image; answers are text"),
        (#"{"images": [], "prompt": [{"content": "q"}], "chosen": "a", "rejected": "b"}"#, #"missing "role" in prompt[0]"#),
    ])
    func badLineIsAnErrorWithFileAndLineAndStoresNothing(line: String, problem: String) throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (good, rows) = try Fixtures.writeTRLFile(count: 2, in: folder)
        try workspace.importPairs(from: good)
        let (digest, blobs) = (try workspace.contentDigest(), try workspace.blobFileCount())
        _ = try folder.write("just words\n", to: "notes.txt")
        let fresh = try Fixtures.writeTRLFile(count: 3, in: folder, name: "fresh.jsonl", seed: 5).rows
        let lines = try [fresh[0], fresh[1]].map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let file = try folder.write([lines[0], "", line, lines[1]].joined(separator: "\n"), to: "bad.jsonl")

        let error = try #require(throws: StoreError.self) { try workspace.importPairs(from: file) }
        guard case let .badInput(path, lineNumber, message) = error else { Issue.record("unexpected \(error)"); return }
        #expect(path == file.path && lineNumber == 3)
        #expect(message.contains(problem), "\(message)")
        #expect(try workspace.contentDigest() == digest)
        #expect(try workspace.blobFileCount() == blobs)
        #expect(try workspace.rowCounts()["pair"] == rows.count)
    }

    @Test func theSamePairSwappedLaterInTheFileIsAnError() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        var (_, rows) = try Fixtures.writeTRLFile(count: 3, in: folder)
        rows.append(TRLPreferenceRow(images: rows[1].images, prompt: rows[1].prompt, chosen: rows[1].rejected, rejected: rows[1].chosen))
        let file = try Fixtures.writeRows(rows, to: "contradicts.jsonl", in: folder)
        #expect(throws: StoreError.badInput(file: file.path, line: 4, problem: "the same pair as line 2 with chosen and rejected swapped")) {
            try workspace.importPairs(from: file)
        }
        #expect(try workspace.rowCounts().values.allSatisfy { $0 == 0 })
    }

    @Test func unknownOrDisabledReviewerIsRefusedBeforeAnythingIsStored() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, _) = try Fixtures.writeTRLFile(count: 2, in: folder)
        #expect(throws: StoreError.notNamed(kind: "reviewer", name: "nobody")) { try workspace.importPairs(from: file, reviewer: "nobody") }
        _ = try workspace.addReviewer(name: "gone")
        try workspace.setReviewer(named: "gone", disabled: true)
        #expect(throws: StoreError.refused("reviewer \"gone\" is disabled")) { try workspace.importPairs(from: file, reviewer: "gone") }
        #expect(try workspace.rowCounts().values.allSatisfy { $0 == 0 })
        #expect(try workspace.importPairs(from: file, reviewer: "imported").pairsAdded == 2)
    }

    @Test func missingOrEmptyFileIsNamed() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let missing = folder.appending("nope.jsonl")
        #expect(throws: StoreError.badInput(file: missing.path, line: nil, problem: "no such file")) { try workspace.importPairs(from: missing) }
        let empty = try folder.write("\n\n", to: "empty.jsonl")
        #expect(throws: StoreError.badInput(file: empty.path, line: nil, problem: "no rows")) { try workspace.importPairs(from: empty) }
    }

    @Test func arrowStyleNullsAndExtraColumnsReadAsTRLRows() throws {
        let json = #"""
            {"id": 17, "images": ["a.png"], "prompt": [{"role": "user", "content": [{"type": "image", "text": null}, {"type": "text", "text": "Q?"}]}], "chosen": "yes", "rejected": "no"}
            """#
        let row = try JSONDecoder().decode(TRLPreferenceRow.self, from: Data(json.utf8))
        #expect(row.prompt == .messages([ChatMessage(role: "user", content: .parts([.image, .text("Q?")]))]))
        #expect(row.prompt.text == "Q?" && row.prompt.imagePlaceholders == 1)
    }
}
