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
            RollbackCommand.self, RemoveCommand.self, QueueCommand.self, TokensCommand.self, SessionsCommand.self, WorkspacesCommand.self,
            MembersCommand.self, InvitesCommand.self, AdminCommand.self, EnvCommand.self, PromoteCommand.self, DomainsCommand.self,
            AuditCommand.self, NotificationsCommand.self,
        ]
    )

    /// Parses and runs the command. ArgumentParser prints the errors of parsing (with the usage) and `--help`; an error
    /// of running is printed once, as `error: ` and a sentence (`ErrorMessage`), without the usage banner, and ends with
    /// exit status 1 (64 for a value the command refused).
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Thrown by `run` (not by parsing): ArgumentParser would add the root command's usage, which does not help.
            ErrorMessage.print(error.message)
            exit(withError: ExitCode.validationFailure)
        } catch {
            guard let text = ErrorMessage.text(for: error) else { exit(withError: error) }
            ErrorMessage.print(text)
            exit(withError: ExitCode.failure)
        }
    }
}
