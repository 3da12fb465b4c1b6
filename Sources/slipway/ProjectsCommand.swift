import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway projects …`: manage projects.
struct ProjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projects", abstract: "Manage projects.", subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self]
    )
}

/// A project printed by `--json`.
struct ProjectJSON: Encodable {
    var id: Int64
    var name: String
    var repository: String
    var production_branch: String
    var kind: String
    var root_dir: String
    var build_command: String
    var output_dir: String
    var production_deployment_id: Int64?
    var url: String
    var start_command: String?
    var port: Int?
    var health_check_path: String?
    var standby_window: Double?
    var build_type: String
    var dockerfile_path: String?
    var docker_context: String?
    var build_args: [String]?
    var compose_path: String?
    var expose_service: String?
    var expose_port: Int?

    init(_ project: ProjectInfo) {
        id = project.id
        name = project.name
        repository = project.repository
        production_branch = project.productionBranch
        kind = project.kind
        root_dir = project.rootDir
        build_command = project.buildCommand
        output_dir = project.outputDir
        production_deployment_id = project.productionDeploymentId
        url = project.url
        start_command = project.startCommand
        port = project.port
        health_check_path = project.healthCheckPath
        standby_window = project.standbyWindow
        build_type = project.buildType ?? "command"
        dockerfile_path = project.dockerfilePath
        docker_context = project.dockerContext
        build_args = project.buildArgs
        compose_path = project.composePath
        expose_service = project.exposeService
        expose_port = project.exposePort
    }
}
