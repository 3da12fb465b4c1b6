import Foundation
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

@Suite struct CertificateRepositoryTests {
    private static let keyPEM = "-----BEGIN PRIVATE KEY-----\nclear-key-of-the-test\n-----END PRIVATE KEY-----\n"
    private static let chainPEM = "-----BEGIN CERTIFICATE-----\nchain-of-the-test\n-----END CERTIFICATE-----\n"

    private static func sealedKey(_ store: SQLStore, hostname: String) async throws -> String? {
        try await store.database.withConnection { session in
            try await session.value(
                String.self, column: "certificate_sealed_private_key",
                "SELECT certificate_sealed_private_key FROM domains WHERE hostname = \(bind: hostname)")
        }
    }

    private static func domain(_ store: SQLStore, _ hostname: String) async throws -> Domain {
        let identity = try await Fixtures.bootstrap(store)
        let project = try await store.projects.create(Fixtures.newProject("shop"), workspaceID: identity.workspace.id)
        return try await store.domains.create(NewDomain(hostname: hostname, projectID: project.id, branch: nil, verifiedAt: Fixtures.time))
    }

    @Test("A certificate is stored with its state in one step, its key sealed, and reads back in clear", arguments: TestDatabase.all)
    func storedSealed(database: TestDatabase) async throws {
        try await database.withStore { store in
            let certificates = store.certificates(box: Fixtures.secrets)
            let domain = try await Self.domain(store, "shop.example.com")
            #expect(try await certificates.certificate(hostname: "shop.example.com") == nil)
            #expect(try await certificates.allCertificates().isEmpty)

            let stored = StoredCertificate(hostname: "shop.example.com", chainPEM: Self.chainPEM, privateKeyPEM: Self.keyPEM)
            let notAfter = Date(timeIntervalSince1970: 1_900_000_000)
            let state = CertificateState(status: .issued, notAfter: notAfter, issuer: "CN=Test CA", nextAttemptAt: notAfter, source: .acme)
            #expect(try await certificates.storeCertificate(stored, state: state))
            #expect(try await certificates.certificate(hostname: "shop.example.com") == stored)
            #expect(try await certificates.allCertificates() == [stored])
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: domain.projectID)?.certificate == state)

