import ArgumentParser
import Foundation
import Rounds

struct MineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mine",
        abstract: "Pick pairs by the current checkpoint's confidence p: uncertain (p nearest 0.5), confidently-wrong, or random.")

    @OptionGroup var location: WorkspaceOption
    @Option(help: "uncertain, confidently-wrong or random.") var strategy = MiningStrategy.uncertain
    @Option(help: "How many pairs.") var k = 20
    @Option(help: "β of the confidence p.") var beta: Double = 0.1
    @Option var seed: UInt64 = 0

    func run() throws {
        let mined = try AlignmentRounds.open(location).mine(strategy, k: k, beta: beta, seed: seed)
        guard !mined.isEmpty else {
            print(strategy == .confidentlyWrong ? "no reviewed pair the model gets wrong" : "no unreviewed pair to pick from")
            return
        }
        print(table(["PAIR", "p", "CHOSEN", "PROMPT", "A", "B"], mined.map { m in
            [m.pairID.map { "\($0)" } ?? "-", m.p.isNaN ? "-" : String(format: "%.3f", m.p), m.chosen?.rawValue ?? "-",
             excerpt(m.prompt, 40), excerpt(m.a, 30), excerpt(m.b, 30)]
        }))
    }
}
