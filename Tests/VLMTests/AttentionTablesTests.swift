import Testing
@testable import VLM

/// When a training pass keeps attention's tables for backward.
@Suite struct AttentionTablesTests {
    @Test func longSequencesKeepTheirTablesWhereTheyFit() {
        let fits = Int(machineMemory() / 16) / 4, long = AttentionTables.minimumTokens
        #expect(AttentionTables.kept(tokens: long, passFloats: fits, training: true))
        #expect(!AttentionTables.kept(tokens: long - 1, passFloats: 1, training: true), "short sequences compute them again")
        #expect(!AttentionTables.kept(tokens: long, passFloats: fits + 1, training: true), "more than a sixteenth of memory")
        #expect(!AttentionTables.kept(tokens: long, passFloats: 1, training: false), "inference keeps nothing")
    }
}
