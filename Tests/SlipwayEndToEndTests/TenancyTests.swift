import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayTesting
import Testing

/// Two workspaces made through the API only (docs/tenancy.md), each with an owner, a developer and a viewer, on a
/// real server over loopback with real builds: each deploys and reads its own, none crosses over in any dialect, and
/// a removed member's session and tokens stop working at once. Every answer is checked against the OpenAPI document.
@Suite struct TenancyTests {
    static let adminPassword = "the admin's long passphrase"

    /// A person of the test: their login session and what the server answered about them.
    struct Person {
        var login: String
        var userID: Int64
        var client: SlipwayClient
    }

    /// A JSON answer of a raw request.
    struct Answer {
        var status: Int
        var json: [String: Any]
    }

    func call(_ client: SlipwayClient, _ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, workspace: String? = nil)
        async throws -> Answer
    {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let (status, answer) = try await client.raw(method, path, body: data, headers: workspace.map { [("X-Slipway-Workspace", $0)] } ?? [])
        return Answer(status: status, json: (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any] ?? [:])
    }

    /// Creates a user as the install administrator, and logs them in.
    func person(_ server: TestServer, _ admin: SlipwayClient, _ login: String) async throws -> Person {
        let password = "password of \(login), long enough"
        let user = try await admin.createUser(login: login, password: password)
        let session = try await server.client(token: "").logIn(login: login, password: password)
        return Person(login: login, userID: user.id, client: server.client(token: session.token))
    }

    /// The owner invites `person` with `role`; the person accepts with their own session.
    func join(_ person: Person, _ role: String, invitedBy owner: Person) async throws {
        let invitation = try await call(owner.client, .POST, "/api/v1/invitations", ["login": person.login, "role": role])
        #expect(invitation.status == 201, "\(invitation.json)")
        let code = try #require(invitation.json["code"] as? String)
        // The code is personal: the owner cannot use it, and a guess is nothing.
        #expect(try await call(owner.client, .POST, "/api/v1/invitations/\(code)/accept").status == 404)
        #expect(try await call(person.client, .POST, "/api/v1/invitations/\(Invitation.generateCode())/accept").status == 404)
        let accepted = try await call(person.client, .POST, "/api/v1/invitations/\(code)/accept")
        #expect(accepted.status == 201 && accepted.json["role"] as? String == role, "\(accepted.json)")
        // Once only.
        #expect(try await call(person.client, .POST, "/api/v1/invitations/\(code)/accept").status == 404)
    }

    /// A team: a workspace with an owner, a developer and a viewer, and a static site built from a real repository.
    struct Team {
        var name: String
        var workspaceID: Int64
        var accountID: String
        var owner: Person
        var developer: Person
        var viewer: Person
        var project: ProjectInfo
        var deployment: DeploymentInfo
    }

