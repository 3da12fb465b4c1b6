import ArgumentParser

/// `slipway`: `serve` runs the platform; every other command is a client of its API.
@main
struct Slipway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "A self-hosted deployment platform: git in, live sites out.",
        subcommands: [ServeCommand.self, ProjectsCommand.self, DeployCommand.self]
    )
}
