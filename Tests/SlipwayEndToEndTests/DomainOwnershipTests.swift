import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayCore
import SlipwayServer
import SlipwayTesting
import Testing

/// Domain ownership with TXT records, against a real DNS server (pebble-challtestsrv on loopback): an unproven domain
/// is neither routed nor given a certificate, `verify` routes it once the record is there, and a workspace that proves
/// a name takes it over from another workspace's claim.
@Suite(.enabled(if: PebbleServer.isInstalled, "needs Debian's pebble: pebble-challtestsrv is the DNS server the records are set on"))
struct DomainOwnershipTests {
    static let hostname = "shop.example.test"

    @Test func anUnprovenDomainIsNotServedUntilItsRecordIsThereAndAProvenWorkspaceTakesANameOver() async throws {
        let site = try CustomDomainTests.makeSite()
        try await PebbleServer.run(.init(httpChallengePort: 1, tlsChallengePort: 1)) { pebble in
            try await TestServer.withServer(configure: { configuration in
                configuration.domainVerification = .txt
                configuration.dnsResolver = "127.0.0.1:\(pebble.dnsPort)"
            }) { server in
                // A squatting workspace claims the name first, before anyone could prove it.
                let squatterToken = try await server.createWorkspace("squatter")
                let squatter = server.client(token: squatterToken)
                let squat = try await squatter.createProject(
                    NewProjectRequest(name: "squat", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
                #expect(try await CustomDomainTests.deploy(squatter, squat.id).state == "success")
                let claim = try await squatter.addDomain(project: "squat", hostname: Self.hostname)
                let claimRecord = try #require(claim.verification)
                #expect(claimRecord.status == "pending" && claimRecord.verifiedAt == nil && claimRecord.type == "TXT")
                #expect(claimRecord.name == "_slipway-challenge.\(Self.hostname)")
                #expect(claimRecord.value?.hasPrefix("slipway-verify=") == true)
                #expect(claim.certificate.status == "pending")
                // Not proven: not served (the name is no route, so the API answers), and verify says what is missing.
                #expect(try await CustomDomainTests.fetch(server, host: Self.hostname).body.hasPrefix("<h1>") == false)
                await #expect(throws: ClientError.self) { try await squatter.verifyDomain(project: "squat", hostname: Self.hostname) }
                let refused = try await CustomDomainTests.call(
                    server, .POST, "/api/v1/projects/squat/domains/\(Self.hostname)/verify", token: squatterToken)
                #expect(refused.status == 409)
                #expect(
                    String(decoding: refused.body, as: UTF8.self).contains("_slipway-challenge.\(Self.hostname) has no TXT record"),
                    "\(String(decoding: refused.body, as: UTF8.self))")
                #expect(String(decoding: refused.body, as: UTF8.self).contains(try #require(claimRecord.value)))

                // The real owner's workspace: the name is taken, and the 409 tells it which record proves it.
                let owner = server.client
                let shop = try await owner.createProject(
                    NewProjectRequest(name: "shop", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
                #expect(try await CustomDomainTests.deploy(owner, shop.id, branch: "staging").state == "success")
                let taken = try await CustomDomainTests.call(
                    server, .POST, "/api/v1/projects/shop/domains", body: #"{"hostname": "\#(Self.hostname)", "branch": "staging"}"#)
                #expect(taken.status == 409)
                let takenText = String(decoding: taken.body, as: UTF8.self)
                #expect(takenText.contains("_slipway-challenge.\(Self.hostname)"), "\(takenText)")
                #expect(takenText.contains(try #require(claimRecord.value)) == false, "each workspace has its own token")
                let ownerValue = try #require(
                    takenText.range(of: #"slipway-verify=[0-9a-f]{32}"#, options: .regularExpression).map { String(takenText[$0]) })

                // The squatter's own record would have proven it for the squatter; the owner's record proves it for
                // the owner, who takes the name over: served from the owner's project at once.
                try await pebble.setTXT("_slipway-challenge.\(Self.hostname)", ownerValue)
                await #expect(throws: ClientError.self) { try await squatter.verifyDomain(project: "squat", hostname: Self.hostname) }
                let takenOver = try await owner.addDomain(project: "shop", hostname: Self.hostname, branch: "staging")
                #expect(takenOver.verification?.status == "verified" && takenOver.verification?.verifiedAt != nil)
                #expect(try await squatter.domains(project: "squat").isEmpty)
                #expect(try await CustomDomainTests.fetch(server, host: Self.hostname).body.contains("<h1>staging</h1>"))

                // A second name of the owner's, added before its record exists, is verified once it does.
                let later = "later.example.test"
                let pending = try await owner.addDomain(project: "shop", hostname: later, branch: "staging")
                #expect(pending.verification?.status == "pending")
                #expect(try await CustomDomainTests.fetch(server, host: later).body.hasPrefix("<h1>") == false)
                try await pebble.setTXT("_slipway-challenge.\(later)", try #require(pending.verification?.value))
                let verified = try await owner.verifyDomain(project: "shop", hostname: later)
                #expect(verified.verification?.status == "verified")
                #expect(try await CustomDomainTests.fetch(server, host: later).body.contains("<h1>staging</h1>"))
                // Verifying again answers the domain as it is.
                #expect(try await owner.verifyDomain(project: "shop", hostname: later).verification?.verifiedAt == verified.verification?.verifiedAt)
            }
        }
    }
}
