import Foundation
import NIOHTTP1

/// One environment variable as the API shows it: secret values read as `•••`.
public struct EnvironmentVariableInfo: Codable, Sendable, Equatable {
    public var value: String
    public var secret: Bool

    public init(value: String, secret: Bool = false) {
        self.value = value
        self.secret = secret
    }
}

/// A project's variables by environment (`production`, `preview`) and name.
public typealias ProjectEnvironmentInfo = [String: [String: EnvironmentVariableInfo]]

extension SlipwayClient {
    /// The project's variables of both environments; secret values read as `•••`.
    public func environmentVariables(project: String) async throws -> ProjectEnvironmentInfo {
        try await sendVerbatim(.GET, "/api/v1/projects/\(Self.pathComponent(project))/env", body: Optional<ProjectEnvironmentInfo>.none)
    }

    /// Replaces the variables of the environments given (`PUT`); the others are kept.
    public func replaceEnvironmentVariables(project: String, _ environments: ProjectEnvironmentInfo) async throws -> ProjectEnvironmentInfo {
        try await sendVerbatim(.PUT, "/api/v1/projects/\(Self.pathComponent(project))/env", body: environments)
    }

    /// Sets the variables given and removes those given nil, in one environment (`PATCH`); the others are kept.
    public func updateEnvironmentVariables(
        project: String, environment: String, _ changes: [String: EnvironmentVariableInfo?]
    ) async throws -> ProjectEnvironmentInfo {
        try await sendVerbatim(.PATCH, "/api/v1/projects/\(Self.pathComponent(project))/env", body: [environment: changes])
    }

    /// Queues a promote of a successful deployment to production (no rebuild).
    public func promote(_ id: Int64) async throws -> ActionResult { try await send(.POST, "/api/v1/deployments/\(id)/promote") }

    /// Like `send`, but JSON keys are kept as they are: variable names must not be converted to or from snake case.
    func sendVerbatim<Response: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)?) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let (status, data) = try await raw(method, path, body: try body.map { try encoder.encode($0) })
        return try answer(status: status, data: data, decoder: JSONDecoder())
    }

    static func pathComponent(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? component
    }
}
