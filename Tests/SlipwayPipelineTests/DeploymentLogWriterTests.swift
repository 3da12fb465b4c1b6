import Foundation
import SlipwayCore
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
}
