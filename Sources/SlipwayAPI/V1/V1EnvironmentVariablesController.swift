import Foundation
import Hummingbird
import SlipwayCore

/// `GET/PUT /api/v1/projects/{id}/env`: a project's environment variables per environment, secrets masked on read.
struct V1EnvironmentVariablesController {
    /// Projects and deployments by the references of the native API's paths.
    let lookup: V1Lookup
    let environment: EnvironmentService

    /// Adds the routes to the `/api/v1` group.
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("projects/:project/env", use: show)
        group.put("projects/:project/env", use: replace)
        group.patch("projects/:project/env", use: update)
    }

    /// One variable of a PUT body: `value` is required, `secret` defaults to false.
    struct VariableBody: Decodable {
        var value: String
        var secret: Bool?
    }

    /// Reads the variables of both environments; secret values read as `•••`.
    @Sendable func show(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        return try JSONBody.response(try await shown(project))
    }

    /// Replaces the environments the body names, then answers like GET.
    @Sendable func replace(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let body = try await JSONBody.decode([String: [String: VariableBody]].self, from: request)
        Self.noteNames(body.mapValues { Array($0.keys) }, project: project, in: context)
        try await environment.replace(
            body.mapValues { variables in variables.mapValues { EnvironmentVariable(value: $0.value, secret: $0.secret ?? false) } },
            of: project
        )
        return try JSONBody.response(try await shown(project))
    }

    /// Sets the variables the body gives and removes those given `null`; the others are kept. Answers like GET.
    @Sendable func update(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.admin)
        let project = try await lookup.project(context.parameters.get("project"), identity)
        let body = try await JSONBody.decode([String: [String: VariableBody?]].self, from: request)
        Self.noteNames(body.mapValues { Array($0.keys) }, project: project, in: context)
        try await environment.update(
            body.mapValues { variables in variables.mapValues { $0.map { EnvironmentVariable(value: $0.value, secret: $0.secret ?? false) } } },
            of: project
        )
        return try JSONBody.response(try await shown(project))
    }

    /// The audit trail keeps the names of the variables a change gives, per environment, never their values.
    private static func noteNames(_ names: [String: [String]], project: Project, in context: SlipwayRequestContext) {
        context.audit.target(id: String(project.id), name: project.name)
        for (environment, variables) in names { context.audit.detail(environment, .names(variables.sorted())) }
    }

    private func shown(_ project: Project) async throws -> [String: EnvironmentVariables] {
        let masked = try await environment.maskedVariables(of: project)
        return Dictionary(uniqueKeysWithValues: masked.map { ($0.key.rawValue, $0.value) })
    }
}
