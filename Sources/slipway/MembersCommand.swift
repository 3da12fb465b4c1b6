import ArgumentParser
import Foundation
import SlipwayClient

/// `slipway members list|invite|role|remove`: the members of the workspace a command acts in.
struct MembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List a workspace's members; invite, change roles and remove (owners).",
        discussion: """
            Roles, each including the ones after it: owner (manages members), admin, developer, viewer.
            The commands act in the current workspace (see `slipway workspaces`); --workspace names another.
            """,
        subcommands: [List.self, Invite.self, Role.self, Remove.self]
    )

    struct MemberJSON: Encodable {
        var user_id: Int64
        var login: String
        var email: String?
        var role: String
        var joined_at: String

        init(_ member: MemberInfo) {
            user_id = member.user.id
            login = member.user.login
            email = member.user.email
            role = member.role
            joined_at = member.joinedAt
        }
    }

    /// `slipway members list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the members of the workspace with their roles.")

        @Flag(help: "Print as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let members = try await reportingErrors { try await api.members() }
            if json { return try Output.json(members.map(MemberJSON.init)) }
            Output.table(
                ["USER ID", "LOGIN", "EMAIL", "ROLE", "JOINED"],
                members.map { [String($0.user.id), $0.user.login, $0.user.email ?? "", $0.role, Output.age($0.joinedAt)] }
            )
        }
    }

    /// `slipway members invite LOGIN --role ROLE`.
    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invite someone to the workspace (owners); prints the one-time code they accept with.",
            discussion: """
                The code works once, for the invited login or email address only, for seven days. The invited person
                logs in with their password and runs `slipway invites accept CODE`.

                Example:
                  slipway members invite ada@example.com --role developer
                """
        )

        @Argument(help: "The login or email address of the person to invite.") var login: String
        @Option(help: "owner, admin, developer or viewer.") var role: String
        @Flag(help: "Print as JSON (with the code).") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let (invitation, me) = try await reportingErrors { (try await api.invite(login: login, role: role), try await api.me()) }
            let code = invitation.code ?? ""
            if json { return try Output.json(InvitesCommand.InvitationJSON(invitation)) }
            print(
                """
                Invited \(invitation.invitee) to workspace \(me.workspace?.name ?? String(invitation.workspaceId)) as \(invitation.role). \
                The code, shown only now (it works once, for \(invitation.invitee) only, until \(invitation.expiresAt)):

                    \(code)

                \(invitation.invitee) accepts it with:

                    slipway login --url \(api.baseURL) --login \(invitation.invitee)
                    slipway invites accept \(code)
                """
            )
        }
    }

    /// `slipway members role USER ROLE`.
    struct Role: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a member's role (owners).", discussion: "Example:\n  slipway members role ada admin"
        )

        @Argument(help: "The member's login or user id.") var user: String
        @Argument(help: "owner, admin, developer or viewer.") var role: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let member = try await reportingErrors {
                let member = try await MemberReference.resolve(user, with: api)
                return try await api.setRole(role, ofMember: member.user.id)
            }
            print("\(member.user.login) is now \(member.role).")
        }
    }

    /// `slipway members remove USER`.
    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member (owners; anyone may remove themselves): their tokens and sessions there end at once."
        )

        @Argument(help: "The member's login or user id.") var user: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.makeClient()
            let result = try await reportingErrors {
                let member = try await MemberReference.resolve(user, with: api)
                return try await api.removeMember(member.user.id)
            }
            print(result.message)
        }
    }
}

/// A member named on the command line: a login (or email address), else a user id.
enum MemberReference {
    /// The member `reference` names in the workspace `api` acts in; a `CommandError` when it names none.
    static func resolve(_ reference: String, with api: SlipwayClient) async throws -> MemberInfo {
        let members = try await api.members()
        let wanted = reference.trimmingCharacters(in: .whitespaces).lowercased()
        if let member = members.first(where: { $0.user.login == wanted || $0.user.email?.lowercased() == wanted }) { return member }
        if let id = Int64(wanted), let member = members.first(where: { $0.user.id == id }) { return member }
        let workspace = try await api.me().workspace?.name ?? "the workspace"
        throw CommandError("'\(reference)' is not a member of workspace \(workspace): `slipway members list` shows who is")
    }
}
