import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway invites accept|list|withdraw`: invitations to workspaces (`slipway members invite` makes them).
struct InvitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invites", abstract: "Accept an invitation; list and withdraw the pending ones (owners).",
        subcommands: [Accept.self, List.self, Withdraw.self]
    )

    struct InvitationJSON: Encodable {
        var id: Int64
        var workspace_id: Int64
        var invitee: String
        var role: String
        var invited_by: Int64
        var created_at: String
        var expires_at: String
        var code: String?

        init(_ invitation: InvitationInfo) {
            id = invitation.id
            workspace_id = invitation.workspaceId
            invitee = invitation.invitee
            role = invitation.role
            invited_by = invitation.invitedBy
            created_at = invitation.createdAt
            expires_at = invitation.expiresAt
            code = invitation.code
        }
    }

    /// `slipway invites accept CODE`.
    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join a workspace with the code of an invitation (needs a login session).",
            discussion: """
                An invitation is accepted with a session of the invited user, not with an API token: log in with your
                password first.

                Example:
                  slipway login --url http://slipway.example:8080 --login ada
                  slipway invites accept slwi_…
                """
        )

        @Argument(help: "The invitation's code (slwi_…).") var code: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let (joined, me) = try await reportingErrors {
                do {
                    return (try await api.acceptInvitation(code: code.trimmingCharacters(in: .whitespaces)), try await api.me())
                } catch let error as ClientError where error.status == 403 {
                    throw CommandError(
                        error.description
                            + " — log in with your own password first (`slipway login --url \(api.baseURL) --login YOUR-LOGIN`), then accept again"
                    )
                }
            }
            print("Joined workspace \(joined.name) as \(joined.role ?? "member").")
            if me.workspace?.id != joined.id {
                print("Act there with `slipway workspaces switch \(joined.name)`, or --workspace \(joined.name) for one command.")
            }
        }
    }

    /// `slipway invites list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the workspace's pending invitations, never their codes (owners).")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let invitations = try await reportingErrors { try await api.invitations() }
            if json { return try Output.json(invitations.map(InvitationJSON.init)) }
            Output.table(
                ["ID", "INVITEE", "ROLE", "INVITED BY", "CREATED", "EXPIRES"],
                invitations.map { [String($0.id), $0.invitee, $0.role, "user \($0.invitedBy)", Output.age($0.createdAt), $0.expiresAt] }
            )
        }
    }

    /// `slipway invites withdraw CODE-OR-ID`.
    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a pending invitation (owners): its code stops working.")

        @Argument(help: "The invitation's code or its id (see `slipway invites list`).") var invitation: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let result = try await reportingErrors { try await api.withdrawInvitation(invitation.trimmingCharacters(in: .whitespaces)) }
            print(result.message)
        }
    }
}
