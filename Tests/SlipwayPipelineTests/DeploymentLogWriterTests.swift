import Foundation
import SlipwayCore
import SlipwaySandbox
import Synchronization
import Testing

@testable import SlipwayPipeline

@Suite struct DeploymentLogWriterTests {
    func temporaryLog() -> (layout: DataLayout, uid: UUID) {
        let layout = DataLayout(
            root: FileManager.default.temporaryDirectory.appendingPathComponent("slipway-log-\(UUID().uuidString.prefix(8))").path)
        try? layout.createDirectories()
        return (layout, UUID())
    }

    @Test func recordsAreOneJSONObjectPerLineWithEscapes() {
        let line = LogLine(
            timestamp: Timestamp.date(microseconds: 1_768_658_131_000_001), stream: .stderr, stage: .build, text: "a \"quote\"\\\t\u{1}é")
        #expect(
            DeploymentLogWriter.encode(line)
                == #"{"ts":1768658131000001,"stream":"stderr","stage":"build","line":"a \"quote\"\\\t\u0001é"}"# + "\n"
        )
    }

    @Test func whatIsWrittenReadsBackByOffsetAndTheTailSplitsClientAndSystemLines() throws {
        let (layout, uid) = temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let writer = try DeploymentLogWriter(path: layout.logFile(uid))
        for index in 1...5 { writer.append(LogLine(timestamp: Date(), stream: .stdout, stage: .build, text: "line \(index)")) }
        writer.system("done", stage: .deploy)
        writer.close()

        let reader = FileDeploymentLogs(layout: layout)
        let first = try reader.read(deploymentUID: uid, from: 0, limit: 2)
        #expect(first.lines.map(\.line.text) == ["line 1", "line 2"])
        let rest = try reader.read(deploymentUID: uid, from: first.nextOffset, limit: 100)
        #expect(rest.lines.map(\.line.text) == ["line 3", "line 4", "line 5", "done"])
        #expect(try reader.read(deploymentUID: uid, from: rest.nextOffset, limit: 100).lines.isEmpty)
        let tail = try reader.tail(deploymentUID: uid, limit: 3)
        #expect(tail.client.map(\.text) == ["line 3", "line 4", "line 5"])
        #expect(tail.system.map(\.text) == ["done"])
        #expect(tail.truncated)
    }

    @Test func theCapCutsTheBuildsLinesOnceWithAClearLastLineButKeepsSystemLines() throws {
        let (layout, uid) = temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let capped = Mutex(0)
        let writer = try DeploymentLogWriter(path: layout.logFile(uid), cap: 1_000, onCapReached: { capped.withLock { $0 += 1 } })
        for index in 1...100 { writer.append(LogLine(timestamp: Date(), stream: .stdout, stage: .build, text: "output line \(index)")) }
        writer.system("✗ Deployment failed", stage: .build)
        writer.close()
        #expect(capped.withLock { $0 } == 1)
        let lines = try FileDeploymentLogs(layout: layout).read(deploymentUID: uid, from: 0, limit: 1_000).lines.map(\.line)
        let output = lines.filter { $0.stream == .stdout }
        #expect(!output.isEmpty && output.count < 20)
        #expect(lines.dropLast().last?.text.hasPrefix("✗ The log reached its cap of") == true)
        #expect(lines.last?.text == "✗ Deployment failed")
    }

    /// Every line of the log from `offset`, page by page, as the API reads it.
    func readAll(_ layout: DataLayout, _ uid: UUID, from offset: Int64 = 0) throws -> [(offset: Int64, line: LogLine)] {
        let reader = FileDeploymentLogs(layout: layout)
        var lines: [(offset: Int64, line: LogLine)] = []
        var offset = offset
        while true {
            let chunk = try reader.read(deploymentUID: uid, from: offset, limit: 7)
            if chunk.lines.isEmpty { return lines }
            lines += chunk.lines
            offset = chunk.nextOffset
        }
    }

    func segmentFiles(_ layout: DataLayout, _ uid: UUID) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: layout.logs).filter { $0.hasPrefix(uid.lowercased + ".runtime.") }
    }

    @Test func pastTheCapAServicesOutputGoesOnInSegmentsWithGrowingOffsetsAndTheLatestIsKept() throws {
        let (layout, uid) = temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let overflow = DeploymentLogWriter.Overflow(layout: layout, deploymentUID: uid, segmentSize: 600)
        let writer = try DeploymentLogWriter(path: layout.logFile(uid), cap: 1_000, overflow: overflow)
        for index in 1...200 { writer.append(LogLine(timestamp: Date(), stream: .stdout, stage: nil, text: "runtime \(index)", isRuntime: true)) }

        let lines = try readAll(layout, uid)
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.offset < $1.offset })
        let numbers = lines.compactMap { Int($0.line.text.dropFirst("runtime ".count)) }
        // The log file's own lines, then only the latest ones: the segments in between have been rotated away.
        #expect(numbers.first == 1 && numbers.last == 200)
        #expect(numbers.count < 100)
        let gap = zip(numbers, numbers.dropFirst()).filter { $1 != $0 + 1 }
        #expect(gap.count == 1, "\(numbers)")
        #expect(lines.allSatisfy { $0.line.isRuntime })
        #expect(try segmentFiles(layout, uid).count == 2)

        // A reader whose offset was rotated away goes on at the oldest line kept.
        let segments = try #require(LogSegments.load(layout: layout, deploymentUID: uid))
        let behind = try FileDeploymentLogs(layout: layout).read(deploymentUID: uid, from: segments.logEnd + 1, limit: 1)
        #expect(behind.lines.first?.line.text == "runtime \(gap[0].1)")

        // A writer opened later (a restarted server) goes on in the newest segment, offsets still growing.
        writer.close()
        let again = try DeploymentLogWriter(path: layout.logFile(uid), cap: 1_000, overflow: overflow)
        again.append(LogLine(timestamp: Date(), stream: .stdout, stage: nil, text: "after restart", isRuntime: true))
        again.close()
        let after = try readAll(layout, uid, from: lines.last!.offset)
        #expect(after.map(\.line.text) == ["after restart"])

        try DataDirectoryFiles(layout: layout).removeLog(deploymentUID: uid)
        #expect(try segmentFiles(layout, uid).isEmpty)
        #expect(LogSegments.load(layout: layout, deploymentUID: uid) == nil)
        #expect(!FileManager.default.fileExists(atPath: layout.logFile(uid)))
    }

    @Test func theFirstSegmentSaysTheLogWentPastItsCap() throws {
        let (layout, uid) = temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let overflow = DeploymentLogWriter.Overflow(layout: layout, deploymentUID: uid, segmentSize: 100_000)
        let writer = try DeploymentLogWriter(path: layout.logFile(uid), cap: 1_000, overflow: overflow)
        for index in 1...30 { writer.append(LogLine(timestamp: Date(), stream: .stdout, stage: nil, text: "runtime \(index)", isRuntime: true)) }
        writer.close()
        let texts = try readAll(layout, uid).map(\.line.text)
        #expect(texts.filter { $0.hasPrefix("runtime ") }.count == 30)
        #expect(
            texts.contains { $0.hasPrefix("The log reached its cap of ") && $0.contains(": the service's output goes on, and its latest") },
            "\(texts)")
    }

    @Test func anOverflowForTheDeployStagesStillCutsABuildsOutputAtTheCap() throws {
        let (layout, uid) = temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let capped = Mutex(0)
        let overflow = DeploymentLogWriter.Overflow(layout: layout, deploymentUID: uid, segmentSize: 600, stages: [.deploy, .healthCheck])
        let writer = try DeploymentLogWriter(
            path: layout.logFile(uid), cap: 1_000, overflow: overflow, onCapReached: { capped.withLock { $0 += 1 } })
        for index in 1...100 { writer.append(LogLine(timestamp: Date(), stream: .stdout, stage: .build, text: "output line \(index)")) }
        writer.close()
        #expect(capped.withLock { $0 } == 1)
        #expect(LogSegments.load(layout: layout, deploymentUID: uid) == nil)
        #expect(try segmentFiles(layout, uid).isEmpty)
    }

    @Test func linesAnotherWriterAddedToTheLogBeforeTheSegmentsStartedAreAllRead() throws {
        let (layout, uid) = temporaryLog()
        defer { try? FileManager.default.removeItem(atPath: layout.root) }
        let overflow = DeploymentLogWriter.Overflow(layout: layout, deploymentUID: uid, segmentSize: 100_000)
        let service = try DeploymentLogWriter(path: layout.logFile(uid), cap: 2_000, overflow: overflow)
        let runner = try DeploymentLogWriter(path: layout.logFile(uid))
        for index in 1...10 { service.append(LogLine(timestamp: Date(), stream: .stdout, stage: nil, text: "service \(index)", isRuntime: true)) }
        // The runner's lines make the file longer than the service's writer counts.
        for index in 1...20 { runner.system("runner \(index)", stage: .deploy) }
        runner.close()
        for index in 11...60 { service.append(LogLine(timestamp: Date(), stream: .stdout, stage: nil, text: "service \(index)", isRuntime: true)) }
        service.close()
        #expect(LogSegments.load(layout: layout, deploymentUID: uid) != nil)
        let texts = try readAll(layout, uid).map(\.line.text)
        #expect(texts.filter { $0.hasPrefix("runner ") }.count == 20)
        #expect(texts.filter { $0.hasPrefix("service ") } == (1...60).map { "service \($0)" })
    }
}
