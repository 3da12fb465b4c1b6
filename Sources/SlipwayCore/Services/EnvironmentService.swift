import Foundation

/// The use cases of environment variables: read (secrets masked), replace, change some.
public struct EnvironmentService: Sendable {
    public let variables: any EnvironmentVariableRepository

    public init(variables: any EnvironmentVariableRepository) {
        self.variables = variables
    }

    /// The project's variables of both environments, secret values replaced by `•••`.
    public func maskedVariables(of project: Project) async throws -> [DeploymentEnvironment: EnvironmentVariables] {
        let stored = try await variables.variables(projectID: project.id)
        var shown: [DeploymentEnvironment: EnvironmentVariables] = [:]
        for environment in DeploymentEnvironment.allCases {
            shown[environment] = (stored[environment] ?? [:]).mapValues { variable in
                variable.secret ? EnvironmentVariable(value: SecretMasker.mask, secret: true) : variable
            }
        }
        return shown
    }

    /// Validates and stores the environments of a PUT body; the environments it does not name are kept.
    public func replace(_ environments: [String: EnvironmentVariables], of project: Project) async throws {
        let valid = try EnvironmentValidation.validate(environments)
        try await variables.replace(projectID: project.id, with: valid)
    }

    /// Changes some variables and keeps the rest (`PATCH`, for `slipway env set|unset`): in each environment named, a
    /// variable given a value is set, one given nil is removed.
    public func update(_ changes: [String: [String: EnvironmentVariable?]], of project: Project) async throws {
        let toSet = changes.mapValues { $0.compactMapValues { $0 } }
        _ = try EnvironmentValidation.validate(toSet)
        let current = try await variables.variables(projectID: project.id)
        var updated: [DeploymentEnvironment: EnvironmentVariables] = [:]
        for (name, variableChanges) in changes {
            guard let environment = DeploymentEnvironment(rawValue: name) else { continue }
            var variables = current[environment] ?? [:]
            for (key, change) in variableChanges {
                variables[key] = change
            }
            updated[environment] = variables
        }
        try await variables.replace(projectID: project.id, with: updated)
    }

    /// What each deployment runs with (or, when it has not started, would run with if it started now), secret
    /// values replaced by `•••`. Reads only, in a constant number of statements.
    public func maskedVariables(of deployments: [Deployment]) async throws -> [Int64: EnvironmentVariables] {
        try await variables.variablesShown(for: deployments).mapValues { variables in
            variables.mapValues { $0.secret ? EnvironmentVariable(value: SecretMasker.mask, secret: true) : $0 }
        }
    }
}
