import Foundation
import Testing
@testable import Tensor

/// Large tensors come from a pool of mappings that outlive them: a buffer handed back and taken
/// again must read as zeros like a fresh one, the pool keeps no more than its limit, and the
/// size classes cover every request.
@Suite(.timeLimit(.minutes(10))) struct BufferPoolTests {
    @Test func aBufferTakenAgainIsTheSameMemoryZeroFilled() {
        let pool = BufferPool(retainedLimit: 1 << 20)
        let bytes = 300_000
        let first = pool.take(bytes)
        #expect(UInt(bitPattern: first.buffer) % 4096 == 0 && first.size == BufferPool.classBytes(bytes))
        memset(first.buffer, 0x5A, bytes)
        pool.give(first.buffer, size: first.size)
        #expect(pool.retained == first.size)
        let second = pool.take(bytes - 100)  // the same class
        #expect(second.buffer == first.buffer && second.size == first.size)
        #expect(pool.retained == 0)
        let floats = second.buffer.bindMemory(to: Float.self, capacity: bytes / 4)
        #expect((0..<((bytes - 100) / 4)).allSatisfy { floats[$0] == 0 })
        pool.give(second.buffer, size: second.size)
    }

    /// A request takes a free buffer up to half as large again; a larger one stays free, and a
    /// request nothing fits unmaps free buffers of at least its size before mapping its own.
    @Test func requestsTakeWhatFitsAndMissesMakeRoom() {
        let pool = BufferPool(retainedLimit: 64 << 20)
        let big = pool.take(1 << 20)
        pool.give(big.buffer, size: big.size)
        let fits = pool.take(800_000)  // 1 MiB ≤ 1.5 × its class
        #expect(fits.buffer == big.buffer && fits.size == 1 << 20)
        pool.give(fits.buffer, size: fits.size)
        let tooSmall = pool.take(400_000)  // 1 MiB is more than 1.5 × its class: a miss
        #expect(tooSmall.buffer != big.buffer && tooSmall.size == BufferPool.classBytes(400_000))
        #expect(pool.retained == 0, "the miss unmapped the free MiB to make room")
        pool.give(tooSmall.buffer, size: tooSmall.size)
    }

    @Test func buffersBeyondTheLimitAreNotKept() {
        let pool = BufferPool(retainedLimit: 1 << 20)
        let buffers = (0..<5).map { _ in pool.take(300_000) }
        for b in buffers { pool.give(b.buffer, size: b.size) }
        #expect(pool.retained == 3 * BufferPool.classBytes(300_000))
        #expect(pool.retained <= pool.retainedLimit)
    }

    @Test func tensorsOfThePoolsSizesStartAtZero() {
        let count = BufferPool.minimumBytes / 4 * 3 + 5
        var first: Tensor? = Tensor(shape: [count])
        for i in 0..<count { first![i] = Float(i) + 1 }
        first = nil
        let second = Tensor(shape: [count])
        #expect((0..<count).allSatisfy { second[$0] == 0 })
    }

    @Test func classesHoldTheRequestWithinAnEighthAndWholePages() {
        for bytes in [BufferPool.minimumBytes, BufferPool.minimumBytes + 1, 1 << 20, (1 << 20) + 1, 3_000_001, 123_456_789] {
            let size = BufferPool.classBytes(bytes)
            #expect(size >= bytes && size % 4096 == 0, "\(bytes) → \(size)")
            #expect(Double(size) <= Double(bytes) * 1.125 + 4096, "\(bytes) → \(size): more than an eighth unused")
        }
        #expect(BufferPool.classBytes(1 << 20) == 1 << 20)
        #expect(BufferPool.classBytes((1 << 20) + 1) == (1 << 20) + (1 << 17))
    }
}
