import Foundation
import SlipwayCore

extension DeploymentRunner {
    /// The build stage of a `dockerfile` or `compose` project (docs/api-v1.md "Build types"). It owns the whole
    /// stage: running the image build into the log, and storing what the build is. No container engine is wired into
    /// the pipeline yet, so it fails the stage with an error saying so — a container build is never run as `sh -c`.
    func buildWithContainerEngine(_ build: BuildTypeConfig, project: Project, workDirectory: String, run: DeploymentRun) async throws {
        run.system("Build type: \(build.summary)", stage: .build)
        throw PipelineError(Self.containerEngineUnavailable(build.type))
    }

    /// The error of a container build on a server without a container engine.
    static func containerEngineUnavailable(_ type: BuildType) -> String {
        "\(type.rawValue) builds need a container engine: not available yet on this server "
            + "(build_type '\(type.rawValue)'; build_type 'command' builds with a shell command)"
    }
}
