import Foundation
import Hummingbird
import SlipwayCore

/// `GET /api/v1/deployments/{id}/logs`: a deployment's log as JSON pages by byte offset.
struct V1LogsController {
    let dependencies: APIDependencies

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("deployments/:deployment/logs", use: logs)
    }

    struct LogPage: Encodable {
        struct Line: Encodable {
            var line: String
            var ts: String
            var stream: LogStream
            var stage: StageName?
            var offset: Int64

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(line, forKey: .line)
                try container.encode(ts, forKey: .ts)
                try container.encode(stream, forKey: .stream)
                try container.encode(stage, forKey: .stage)
                try container.encode(offset, forKey: .offset)
            }
            enum CodingKeys: String, CodingKey { case line, ts, stream, stage, offset }
        }
        var data: [Line]
        var total: Int
        var nextOffset: Int64
        var state: DeploymentState

        enum CodingKeys: String, CodingKey {
            case data, total, state
            case nextOffset = "next_offset"
        }
    }

    @Sendable func logs(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let (deployment, _) = try await V1Lookup(dependencies: dependencies).deployment(context.parameters.get("deployment"), identity)
        let after = try request.integerQuery("after", default: 0, range: 0...Int.max)
        let limit = try request.integerQuery("limit", default: 1000, range: 1...10_000)
        let chunk = try dependencies.logs.read(deploymentUID: deployment.uid, from: Int64(after), limit: limit)
        let lines = chunk.lines.map {
            LogPage.Line(line: $0.line.text, ts: Timestamp.format($0.line.timestamp), stream: $0.line.stream, stage: $0.line.stage, offset: $0.offset)
        }
        return try JSONBody.response(LogPage(data: lines, total: lines.count, nextOffset: chunk.nextOffset, state: deployment.state))
    }
}
