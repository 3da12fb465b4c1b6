import Foundation
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// `slipway domains add|list|rm`, through the built binary against a live server.
@Suite struct DomainsCommandLineTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CommandLineTests.executable)))
    func addListAndRemoveDomainsFromTheCommandLine() async throws {
        try await TestServer.withServer(configure: { $0.domain = "slipway.example.test" }) { server in
            let environment = ["SLIPWAY_URL": server.baseURL, "SLIPWAY_TOKEN": server.adminToken]
            func slipway(_ arguments: String...) async throws -> (Int32, String) {
                try await CommandLineTests.slipway(arguments, environment: environment)
            }
            #expect(try await slipway("projects", "create", "shop", "--repository", "https://git.example.com/shop.git").0 == 0)

            let (addStatus, added) = try await slipway("domains", "add", "shop", "Shop.Example.com")
            #expect(addStatus == 0, "\(added)")
            #expect(added.contains("Added shop.example.com"))
            #expect(added.contains("DNS: CNAME shop.example.com → shop.slipway.example.test"), "\(added)")
            #expect(added.contains("certificate: pending [acme]"), "\(added)")

            let (apexStatus, apex) = try await slipway("domains", "add", "shop", "example.com", "--branch", "staging")
            #expect(apexStatus == 0, "\(apex)")
            #expect(apex.contains("DNS: A example.com: an apex domain: create an A record to this server's address"), "\(apex)")

            let (listStatus, table) = try await slipway("domains", "list", "shop")
            #expect(listStatus == 0)
            #expect(table.contains("DOMAIN") && table.contains("CERTIFICATE") && table.contains("NOT AFTER") && table.contains("NEXT ATTEMPT"))
            #expect(table.contains("LAST ERROR"))
            #expect(table.contains("example.com") && table.contains("branch staging"))
            #expect(table.contains("shop.example.com") && table.contains("production") && table.contains("pending [acme]"), "\(table)")
            let (_, jsonText) = try await slipway("domains", "list", "shop", "--json")
            let json = try JSONSerialization.jsonObject(with: Data(jsonText.utf8)) as? [[String: Any]]
            #expect(json?.compactMap { $0["hostname"] as? String } == ["example.com", "shop.example.com"])

            let (badStatus, bad) = try await slipway("domains", "add", "shop", "*.example.com")
            #expect(badStatus == 1)
            #expect(bad.contains("hostname: wildcards need an uploaded certificate"), "\(bad)")

            let (removeStatus, removed) = try await slipway("domains", "rm", "shop", "example.com")
            #expect(removeStatus == 0 && removed.contains("Removed example.com."), "\(removed)")
            let (missingStatus, missing) = try await slipway("domains", "rm", "shop", "example.com")
            #expect(missingStatus == 1 && missing.contains("domain 'example.com' not found"), "\(missing)")
            #expect(try await server.client.domains(project: "shop").map(\.hostname) == ["shop.example.com"])
        }
    }
}
