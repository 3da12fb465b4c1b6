import SQLKit
import SlipwayCore

extension SQLStore {
    private struct CountRow: Decodable {
        var count: Int64
    }

    /// How many deployments wait in the queue, in every workspace (the metrics page's `slipway_queue_waiting`).
    public func queuedDeploymentCount() async throws -> Int {
        try await database.withConnection { session in
            let count = try await session.first(
                CountRow.self, "SELECT COUNT(*) AS count FROM deployments WHERE state = \(bind: SQLDeploymentRepository.queued)")?.count
            return Int(count ?? 0)
        }
    }
}
