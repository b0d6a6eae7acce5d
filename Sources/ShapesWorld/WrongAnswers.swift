import Interchange

extension Question {
    /// A plausible wrong answer in the grammar, of the kinds models give: the flipped yes/no,
    /// the count off by one, another colour, the box of another object, a list with an object
    /// dropped, invented or mis-coloured. Synthetic preference pairs reject these.
    public func wrongAnswer(in scene: Scene, using rng: inout SeededGenerator) -> Answer {
        let truth = reference(in: scene)
        switch truth {
        case .refusal:
            return madeUpAnswer(in: scene, using: &rng)
        case .yesNo(let yes):
            return .yesNo(!yes)
        case .count(let n):
            return .count(n == 0 || rng.chance(0.5) ? n + 1 : n - 1)
        case .colour(let colour):
            return .colour(rng.pick(Colour.allCases.filter { $0 != colour }))
        case .size(let size):
            return .size(size == .small ? .large : .small)
        case .box(let box):
            let others = scene.objects.map(\.box).filter { $0 != box && $0.iou(box) < Oracle.boxIoUThreshold }
            if let other = others.isEmpty ? nil : rng.pick(others) { return .box(other) }
            // no other object: the same box moved by its own width, back inside the canvas
            let w = box.x2 - box.x1
            let dx = box.x2 + w <= scene.width ? w : -min(w, box.x1)
            return .box(Box(x1: box.x1 + dx, y1: box.y1, x2: box.x2 + dx, y2: box.y2))
        case .objects(var mentions):
            switch mentions.isEmpty ? 1 : rng.below(3) {
            case 0:
                mentions.remove(at: rng.below(mentions.count))
            case 1:
                mentions.insert(ObjectDescription(absentKind(in: scene, using: &rng)), at: rng.below(mentions.count + 1))
            default:
                let i = rng.below(mentions.count)
                let colour = mentions[i].colour
                mentions[i].colour = rng.pick(Colour.allCases.filter { $0 != colour })
            }
            return .objects(mentions)
        }
    }

    /// What a model that will not admit the object is missing says about it: a colour, a size
    /// or a box as wide as a circle of the object's size (if the question states one) somewhere
    /// inside the canvas. Unanswerable questions only; otherwise the reference.
    public func madeUpAnswer(in scene: Scene, using rng: inout SeededGenerator) -> Answer {
        guard case .unanswerable(let asked, let subject) = self else { return reference(in: scene) }
        switch asked {
        case .colour:
            return .colour(rng.pick(Colour.allCases))
        case .size:
            return .size(rng.pick(Size.allCases))
        case .box:
            let size = subject.size ?? rng.pick(Size.allCases)
            let side = Double(min(scene.width, scene.height))
            let extent = max(2, Int((2 * size.radiusFraction * side).rounded()))
            let x = rng.int(in: 0...max(0, scene.width - extent)), y = rng.int(in: 0...max(0, scene.height - extent))
            return .box(Box(x1: x, y1: y, x2: min(scene.width, x + extent), y2: min(scene.height, y + extent)))
        }
    }

    /// A kind whose colour and shape no object of the scene has.
    private func absentKind(in scene: Scene, using rng: inout SeededGenerator) -> ObjectKind {
        while true {
            let kind = ObjectKind(size: rng.pick(Size.allCases), colour: rng.pick(Colour.allCases), shape: rng.pick(Shape.allCases))
            if scene.objects(matching: ObjectDescription(colour: kind.colour, shape: kind.shape)).isEmpty { return kind }
        }
    }
}
