import Foundation
import GRDB
@testable import Preferences
import Testing

@Suite struct PairImportTests {
    @Test func importStoresPromptsCandidatesPairsAndVerdicts() throws {
        let folder = try TemporaryFolder()
        let workspace = try Workspace.create(at: folder.appending("ws"))
        let (file, rows) = try Fixtures.writeTRLFile(count: 6, in: folder)
        let report = try workspace.importPairs(from: file)
        #expect(report.rows == 6 && report.promptsAdded == 6 && report.candidatesAdded == 12 && report.pairsAdded == 6)
        #expect(report.imagesAdded == 6 && report.verdictsAdded == 6 && report.verdictsChanged == 0)
        try workspace.database.read { db in
            #expect(try Pair.fetchCount(db) == 6)
            let verdicts = try Comparison.fetchAll(db)
            #expect(verdicts.count == 6)
            for (pair, row) in zip(try Pair.order(Column("id")).fetchAll(db), rows) {
                let chosen = try Candidate.fetchOne(db, id: pair.candidateA)!
                #expect(chosen.body == row.chosen)
                #expect(try Prompt.fetchOne(db, id: pair.promptId)!.body == row.prompt)
                #expect(pair.reason == .imported)
            }
        }
    }
}
