import Interchange
import Testing
@testable import ShapesWorld

@Suite(.timeLimit(.minutes(10))) struct ExistenceTests {
    /// Over many scenes: half the existence questions ask about an object of the scene, as
    /// described; the absent ones match no object, half of them a near miss of a real object (one
    /// stated attribute changed) and half drawn afresh.
    @Test func absentSubjectsAreNearAndFarMisses() {
        var tags: [[String]: Int] = [:]
        let scenes = 2000
        for i in 0..<scenes {
            var sceneRNG = SeededGenerator(seed: 3, stream: 1, index: i)
            let scene = Scene.random(id: "s\(i)", style: SceneStyle(maxObjects: 1 + i % 6), using: &sceneRNG)
            var promptRNG = SeededGenerator(seed: 3, stream: 2, index: i)
            let prompts = scene.prompts(split: "train", using: &promptRNG).filter { $0.category == .existence }
            guard prompts.count == 1, case .existence(let subject) = prompts[0].question else {
                Issue.record("scene \(i): \(prompts.count) existence prompts")
                continue
            }
            let prompt = prompts[0]
            tags[prompt.tags, default: 0] += 1
            let matches = scene.objects(matching: subject)
            #expect(prompt.reference == (matches.isEmpty ? "no" : "yes"))
            let oneAway = scene.objects.contains { object -> Bool in
                let shape = subject.shape != object.shape ? 1 : 0
                let colour: Int = subject.colour.map { $0 != object.colour ? 1 : 0 } ?? 0
                let size: Int = subject.size.map { $0 != object.size ? 1 : 0 } ?? 0
                return shape + colour + size == 1
            }
            switch prompt.tags {
            case ["existence", "present"]: #expect(!matches.isEmpty, "scene \(i): \(prompt.text)")
            case ["existence", "absent", "near_miss"]: #expect(matches.isEmpty && oneAway, "scene \(i): \(prompt.text)")
            case ["existence", "absent", "far_miss"]: #expect(matches.isEmpty, "scene \(i): \(prompt.text)")
            default: Issue.record("scene \(i): tags \(prompt.tags)")
            }
        }
        let present = tags[["existence", "present"]] ?? 0, near = tags[["existence", "absent", "near_miss"]] ?? 0
        let far = tags[["existence", "absent", "far_miss"]] ?? 0
        // 1000 ± 3σ (σ ≈ 22) present; 500 ± 3σ (σ ≈ 19) of each kind of absent, a few absent
        // draws falling back to present on crowded scenes
        #expect(abs(present - 1000) < 90 && abs(near - 500) < 70 && abs(far - 500) < 70, "\(tags)")
    }
}
