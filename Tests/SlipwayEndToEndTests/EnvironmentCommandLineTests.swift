import Foundation
import SlipwayClient
import SlipwayTesting
import Testing

/// `slipway env set|list|unset` and `slipway promote`, through the built binary against a live server.
@Suite struct EnvironmentCommandLineTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func setListUnsetAndPromoteFromTheCommandLine() async throws {
        let site = try TemporaryGitRepository()
        try site.write("build.sh", "mkdir -p dist; printf '%s' \"$GREETING\" > dist/index.html; echo \"secret is $TOKEN\"\n")
        try site.commit("site")
        try await TestServer.withServer { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            func slipway(_ arguments: String...) async throws -> (Int32, String) {
                try await CommandLineTests.slipway(arguments, environment: environment)
            }
            #expect(
                try await slipway(
                    "projects", "create", "cli-env", "--repository", site.path, "--build-command", "sh build.sh", "--output-dir", "dist"
                ).0 == 0)

            let (setStatus, setOutput) = try await slipway("env", "set", "cli-env", "GREETING=hello from prod", "EMPTY=")
            #expect(setStatus == 0, "\(setOutput)")
            #expect(setOutput.contains("Set EMPTY, GREETING in production of cli-env"))
            #expect(try await slipway("env", "set", "cli-env", "--secret", "TOKEN=hunter2-secret").0 == 0)
            #expect(try await slipway("env", "set", "cli-env", "--preview", "GREETING=hello from preview").0 == 0)

            let (listStatus, table) = try await slipway("env", "list", "cli-env")
            #expect(listStatus == 0)
            #expect(table.contains("ENVIRONMENT") && table.contains("production") && table.contains("hello from preview"))
            #expect(table.contains("•••") && !table.contains("hunter2-secret"), "\(table)")
            let (_, jsonText) = try await slipway("env", "list", "cli-env", "--json")
            let json = try JSONSerialization.jsonObject(with: Data(jsonText.utf8)) as? [String: [String: [String: Any]]]
            #expect(json?["production"]?["TOKEN"]?["value"] as? String == "•••")
            #expect(json?["production"]?["TOKEN"]?["secret"] as? Bool == true)
            #expect(json?["production"]?["GREETING"]?["value"] as? String == "hello from prod")
            #expect(json?["preview"]?["GREETING"]?["value"] as? String == "hello from preview")

            let (unsetStatus, unsetOutput) = try await slipway("env", "unset", "cli-env", "EMPTY")
            #expect(unsetStatus == 0 && unsetOutput.contains("Removed EMPTY from production of cli-env"))
            let (_, afterUnset) = try await slipway("env", "list", "cli-env", "--production", "--json")
            let remaining = try JSONSerialization.jsonObject(with: Data(afterUnset.utf8)) as? [String: [String: Any]]
            #expect(remaining?["production"]?.keys.sorted() == ["GREETING", "TOKEN"])
            #expect(remaining?["preview"] == nil)

            let (badStatus, badOutput) = try await slipway("env", "set", "cli-env", "PATH=/tmp")
            #expect(badStatus == 1 && badOutput.contains("production.PATH"), "\(badOutput)")
            #expect(try await slipway("env", "set", "cli-env", "NOEQUALS").0 != 0)

            // A preview, then promote it from the command line.
            try site.checkoutNewBranch("feature")
            try site.write("notes.txt", "x")
            try site.commit("feature")
            let (deployStatus, deployOutput) = try await slipway("deploy", "cli-env", "--branch", "feature", "--wait")
            #expect(deployStatus == 0, "\(deployOutput)")
            #expect(!deployOutput.contains("hunter2-secret"))
            let (promoteStatus, promoteOutput) = try await slipway("promote", "1", "--json")
            #expect(promoteStatus == 0, "\(promoteOutput)")
            let promoted = try JSONSerialization.jsonObject(with: Data(promoteOutput.utf8)) as? [String: Int]
            let promotedID = try #require(promoted?["deployment_id"])
            let deployment = try await server.client.waitForDeployment(Int64(promotedID))
            #expect(deployment.state == "success" && deployment.trigger == "promote")
            #expect(try await server.edge("cli-env").body == "hello from preview")
            let (againStatus, againOutput) = try await slipway("promote", String(promotedID))
            #expect(againStatus == 1 && againOutput.contains("already the active production deployment") && againOutput.contains("HTTP 409"))
            let (helpStatus, help) = try await slipway("env", "set", "--help")
            #expect(helpStatus == 0 && help.contains("Examples:"))
        }
    }
}
