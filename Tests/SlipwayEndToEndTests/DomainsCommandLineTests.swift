import Foundation
import SlipwayCertificates
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Testing

/// `slipway domains add|list|rm|certificate`, through the built binary against a live server.
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
            #expect(bad.contains("certificate: is required for a wildcard domain"), "\(bad)")

            // A wildcard with its certificate's files; then its certificate replaced.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-cli-certs-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func files(_ name: String, validity: TimeInterval) throws -> (certificate: String, key: String) {
                let made = try SelfSignedCertificate.make(names: ["*.example.com"], validity: validity)
                let (certificate, key) = (directory.appendingPathComponent("\(name).pem").path, directory.appendingPathComponent("\(name).key").path)
                try made.certificatePEM.write(toFile: certificate, atomically: true, encoding: .utf8)
                try made.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
                return (certificate, key)
            }
            let first = try files("first", validity: 90 * 86400)
            let (halfStatus, half) = try await slipway("domains", "add", "shop", "*.example.com", "--certificate", first.certificate)
            #expect(halfStatus != 0 && half.contains("give --certificate and --private-key together"), "\(half)")
            let (unreadableStatus, unreadable) = try await slipway(
                "domains", "add", "shop", "*.example.com", "--certificate", directory.path + "/missing.pem", "--private-key", first.key)
            #expect(unreadableStatus == 1 && unreadable.contains("cannot read \(directory.path)/missing.pem"), "\(unreadable)")
            let (wildcardStatus, wildcard) = try await slipway(
                "domains", "add", "shop", "*.Example.com", "--certificate", first.certificate, "--private-key", first.key)
            #expect(wildcardStatus == 0, "\(wildcard)")
            #expect(wildcard.contains("Added *.example.com"), "\(wildcard)")
            #expect(wildcard.contains("certificate: issued by CN=*.example.com until"), "\(wildcard)")
            #expect(wildcard.contains("[uploaded]"), "\(wildcard)")
            let before = try await server.client.domain(project: "shop", hostname: "*.example.com").certificate.notAfter
            let second = try files("second", validity: 30 * 86400)
            let (replaceStatus, replaced) = try await slipway(
                "domains", "certificate", "shop", "*.example.com", "--certificate", second.certificate, "--private-key", second.key)
            #expect(replaceStatus == 0 && replaced.contains("Certificate of *.example.com stored"), "\(replaced)")
            #expect(try await server.client.domain(project: "shop", hostname: "*.example.com").certificate.notAfter != before)
            let (wildcardRemoveStatus, _) = try await slipway("domains", "rm", "shop", "*.example.com")
            #expect(wildcardRemoveStatus == 0)

            let (removeStatus, removed) = try await slipway("domains", "rm", "shop", "example.com")
            #expect(removeStatus == 0 && removed.contains("Removed example.com."), "\(removed)")
            let (missingStatus, missing) = try await slipway("domains", "rm", "shop", "example.com")
            #expect(missingStatus == 1 && missing.contains("domain 'example.com' not found"), "\(missing)")
            #expect(try await server.client.domains(project: "shop").map(\.hostname) == ["shop.example.com"])
        }
    }
}
