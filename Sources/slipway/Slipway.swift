import ArgumentParser

/// `slipway`: `serve` runs the platform; every other command is a client of its API.
@main
struct Slipway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slipway",
        abstract: "A self-hosted deployment platform: git in, live sites out.",
        discussion: """
            Start the platform with `slipway serve`; every other command talks to its API (see `slipway login`).
            Shell completion: `slipway --generate-completion-script bash|zsh|fish`.
            """,
        subcommands: [
            ServeCommand.self, LoginCommand.self, WhoamiCommand.self, InitCommand.self, ProjectsCommand.self, DeployCommand.self,
            ListCommand.self, ShowCommand.self, LogsCommand.self, CancelCommand.self, KillCommand.self, RerunCommand.self,
            RollbackCommand.self, RemoveCommand.self, QueueCommand.self, TokensCommand.self,
            EnvCommand.self, PromoteCommand.self,
        ]
    )
}