            let sealed = try #require(try await Self.sealedKey(store, hostname: "shop.example.com"))
            #expect(sealed.hasPrefix("v1:") && !sealed.contains("clear-key"))
            #expect(
                try await certificates.storeCertificate(
                    StoredCertificate(hostname: "other.example.com", chainPEM: "", privateKeyPEM: ""), state: state) == false)

            // The key opens only with the install's key and for its own row.
            let other = store.certificates(
                box: try SecretBox.load(environmentValue: Data(repeating: 9, count: 32).base64EncodedString(), keyFile: "/nonexistent"))
            await #expect(throws: SecretKeyError.self) { try await other.certificate(hostname: "shop.example.com") }

            // Removing the domain removes its certificate.
            #expect(try await store.domains.delete(hostname: "shop.example.com", projectID: domain.projectID))
            #expect(try await certificates.allCertificates().isEmpty)
        }
    }

    @Test("A domain added with its certificate is stored with it in one transaction, and a taken name stores neither", arguments: TestDatabase.all)
    func createdWithItsCertificate(database: TestDatabase) async throws {
        try await database.withStore { store in
            let certificates = store.certificates(box: Fixtures.secrets)
            let existing = try await Self.domain(store, "shop.example.com")
            let state = CertificateState(
                status: .issued, notAfter: Date(timeIntervalSince1970: 1_900_000_000), issuer: "CN=Private CA", source: .uploaded)
            let wildcard = StoredCertificate(hostname: "*.example.com", chainPEM: Self.chainPEM, privateKeyPEM: Self.keyPEM)
            let created = try await certificates.createDomain(
                NewDomain(hostname: "*.example.com", projectID: existing.projectID, branch: "staging", verifiedAt: Fixtures.time),
                certificate: wildcard,
                state: state)
            #expect(created.hostname == "*.example.com" && created.branch == "staging" && created.certificate == state)
            #expect(try await store.domains.domain(hostname: "*.example.com", projectID: existing.projectID) == created)
            #expect(try await certificates.certificate(hostname: "*.example.com") == wildcard)
            let sealed = try #require(try await Self.sealedKey(store, hostname: "*.example.com"))
            #expect(!sealed.contains("clear-key"))
            #expect(try await store.domains.routes()["*.example.com"] == DomainRoute(projectName: "shop", branch: "staging"))

            // The name is taken: a 409, and the row that holds it keeps its own (empty) certificate.
            await #expect(throws: SlipwayError.conflict("hostname shop.example.com is already a domain of a project on this server")) {
                try await certificates.createDomain(
                    NewDomain(hostname: "shop.example.com", projectID: existing.projectID, branch: nil),
                    certificate: StoredCertificate(hostname: "shop.example.com", chainPEM: Self.chainPEM, privateKeyPEM: Self.keyPEM), state: state)
            }
            #expect(try await certificates.certificate(hostname: "shop.example.com") == nil)
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: existing.projectID)?.certificate == CertificateState())
            #expect(try await store.domains.domains(projectID: existing.projectID).map(\.hostname) == ["*.example.com", "shop.example.com"])
        }
    }

    @Test("ACME writes leave an uploaded certificate alone: neither its chain nor its state is replaced", arguments: TestDatabase.all)
    func uploadedIsNeverReplacedByACME(database: TestDatabase) async throws {
        try await database.withStore { store in
            let certificates = store.certificates(box: Fixtures.secrets)
            let domain = try await Self.domain(store, "shop.example.com")
            let uploaded = StoredCertificate(hostname: "shop.example.com", chainPEM: "uploaded chain", privateKeyPEM: "uploaded key")
            let uploadedState = CertificateState(status: .issued, issuer: "CN=Private CA", source: .uploaded)
            #expect(try await certificates.storeCertificate(uploaded, state: uploadedState))

            let issued = StoredCertificate(hostname: "shop.example.com", chainPEM: "acme chain", privateKeyPEM: "acme key")
            #expect(try await certificates.storeACMECertificate(issued, state: CertificateState(status: .issued, source: .acme)) == false)
            #expect(
                try await certificates.setACMEState(CertificateState(status: .failed, lastError: "refused"), hostname: "shop.example.com") == false)
            #expect(try await certificates.certificate(hostname: "shop.example.com") == uploaded)
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: domain.projectID)?.certificate == uploadedState)

            // A domain whose certificate comes from ACME takes both.
            let acme = try await store.domains.create(NewDomain(hostname: "www.example.com", projectID: domain.projectID, branch: nil))
            let failed = CertificateState(status: .failed, lastError: "the CA refused", nextAttemptAt: Date(timeIntervalSince1970: 1_800_000_000))
            #expect(try await certificates.setACMEState(failed, hostname: "www.example.com"))
            #expect(try await store.domains.domain(hostname: "www.example.com", projectID: acme.projectID)?.certificate == failed)
            let www = StoredCertificate(hostname: "www.example.com", chainPEM: "acme chain", privateKeyPEM: "acme key")
            #expect(try await certificates.storeACMECertificate(www, state: CertificateState(status: .issued, source: .acme)))
            #expect(try await certificates.certificate(hostname: "www.example.com") == www)
        }
    }

    @Test("One ACME account key per directory URL: the first stored wins, sealed", arguments: TestDatabase.all)
    func accountKeys(database: TestDatabase) async throws {
        try await database.withStore { store in
            let certificates = store.certificates(box: Fixtures.secrets)
            let production = "https://acme-v02.api.letsencrypt.org/directory"
            #expect(try await certificates.accountKey(directoryURL: production) == nil)
            #expect(try await certificates.storeAccountKey("first key", directoryURL: production) == "first key")
            #expect(try await certificates.storeAccountKey("second key", directoryURL: production) == "first key")
            #expect(try await certificates.storeAccountKey("staging key", directoryURL: "https://staging.example/dir") == "staging key")
            #expect(try await certificates.accountKey(directoryURL: production) == "first key")
            let sealed = try await store.database.withConnection { session in
                try await session.value(
                    String.self, column: "sealed_private_key",
                    "SELECT sealed_private_key FROM acme_accounts WHERE directory_url = \(bind: production)")
            }
            #expect(sealed?.hasPrefix("v1:") == true && sealed?.contains("first key") == false)
        }
    }
}
