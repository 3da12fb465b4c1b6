import Foundation
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// Workspaces, members and invitations from the `slipway` binary, run as its users would, against a live server:
/// an install administrator, an owner and a member, each with a configuration directory of their own.
@Suite struct CommandLineTenancyTests {
    /// Runs `slipway`; returns its exit status and combined output.
    static func slipway(_ arguments: [String], _ environment: [String: String]) async throws -> (Int32, String) {
        try await CommandLineTests.slipway(arguments, environment: environment)
    }

    /// Runs `slipway` with `input` as the first line of its standard input (through `sh`, so the launch still goes
    /// through `CapturedProcess`).
    static func slipway(_ arguments: [String], _ environment: [String: String], input: String) async throws -> (Int32, String) {
        try await CommandLineTests.slipway(
            arguments, environment: environment.merging(["SLIPWAY_TEST_INPUT": input]) { $1 },
            launcher: ["/bin/sh", "-c", #"printf '%s\n' "$SLIPWAY_TEST_INPUT" | "$0" "$@""#]
        )
    }

    /// A user's password in these tests.
    static func password(_ login: String) -> String { "\(login)'s long passphrase" }

    /// The invitation code in an output.
    static func code(in output: String) throws -> String? {
        try output.firstMatch(of: Regex("slwi_[0-9a-f]+")).map { String(output[$0.range]) }
    }

    /// The JSON array a `--json` command printed.
    static func objects(_ output: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]], "\(output)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func anOwnerInvitesAMemberWhoSwitchesWorkspacesUntilRemoved() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-tenancy-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let site = try TemporaryGitRepository()
        try site.write("index.html", "acme's site")
        try site.commit("site")
        try await TestServer.withServer { server in
            let admin = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken, "XDG_CONFIG_HOME": root + "/admin"]
            let ada = ["XDG_CONFIG_HOME": root + "/ada"]
            let bob = ["XDG_CONFIG_HOME": root + "/bob"]
            func logIn(_ login: String, _ home: [String: String]) async throws -> String {
                let (status, output) = try await Self.slipway(
                    ["login", "--url", server.baseURL, "--login", login], home.merging(["SLIPWAY_PASSWORD": Self.password(login)]) { $1 })
                #expect(status == 0, "\(output)")
                return output
            }

