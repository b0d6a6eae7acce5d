import ArgumentParser
import Foundation
import Runs
import VLM

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "A training run's memory and time, estimated before it starts (sft and dpo print it too, and refuse a run that would not fit).",
        subcommands: [PlanDPO.self, PlanSFT.self])

    /// Prints the plan and whether it fits this machine; exits 1 when it does not.
    static func report(_ plan: Plan) throws {
        print(plan.description)
        do {
            try plan.check()
            print(String(format: "fits: %.0f MiB of this machine's %.0f MiB", plan.peakBytes / 1_048_576, machineMemory() / 1_048_576))
        } catch let error as CustomStringConvertible {
            print(error.description)
            throw ExitCode(1)
        }
    }
}

struct PlanDPO: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dpo", abstract: "The plan of `vlm-align dpo` with these options.")
    @OptionGroup var arguments: DPORunArguments
    func run() throws { try PlanCommand.report(try arguments.run().plan()) }
}

struct PlanSFT: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sft", abstract: "The plan of `vlm-align sft` with these options.")
    @OptionGroup var arguments: SFTRunArguments
    func run() throws { try PlanCommand.report(try arguments.run().plan()) }
}
