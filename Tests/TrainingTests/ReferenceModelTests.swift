import Foundation
import Interchange
import Tensor
import TestSupport
import Testing
import VLM
@testable import Training

/// A reference given as a folder is loaded only when its log-probs are needed, gives the same
/// log-probs as the loaded model, and loads again after it was released.
@Suite(.timeLimit(.minutes(10))) struct ReferenceModelTests {
    @Test func aFolderReferenceScoresLikeTheLoadedModelAndIsLoadedOnlyWhenNeeded() throws {
        let fixture = try TRLFixture()
        let folder = TRLFixture.folder.appendingPathComponent("reference")
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy")).trainable()
        let loaded = try DPOTrainer(policy: policy, adapters: nil, reference: .model(try Idefics3Model.load(folder)), settings: DPOSettings())
        let lazy = try DPOTrainer(policy: policy, adapters: nil, reference: .folder(folder), settings: DPOSettings())
        let expected = try loaded.referenceLogProbs(pairs)
        let first = try lazy.referenceLogProbs(pairs)
        lazy.releaseReference()
        let again = try lazy.referenceLogProbs(pairs)
        for i in pairs.indices {
            #expect(first[i].chosen == expected[i].chosen && first[i].rejected == expected[i].rejected, "pair \(i)")
            #expect(again[i].chosen == expected[i].chosen && again[i].rejected == expected[i].rejected, "pair \(i) after release")
        }
    }

    @Test func aMissingFolderIsAnErrorWhenScoringNotBefore() throws {
        let fixture = try TRLFixture()
        let processor = try ImageProcessor(folder: TRLFixture.folder.appendingPathComponent("policy"))
        let pairs = try fixture.pairs(processor: processor)
        let policy = try Idefics3Model.load(TRLFixture.folder.appendingPathComponent("policy")).trainable()
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-reference-\(UUID().uuidString)")
        let trainer = try DPOTrainer(policy: policy, adapters: nil, reference: .folder(missing), settings: DPOSettings())
        #expect {
            _ = try trainer.referenceLogProbs(pairs)
        } throws: { error in
            "\(error)".contains(missing.lastPathComponent)
        }
    }
}
