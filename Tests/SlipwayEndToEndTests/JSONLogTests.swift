import Foundation
import Logging
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

/// `--log-format json` (docs/operations.md "Logs"): the handler's lines, and a real server's lines about a deployment.
@Suite struct JSONLogTests {
    /// The lines a handler wrote.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        var output: JSONLogHandler.Output { JSONLogHandler.Output { [self] line in lines.withLock { $0.append(line) } } }

        /// Every line as a JSON object (a line that is not one fails the test).
        func objects() throws -> [[String: Any]] {
            try all.map { line in
                #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "not one line: \(line)")
                return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
            }
        }
    }

    @Test func aLineIsOneJSONObjectWithTimeLevelLabelMessageAndMetadata() throws {
        let lines = Lines()
        let time = Date(timeIntervalSince1970: 1_796_000_000.25)
        var logger = Logger(label: "slipway.test") { label in JSONLogHandler(label: label, output: lines.output, now: { time }) }
        logger[metadataKey: "deployment_id"] = "42"
        logger.debug("not written: below the level")
        logger.info(
            "a \"quoted\" line\nwith a break, a tab\t and a bell \u{7}",
            metadata: ["nested": ["list": ["a", "b"], "inner": ["key": "value"]], "deployment_id": "43"])
        logger.warning("plain")
        #expect(lines.all.count == 2)
        let first = try #require(lines.all.first)
        #expect(first.hasPrefix(#"{"time":"2026-11-30T"#), "\(first)")
        #expect(first.contains(#""level":"info","label":"slipway.test","message":"a \"quoted\" line\nwith a break, a tab\t and a bell \u0007""#))
        let objects = try lines.objects()
        #expect(objects[0]["time"] as? String == "2026-11-30T00:53:20.250Z")
        let metadata = try #require(objects[0]["metadata"] as? [String: Any])
        // The call's metadata wins over the logger's.
        #expect(metadata["deployment_id"] as? String == "43")
        let nested = try #require(metadata["nested"] as? [String: Any])
        #expect(nested["list"] as? [String] == ["a", "b"])
        #expect((nested["inner"] as? [String: String]) == ["key": "value"])
        #expect(objects[1]["level"] as? String == "warning")
        #expect(objects[1]["message"] as? String == "plain")
        #expect((objects[1]["metadata"] as? [String: Any])?["deployment_id"] as? String == "42")
    }

    @Test func theFormatIsTextOrJSON() throws {
        #expect(try LogFormat.parse("JSON", name: "--log-format") == .json)
        #expect(try LogFormat.parse("text", name: "--log-format") == .text)
        #expect(throws: ConfigurationError.self) { try LogFormat.parse("yaml", name: "--log-format") }
    }

    @Test func everyLineAboutADeploymentCarriesItsIDProjectAndWorkspace() async throws {
        let site = try MetricsTests.makeSite()
        let lines = Lines()
        var logger = Logger(label: "slipway") { label in JSONLogHandler(label: label, output: lines.output) }
        logger.logLevel = .info
        let (deployment, project) = try await TestServer.withServer(logger: logger) { server in
            let api = server.client
            let project = try await api.createProject(
                NewProjectRequest(name: "logged", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
            let queued = try await api.deploy(projectIDs: [project.id])
            return (try await api.waitForDeployment(queued.deploymentIds[0]), project)
        }
        #expect(deployment.state == "success")
        let objects = try lines.objects()
        #expect(objects.count > 3)
        let about = objects.filter { ($0["message"] as? String)?.contains("deployment \(deployment.id) ") == true }
        #expect(about.contains { ($0["message"] as? String) == "deployment \(deployment.id) started" })
        #expect(about.contains { ($0["message"] as? String) == "deployment \(deployment.id) ended success" })
        for object in about {
            let metadata = try #require(object["metadata"] as? [String: Any])
            #expect(metadata["deployment_id"] as? String == String(deployment.id), "\(object)")
            #expect(metadata["deployment_uid"] as? String == deployment.uid.lowercased(), "\(object)")
            #expect(metadata["project_id"] as? String == String(project.id), "\(object)")
            #expect(metadata["workspace_id"] as? String != nil, "\(object)")
        }
    }
}