    func team(_ server: TestServer, _ admin: SlipwayClient, _ name: String, site: TemporaryGitRepository) async throws -> Team {
        let owner = try await person(server, admin, "\(name)-owner")
        let created = try await call(admin, .POST, "/api/v1/workspaces", ["name": name, "owner_login": owner.login])
        #expect(created.status == 201, "\(created.json)")
        let workspace = try #require(created.json["workspace"] as? [String: Any])
        let developer = try await person(server, admin, "\(name)-developer")
        let viewer = try await person(server, admin, "\(name)-viewer")
        // Before joining, a user acts nowhere: a workspace route is 403, `me` says so.
        let nowhere = try await call(developer.client, .GET, "/api/v1/projects")
        #expect(nowhere.status == 403 && "\(nowhere.json)".contains("not a member of any workspace"))
        try await join(developer, "developer", invitedBy: owner)
        try await join(viewer, "viewer", invitedBy: owner)

        let members = try await call(viewer.client, .GET, "/api/v1/members")
        let roles = (members.json["data"] as? [[String: Any]] ?? []).map { ($0["user"] as? [String: Any])?["login"] as? String ?? "" }
        #expect(roles == [owner.login, developer.login, viewer.login])

        // The owner makes the project; the developer deploys it and it goes live; the viewer reads it.
        let project = try await owner.client.createProject(
            NewProjectRequest(name: "\(name)-site", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
        let deployed = try await developer.client.deploy(projectIDs: [project.id])
        let deployment = try await viewer.client.waitForDeployment(try #require(deployed.deploymentIds.first))
        #expect(deployment.state == "success", "\(deployment)")
        return Team(
            name: name, workspaceID: try #require(workspace["id"] as? Int64), accountID: try #require(workspace["cloudflare_account_id"] as? String),
            owner: owner, developer: developer, viewer: viewer, project: project, deployment: deployment
        )
    }

    @Test func twoTeamsDeployAndReadTheirOwnAndNeverCrossOver() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "#!/bin/sh\nset -e\nmkdir -p dist\necho '<p>hello</p>' > dist/index.html\n")
        _ = try site.commit("first")
        try await TestServer.withServer(configure: { $0.adminPassword = Self.adminPassword }) { server in
            let admin = server.client(token: try await server.client(token: "").logIn(login: "admin", password: Self.adminPassword).token)
            let alpha = try await team(server, admin, "alpha", site: site)
            let beta = try await team(server, admin, "beta", site: site)

            // Roles: the viewer reads but does not deploy; the developer deploys but does not manage projects or people.
            #expect(try await call(alpha.viewer.client, .GET, "/api/v1/deployments/\(alpha.deployment.id)").status == 200)
            #expect(try await call(alpha.viewer.client, .POST, "/api/v1/deployments", ["project_ids": [alpha.project.id]]).status == 403)
            #expect(try await call(alpha.viewer.client, .POST, "/api/v1/deployments/\(alpha.deployment.id)/rerun").status == 403)
            // The developer is let through (and told that only a failed deployment is rerun).
            let rerun = try await call(alpha.developer.client, .POST, "/api/v1/deployments/\(alpha.deployment.id)/rerun")
            #expect(rerun.status == 409, "\(rerun.json)")
            #expect(try await call(alpha.developer.client, .DELETE, "/api/v1/projects/\(alpha.project.id)").status == 403)
            #expect(try await call(alpha.developer.client, .POST, "/api/v1/invitations", ["login": "x", "role": "viewer"]).status == 403)
            #expect(
                try await call(alpha.developer.client, .PATCH, "/api/v1/members/\(alpha.viewer.userID)", ["role": "admin"]).status == 403)

            // No crossing over, in any dialect: the other team's things are 404 as if they did not exist.
            for (other, own) in [(beta, alpha), (alpha, beta)] {
                for person in [own.owner, own.developer, own.viewer] {
                    let client = person.client
                    #expect(try await call(client, .GET, "/api/v1/deployments/\(other.deployment.id)").status == 404)
                    #expect(try await call(client, .GET, "/api/v1/projects/\(other.project.id)").status == 404)
                    #expect(try await call(client, .GET, "/api/v1/deployments/\(other.deployment.id)/logs").status == 404)
                    // The viewer may not rerun anything, whoever's: 403 before any lookup, the same for any id.
                    let rerun = try await call(client, .POST, "/api/v1/deployments/\(other.deployment.id)/rerun").status
                    #expect(rerun == (person.login.hasSuffix("viewer") ? 403 : 404))
                    let deploys = PrefixedID.deployment.format(try #require(UUID(uuidString: other.deployment.uid)))
                    #expect(try await call(client, .GET, "/api/deploys/\(deploys)").status == 404)
                    #expect(try await call(client, .GET, "/api/deployment.all?applicationId=\(other.project.uid)").status == 404)
                    let foreign = "/client/v4/accounts/\(other.accountID)/pages/projects/\(other.project.name)/deployments"
                    #expect(try await call(client, .GET, foreign).status == 404)
                    // Naming the other workspace is no way in either.
                    #expect(try await call(client, .GET, "/api/v1/projects", workspace: "\(other.workspaceID)").status == 404)
                    #expect(try await call(client, .GET, "/api/v1/me", workspace: other.name).status == 404)

                    // Their own, through every dialect, works the same in both workspaces.
                    let lists = try await call(client, .GET, "/api/v1/deployments")
                    let ids = (lists.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int64 }
                    #expect(lists.status == 200 && ids.contains(own.deployment.id) && !ids.contains(other.deployment.id))
                    let ownDeploys = PrefixedID.deployment.format(try #require(UUID(uuidString: own.deployment.uid)))
                    #expect(try await call(client, .GET, "/api/deploys/\(ownDeploys)").status == 200)
                    #expect(try await call(client, .GET, "/api/deployment.all?applicationId=\(own.project.uid)").status == 200)
                    let mine = "/client/v4/accounts/\(own.accountID)/pages/projects/\(own.project.name)/deployments"
                    let cloudflare = try await call(client, .GET, mine)
                    let uids = (cloudflare.json["result"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    #expect(cloudflare.status == 200 && uids.contains(own.deployment.uid), "\(cloudflare.json)")
                }
            }

            // `me` names the user, the workspace, the role, the scopes and the user's workspaces.
            let me = try await call(alpha.developer.client, .GET, "/api/v1/me")
            #expect(me.json["role"] as? String == "developer" && me.json["scopes"] as? [String] == ["deploy"])
            #expect((me.json["workspaces"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["alpha"])
        }
    }

    @Test func aRemovedMembersSessionAndTokensStopAtOnceAndAnExpiredTokenIs401() async throws {
        try await TestServer.withServer(configure: { $0.adminPassword = Self.adminPassword }) { server in
            let admin = server.client(token: try await server.client(token: "").logIn(login: "admin", password: Self.adminPassword).token)
            let owner = try await person(server, admin, "olga")
            #expect(try await call(admin, .POST, "/api/v1/workspaces", ["name": "gamma", "owner_login": "olga"]).status == 201)
            let member = try await person(server, admin, "mika")
            try await join(member, "admin", invitedBy: owner)

            // An admin member makes a token of their own; a second session of theirs is open too.
            let token = try await member.client.createToken(name: "ci", scopes: ["deploy"])
            let secret = try #require(token.token)
            let second = server.client(
                token: try await server.client(token: "").logIn(login: "mika", password: "password of mika, long enough").token)
            for client in [member.client, server.client(token: secret), second] {
                #expect(try await call(client, .GET, "/api/v1/projects").status == 200)
            }
            // A workspace keeps an owner: the only owner cannot leave or step down.
            #expect(try await call(owner.client, .DELETE, "/api/v1/members/\(owner.userID)").status == 409)
            #expect(try await call(owner.client, .PATCH, "/api/v1/members/\(owner.userID)", ["role": "viewer"]).status == 409)
            let badRole = try await call(owner.client, .PATCH, "/api/v1/members/\(member.userID)", ["role": "king"])
            #expect(badRole.status == 422 && "\(badRole.json)".contains("role"))

            #expect(try await call(owner.client, .DELETE, "/api/v1/members/\(member.userID)").status == 200)
            for client in [member.client, server.client(token: secret), second] {
                #expect(try await call(client, .GET, "/api/v1/projects").status == 401)
            }
            // They can log in again, but act nowhere.
            let again = server.client(token: try await server.client(token: "").logIn(login: "mika", password: "password of mika, long enough").token)
            #expect(try await call(again, .GET, "/api/v1/projects").status == 403)

            // A token past its time is 401, like an unknown one.
            let expiry = Date().addingTimeInterval(2)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let shortLived = try await owner.client.createToken(name: "brief", scopes: ["read"], expiresAt: formatter.string(from: expiry))
            let shortClient = server.client(token: try #require(shortLived.token))
            while Date() < expiry { try await Task.sleep(for: .milliseconds(100)) }
            try await Task.sleep(for: .milliseconds(100))
            let expired = try await call(shortClient, .GET, "/api/v1/projects")
            #expect(expired.status == 401, "\(expired.json)")
        }
    }
}

extension TenancyTests {
    @Test func gitRemotesActInTheWorkspaceTheHeaderNames() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "#!/bin/sh\nmkdir -p dist\necho hi > dist/index.html\n")
        _ = try site.commit("first")
        try await TestServer.withServer { server in
            // The administrator owns `default` and a second workspace, where the project is.
            let admin = server.client
            #expect(try await call(admin, .POST, "/api/v1/workspaces", ["name": "omega"]).status == 201)
            let created = try await call(
                admin, .POST, "/api/v1/projects",
                ["name": "omega-site", "repository": "slipway", "build_command": "sh build.sh", "output_dir": "dist"], workspace: "omega")
            #expect(created.status == 201, "\(created.json)")
            let remote = "http://x:\(server.adminToken)@127.0.0.1:\(server.port)/git/omega-site.git"

            // In the token's own workspace there is no such project; naming the other one finds it.
            await #expect(throws: (any Error).self) { try await onOwnThread { try site.git("push", "--quiet", remote, "main") } }
            await #expect(throws: (any Error).self) {
                try await onOwnThread { try site.git("-c", "http.extraHeader=X-Slipway-Workspace: nowhere", "push", "--quiet", remote, "main") }
            }
            _ = try await onOwnThread { try site.git("-c", "http.extraHeader=X-Slipway-Workspace: omega", "push", "--quiet", remote, "main") }
            let pushed = try await call(admin, .GET, "/api/v1/projects/omega-site/deployments", workspace: "omega")
            #expect(pushed.status == 200 && (pushed.json["data"] as? [Any])?.count == 1, "\(pushed.json)")
        }
    }
}

/// The install-wide limits (docs/tenancy.md): install administrators set them by API, and they apply at once.
@Suite struct InstallLimitsTests {
    @Test func installAdministratorsSetLimitsThatApplyAtOnceAndNobodyElseMay() async throws {
        try await TestServer.withServer(configure: {
            $0.adminPassword = TenancyTests.adminPassword
            $0.queueCap = 50
        }) { server in
            let tenancy = TenancyTests()
            let admin = server.client(token: try await server.client(token: "").logIn(login: "admin", password: TenancyTests.adminPassword).token)
            let owner = try await tenancy.person(server, admin, "lena")
            #expect(try await tenancy.call(admin, .POST, "/api/v1/workspaces", ["name": "delta", "owner_login": "lena"]).status == 201)

            let shown = try await tenancy.call(admin, .GET, "/api/v1/admin/limits")
            #expect(shown.status == 200)
            #expect((shown.json["defaults"] as? [String: Any])?["queued_deployments_per_workspace"] as? Int == 50)
            #expect((shown.json["limits"] as? [String: Any])?["projects_per_workspace"] is NSNull)
            // An owner of a workspace is no install administrator.
            #expect(try await tenancy.call(owner.client, .GET, "/api/v1/admin/limits").status == 403)
            #expect(try await tenancy.call(owner.client, .PUT, "/api/v1/admin/limits", ["projects_per_workspace": 100]).status == 403)
            let invalid = try await tenancy.call(admin, .PUT, "/api/v1/admin/limits", ["projects_per_workspace": 0, "workspace_workers": -1])
            #expect(invalid.status == 422)
            #expect(Set((invalid.json["errors"] as? [String: Any] ?? [:]).keys) == ["projects_per_workspace", "workspace_workers"])

            let one = try await owner.client.createProject(NewProjectRequest(name: "delta-one", repository: "https://example.com/one.git"))
            let two = try await owner.client.createProject(NewProjectRequest(name: "delta-two", repository: "https://example.com/two.git"))
            let set = try await tenancy.call(
                admin, .PUT, "/api/v1/admin/limits", ["projects_per_workspace": 2, "queued_deployments_per_workspace": 1])
            #expect(set.status == 200 && (set.json["limits"] as? [String: Any])?["projects_per_workspace"] as? Int == 2)

            // Two projects per workspace: the third is refused, saying which limit.
            let third = try await tenancy.call(
                owner.client, .POST, "/api/v1/projects", ["name": "delta-three", "repository": "https://example.com/three.git"])
            #expect(third.status == 409 && "\(third.json)".contains("projects_per_workspace"), "\(third.json)")
            // One deployment waiting per workspace: two at once are refused.
            let full = try await tenancy.call(owner.client, .POST, "/api/v1/deployments", ["project_ids": [one.id, two.id]])
            #expect(full.status == 429, "\(full.json)")

            // Unset again: the defaults apply.
            #expect(try await tenancy.call(admin, .PUT, "/api/v1/admin/limits", [:]).status == 200)
            let again = try await tenancy.call(
                owner.client, .POST, "/api/v1/projects", ["name": "delta-three", "repository": "https://example.com/three.git"])
            #expect(again.status == 201, "\(again.json)")
        }
    }
}
