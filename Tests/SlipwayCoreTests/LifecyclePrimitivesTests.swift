import SlipwayCore
import Testing

/// The two primitives services use to take work from outside and to wait for one another.
@Suite struct LifecyclePrimitivesTests {
    @Test func everyElementAcceptedBeforeTheQueueClosesIsDrainedAndNoneAfter() async {
        let queue = WorkQueue<Int>()
        #expect(queue.add(1))
        #expect(queue.add(2))
        let drained = await withTaskGroup(of: [Int].self) { group in
            group.addTask {
                var seen: [Int] = []
                await queue.drain { seen.append($0) }
                return seen
            }
            #expect(queue.add(3))
            queue.close()
            #expect(!queue.add(4), "a closed queue refuses")
            return await group.next() ?? []
        }
        #expect(drained == [1, 2, 3])
    }

    @Test func aCancelledDrainClosesTheQueueAndStillHandsOutWhatItAccepted() async {
        let queue = WorkQueue<Int>()
        #expect(queue.add(1))
        let drained = await withTaskGroup(of: [Int].self) { group in
            group.addTask {
                var seen: [Int] = []
                await queue.drain { seen.append($0) }
                return seen
            }
            group.cancelAll()
            return await group.next() ?? []
        }
        #expect(drained == [1])
        #expect(!queue.add(2))
    }

    @Test func waitersOfAnEventWakeWhenItHappensAndLaterOnesReturnAtOnce() async {
        let event = OneTimeEvent()
        let woken = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 { group.addTask { await event.wait() } }
            #expect(!event.hasHappened)
            event.signal()
            var all: [Bool] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(woken == [true, true, true])
        #expect(await event.wait())
    }

    @Test func aCancelledWaitReturnsFalseAndATimedOutOneToo() async {
        let event = OneTimeEvent()
        let cancelled = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await event.wait() }
            group.cancelAll()
            return await group.next() ?? true
        }
        #expect(!cancelled)
        #expect(await event.wait(timeout: .milliseconds(1)) == false)
    }
}