            // The install administrator makes two users and a workspace owned by one of them, and one of their own.
            var userIDs: [String: Int] = [:]
            for login in ["ada", "bob"] {
                let (status, output) = try await Self.slipway(
                    ["admin", "users", "create", login, "--password-stdin", "--json"], admin, input: Self.password(login))
                #expect(status == 0, "\(output)")
                userIDs[login] = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])["id"] as? Int
            }
            let (acmeStatus, acme) = try await Self.slipway(["workspaces", "create", "acme", "--owner", "ada"], admin)
            #expect(acmeStatus == 0 && acme.contains("Created workspace acme (id ") && acme.contains("owned by ada."), "\(acme)")
            let (betaStatus, beta) = try await Self.slipway(["admin", "workspaces", "create", "beta"], admin)
            #expect(betaStatus == 0 && beta.contains("Created workspace beta") && beta.contains("owned by admin."), "\(beta)")
            let everyWorkspace = try Self.objects(try await Self.slipway(["admin", "workspaces", "list", "--json"], admin).1)
            #expect(everyWorkspace.compactMap { $0["name"] as? String } == ["default", "acme", "beta"])
            #expect(everyWorkspace.map { $0["role"] as? String } == ["owner", nil, "owner"], "the administrator is no member of acme")

            // ada logs in: acme is her workspace; she adds a project to it and invites bob as a developer.
            #expect(try await logIn("ada", ada).contains("as ada (workspace acme as owner;"))
            let (projectStatus, project) = try await Self.slipway(["projects", "create", "acme-site", "--repository", site.path], ada)
            #expect(projectStatus == 0, "\(project)")
            let (createByOwner, createByOwnerOutput) = try await Self.slipway(["workspaces", "create", "mine"], ada)
            #expect(createByOwner == 1 && createByOwnerOutput.contains("install administrator") && createByOwnerOutput.contains("HTTP 403"))
            let (inviteStatus, invited) = try await Self.slipway(["members", "invite", "bob", "--role", "developer"], ada)
            #expect(inviteStatus == 0 && invited.contains("Invited bob to workspace acme as developer."), "\(invited)")
            let code = try #require(try Self.code(in: invited), "\(invited)")
            #expect(invited.contains("slipway login --url \(server.baseURL) --login bob") && invited.contains("slipway invites accept \(code)"))
            let (pendingStatus, pending) = try await Self.slipway(["invites", "list"], ada)
            #expect(pendingStatus == 0 && pending.contains("bob") && pending.contains("developer") && !pending.contains(code), "\(pending)")
            let carolCode = try #require(try Self.code(in: try await Self.slipway(["members", "invite", "carol", "--role", "viewer"], ada).1))
            #expect(try await Self.slipway(["invites", "list"], ada).1.contains("carol"))
            let (withdrawStatus, withdrawn) = try await Self.slipway(["invites", "withdraw", carolCode], ada)
            #expect(withdrawStatus == 0 && withdrawn.contains("Invitation withdrawn."), "\(withdrawn)")
            #expect(try await Self.slipway(["invites", "list"], ada).1.contains("carol") == false)

            // An API token cannot accept an invitation: the command says to log in.
            let (tokenStatus, tokenOutput) = try await Self.slipway(["invites", "accept", code], admin)
            #expect(tokenStatus == 1 && tokenOutput.contains("HTTP 403") && tokenOutput.contains("slipway login --url"), "\(tokenOutput)")

            // bob logs in, belonging nowhere yet, and accepts; the code works once.
            #expect(try await logIn("bob", bob).contains("as bob (no workspace yet"))
            #expect(try await Self.slipway(["whoami"], bob).1.contains("bob on \(server.baseURL), in no workspace yet: accept an invitation"))
            let (acceptStatus, accepted) = try await Self.slipway(["invites", "accept", code], bob)
            #expect(acceptStatus == 0 && accepted.contains("Joined workspace acme as developer."), "\(accepted)")
            #expect(!accepted.contains("workspaces switch"), "acme is where bob acts now: nothing to switch")
            let (againStatus, again) = try await Self.slipway(["invites", "accept", code], bob)
            #expect(againStatus == 1 && again.hasPrefix("error: "), "\(again)")
            #expect(try await Self.slipway(["whoami"], bob).1.contains("bob in workspace acme as developer"))

            // The administrator acts in beta for one command (--workspace, SLIPWAY_WORKSPACE) and invites bob there.
            let (betaInviteStatus, betaInvited) = try await Self.slipway(
                ["members", "invite", "bob", "--role", "viewer", "--workspace", "beta"], admin)
            #expect(betaInviteStatus == 0 && betaInvited.contains("Invited bob to workspace beta as viewer."), "\(betaInvited)")
            let betaCode = try #require(try Self.code(in: betaInvited))
            #expect(try await Self.slipway(["invites", "list"], admin.merging(["SLIPWAY_WORKSPACE": "beta"]) { $1 }).1.contains("bob"))
            #expect(try await Self.slipway(["invites", "list"], admin).1.contains("bob") == false, "no invitation in the default workspace")
            let (unknown, unknownOutput) = try await Self.slipway(["members", "list"], admin.merging(["SLIPWAY_WORKSPACE": "nope"]) { $1 })
            #expect(unknown == 1 && unknownOutput.contains("workspace 'nope' not found among yours (HTTP 404)"), "\(unknownOutput)")
            #expect(unknownOutput.contains("slipway workspaces list"))
            let (betaAccept, betaAccepted) = try await Self.slipway(["invites", "accept", betaCode], bob)
            #expect(betaAccept == 0 && betaAccepted.contains("Joined workspace beta as viewer."), "\(betaAccepted)")
            #expect(betaAccepted.contains("slipway workspaces switch beta"), "beta is not where bob acts")

            // bob's workspaces: both, acme current.
            let listed = try Self.objects(try await Self.slipway(["workspaces", "list", "--json"], bob).1)
            #expect(listed.compactMap { $0["name"] as? String } == ["acme", "beta"])
            #expect(listed.compactMap { $0["role"] as? String } == ["developer", "viewer"])
            #expect(listed.compactMap { $0["current"] as? Bool } == [true, false])
            let table = try await Self.slipway(["workspaces", "list"], bob).1.split(separator: "\n")
            #expect(table.count == 3 && table[1].hasSuffix("(current)") && table[1].contains("acme"), "\(table)")
            #expect(table.count == 3 && table[2].contains("beta") && !table[2].contains("(current)"), "\(table)")

            // switch: later commands act in beta, until --default.
            #expect(try await Self.slipway(["projects", "list"], bob).1.contains("acme-site"))
            let (switchStatus, switched) = try await Self.slipway(["workspaces", "switch", "beta"], bob)
            #expect(switchStatus == 0 && switched.contains("Commands now act in workspace beta as viewer"), "\(switched)")
            let config = root + "/bob/slipway/config.json"
            #expect((try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int) == 0o600)
            #expect(try await Self.slipway(["whoami"], bob).1.contains("bob in workspace beta as viewer"))
            let (betaProjects, betaProjectsOutput) = try await Self.slipway(["projects", "list"], bob)
            #expect(betaProjects == 0 && !betaProjectsOutput.contains("acme-site"), "\(betaProjectsOutput)")
            #expect(try await Self.slipway(["projects", "list", "--workspace", "acme"], bob).1.contains("acme-site"), "--workspace wins")
            let afterSwitch = try Self.objects(try await Self.slipway(["workspaces", "list", "--json"], bob).1)
            #expect(afterSwitch.compactMap { $0["current"] as? Bool } == [false, true])

            // A workspace bob is not a member of: a clear error, and the choice stays.
            let (strangerStatus, stranger) = try await Self.slipway(["workspaces", "switch", "default"], bob)
            #expect(strangerStatus == 1 && stranger.contains("error: you are not a member of a workspace 'default'"), "\(stranger)")
            #expect(try await Self.slipway(["whoami"], bob).1.contains("in workspace beta as viewer"))

            // Logging in again keeps the choice (bob is still a member there); this session acts in acme by default.
            #expect(try await logIn("bob", bob).contains("Commands act in workspace beta as viewer, as chosen before"))
            #expect(try await Self.slipway(["whoami"], bob).1.contains("in workspace beta as viewer"))
            let (backStatus, back) = try await Self.slipway(["workspaces", "switch", "--default"], bob)
            #expect(backStatus == 0 && back.contains("your default workspace: workspace acme as developer"), "\(back)")
            #expect(try await Self.slipway(["whoami"], bob).1.contains("in workspace acme as developer"))

            // Roles: only an owner changes them; a member is named by login or by id.
            let (notOwner, notOwnerOutput) = try await Self.slipway(["members", "role", "bob", "admin"], bob)
            #expect(notOwner == 1 && notOwnerOutput.contains("HTTP 403"), "\(notOwnerOutput)")
            let (roleStatus, role) = try await Self.slipway(["members", "role", "bob", "admin"], ada)
            #expect(roleStatus == 0 && role.contains("bob is now admin."), "\(role)")
            let members = try Self.objects(try await Self.slipway(["members", "list", "--json"], ada).1)
            #expect(members.compactMap { $0["login"] as? String } == ["ada", "bob"])
            #expect(members.compactMap { $0["role"] as? String } == ["owner", "admin"])
            let bobID = try #require(userIDs["bob"])
            let (byID, byIDOutput) = try await Self.slipway(["members", "role", String(bobID), "developer"], ada)
            #expect(byID == 0 && byIDOutput.contains("bob is now developer."), "\(byIDOutput)")
            let (stranger2, stranger2Output) = try await Self.slipway(["members", "remove", "carol"], ada)
            #expect(stranger2 == 1 && stranger2Output.contains("error: 'carol' is not a member of workspace acme"), "\(stranger2Output)")

            // Removing bob ends his session there: his next command is refused.
            let (removeStatus, removed) = try await Self.slipway(["members", "remove", "bob"], ada)
            #expect(removeStatus == 0 && removed.contains("removed from workspace 'acme'"), "\(removed)")
            let (goneStatus, gone) = try await Self.slipway(["whoami"], bob)
            #expect(goneStatus == 1 && gone.contains("HTTP 401"), "\(gone)")
            #expect(try await Self.slipway(["members", "list"], ada).1.contains("bob") == false)

            // Install administration: rename, and delete a workspace without projects only.
            let (renameStatus, renamed) = try await Self.slipway(["admin", "workspaces", "rename", "beta", "gamma"], admin)
            #expect(renameStatus == 0 && renamed.contains("Renamed workspace beta") && renamed.contains("to gamma."), "\(renamed)")
            let (busyStatus, busy) = try await Self.slipway(["admin", "workspaces", "delete", "acme"], admin)
            #expect(busyStatus == 1 && busy.contains("HTTP 409"), "\(busy)")
            let (deleteStatus, deleted) = try await Self.slipway(["admin", "workspaces", "delete", "gamma"], admin)
            #expect(deleteStatus == 0, "\(deleted)")
            let remaining = try Self.objects(try await Self.slipway(["admin", "workspaces", "list", "--json"], admin).1)
            #expect(remaining.compactMap { $0["name"] as? String } == ["default", "acme"])
            let (missingStatus, missing) = try await Self.slipway(["admin", "workspaces", "delete", "gamma"], admin)
            #expect(missingStatus == 1 && missing.contains("error: no workspace 'gamma' on this install"), "\(missing)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func anInstallAdministratorShowsAndSetsTheLimitsAndNobodyElseMay() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-limits-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await TestServer.withServer(configure: { $0.queueCap = 40 }) { server in
            let admin = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken, "XDG_CONFIG_HOME": root]
            let (shown, shownOutput) = try await Self.slipway(["admin", "limits", "show"], admin)
            #expect(shown == 0 && shownOutput.contains("queued-deployments-per-workspace") && shownOutput.contains("40"), "\(shownOutput)")

            let (set, setOutput) = try await Self.slipway(["admin", "limits", "set", "--projects-per-workspace", "3"], admin)
            #expect(set == 0, "\(setOutput)")
            let (_, afterSet) = try await Self.slipway(["admin", "limits", "set", "--workspace-workers", "1"], admin)
            #expect(!afterSet.isEmpty)
            // Each `set` changes only what it names.
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(try await Self.slipway(["admin", "limits", "show", "--json"], admin).1.utf8))
                    as? [String: Any])
            #expect(json["projects_per_workspace"] as? Int == 3 && json["workspace_workers"] as? Int == 1, "\(json)")
            let (unset, _) = try await Self.slipway(["admin", "limits", "set", "--projects-per-workspace", "none"], admin)
            #expect(unset == 0)
            #expect(try await server.client.installLimits().limits == .init(workspaceWorkers: 1))

            let (invalid, invalidOutput) = try await Self.slipway(["admin", "limits", "set", "--workspace-workers", "0"], admin)
            #expect(invalid == 1 && invalidOutput.contains("workspace_workers"), "\(invalidOutput)")
            let (nothing, nothingOutput) = try await Self.slipway(["admin", "limits", "set"], admin)
            #expect(nothing != 0 && nothingOutput.contains("name at least one limit"), "\(nothingOutput)")

            // A token of someone who is no install administrator is refused.
            _ = try await server.client.createUser(login: "olga", password: Self.password("olga"))
            let olga = try await server.client(token: "").logIn(login: "olga", password: Self.password("olga"))
            let (refused, refusedOutput) = try await Self.slipway(
                ["admin", "limits", "show"], ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": olga.token, "XDG_CONFIG_HOME": root])
            #expect(refused == 1 && refusedOutput.contains("HTTP 403"), "\(refusedOutput)")
        }
    }
}
