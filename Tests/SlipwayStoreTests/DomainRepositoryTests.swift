import Foundation
import SlipwayCore
import Testing

@testable import SlipwayStore

@Suite struct DomainRepositoryTests {
    private static let taken = SlipwayError.conflict("hostname shop.example.com is already a domain of a project on this server")

    @Test("A new domain reads back with a pending certificate from ACME and every other certificate field null", arguments: TestDatabase.all)
    func createAndRead(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let project = try await store.projects.create(Fixtures.newProject("shop"), workspaceID: identity.workspace.id)
            let created = try await store.domains.create(
                NewDomain(hostname: "shop.example.com", projectID: project.id, branch: nil, verifiedAt: Fixtures.time))
            let staging = try await store.domains.create(
                NewDomain(hostname: "a-staging.example.com", projectID: project.id, branch: "staging", verifiedAt: Fixtures.time))
            #expect(created.verifiedAt == Fixtures.time)
            #expect(created.certificate == CertificateState(status: .pending, source: .acme))
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: project.id) == created)
            #expect(try await store.domains.domains(projectID: project.id) == [staging, created])
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: project.id + 1) == nil)
            #expect(
                try await store.domains.routes() == [
                    "shop.example.com": DomainRoute(projectName: "shop", branch: nil),
                    "a-staging.example.com": DomainRoute(projectName: "shop", branch: "staging"),
                ])
        }
    }

    @Test(
        "An unproven domain is stored but not routed until verified, and a takeover releases another project's claim",
        arguments: TestDatabase.all)
    func verificationAndTakeover(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let squatter = try await store.projects.create(Fixtures.newProject("squat"), workspaceID: identity.workspace.id)
            let owner = try await store.projects.create(Fixtures.newProject("owner"), workspaceID: identity.workspace.id)
            let claimed = try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: squatter.id, branch: nil))
            #expect(claimed.verifiedAt == nil)
            #expect(try await store.domains.routes().isEmpty)
            #expect(try await store.domains.setVerified(hostname: "shop.example.com", projectID: owner.id, at: Fixtures.time) == false)
            #expect(try await store.domains.setVerified(hostname: "shop.example.com", projectID: squatter.id, at: Fixtures.time))
            #expect(try await store.domains.routes() == ["shop.example.com": DomainRoute(projectName: "squat", branch: nil)])

            // Its own project's name is not released; another project's is, and is added anew.
            #expect(try await store.domains.release(hostname: "shop.example.com", exceptProjectID: squatter.id) == nil)
            let released = try await store.domains.release(hostname: "shop.example.com", exceptProjectID: owner.id)
            #expect(released?.projectID == squatter.id)
            #expect(try await store.domains.domains(projectID: squatter.id).isEmpty)
            #expect(try await store.domains.routes().isEmpty)
            let created = try await store.domains.create(
                NewDomain(hostname: "shop.example.com", projectID: owner.id, branch: "main", verifiedAt: Fixtures.time(plus: 1)))
            #expect(created.verifiedAt == Fixtures.time(plus: 1))
            #expect(try await store.domains.routes() == ["shop.example.com": DomainRoute(projectName: "owner", branch: "main")])
            #expect(try await store.domains.release(hostname: "free.example.com", exceptProjectID: owner.id) == nil)
        }
    }

    @Test("A hostname belongs to one project of the install: another workspace's project gets the same 409", arguments: TestDatabase.all)
    func hostnamesAreUnique(database: TestDatabase) async throws {
        try await database.withStore { store in
            let first = try await Fixtures.bootstrap(store, workspace: "first")
            let second = try await Fixtures.bootstrap(store, workspace: "second")
            let shop = try await store.projects.create(Fixtures.newProject("shop"), workspaceID: first.workspace.id)
            let other = try await store.projects.create(Fixtures.newProject("other"), workspaceID: second.workspace.id)
            _ = try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: shop.id, branch: nil))
            await #expect(throws: Self.taken) {
                try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: shop.id, branch: "main"))
            }
            await #expect(throws: Self.taken) {
                try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: other.id, branch: nil))
            }
            #expect(try await store.domains.domains(projectID: other.id).isEmpty)
        }
    }

    @Test("Concurrent additions of one hostname: the unique index lets exactly one win, the others get the 409", arguments: TestDatabase.all)
    func concurrentAdditions(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            var projects: [Project] = []
            for index in 0..<6 {
                projects.append(try await store.projects.create(Fixtures.newProject("race\(index)"), workspaceID: identity.workspace.id))
            }
            let outcomes = await withTaskGroup(of: Result<Domain, SlipwayError>?.self) { group in
                for project in projects {
                    group.addTask {
                        do {
                            return .success(
                                try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: project.id, branch: nil)))
                        } catch let error as SlipwayError {
                            return .failure(error)
                        } catch {
                            Issue.record("unexpected error: \(error)")
                            return nil
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.compactMap { outcome -> Domain? in
                if case .success(let domain) = outcome { return domain }
                return nil
            }
            #expect(winners.count == 1)
            let losers = outcomes.filter { outcome in
                if case .failure(let error) = outcome { return error == Self.taken }
                return false
            }
            #expect(losers.count == 5)
            #expect(try await store.domains.allDomains().map(\.hostname) == ["shop.example.com"])
        }
    }

    @Test("Deleting a project removes its domains; removing a domain frees its hostname", arguments: TestDatabase.all)
    func deletion(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let shop = try await store.projects.create(Fixtures.newProject("shop"), workspaceID: identity.workspace.id)
            let blog = try await store.projects.create(Fixtures.newProject("blog"), workspaceID: identity.workspace.id)
            _ = try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: shop.id, branch: nil))
            _ = try await store.domains.create(NewDomain(hostname: "blog.example.com", projectID: blog.id, branch: nil))

            #expect(try await store.domains.delete(hostname: "blog.example.com", projectID: shop.id) == false)
            #expect(try await store.domains.delete(hostname: "blog.example.com", projectID: blog.id))
            #expect(try await store.domains.delete(hostname: "blog.example.com", projectID: blog.id) == false)
            _ = try await store.domains.create(NewDomain(hostname: "blog.example.com", projectID: shop.id, branch: nil))

            _ = try await store.projects.delete(id: shop.id, workspaceID: identity.workspace.id)
            #expect(try await store.domains.allDomains().isEmpty)
            _ = try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: blog.id, branch: nil))
        }
    }

    @Test("The certificate state is stored whole and read back exactly", arguments: TestDatabase.all)
    func certificateState(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let shop = try await store.projects.create(Fixtures.newProject("shop"), workspaceID: identity.workspace.id)
            _ = try await store.domains.create(NewDomain(hostname: "shop.example.com", projectID: shop.id, branch: nil))
            let failed = CertificateState(
                status: .failed, notAfter: Fixtures.time, issuer: "Pebble Intermediate CA", lastError: "urn:ietf:params:acme:error:rateLimited",
                nextAttemptAt: Fixtures.time(plus: 3_600_000_000), failedAttempts: 4, source: .acme)
            #expect(try await store.domains.setCertificate(failed, hostname: "shop.example.com"))
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: shop.id)?.certificate == failed)
            let uploaded = CertificateState(status: .issued, notAfter: Fixtures.time(plus: 1), issuer: "Private CA", source: .uploaded)
            #expect(try await store.domains.setCertificate(uploaded, hostname: "shop.example.com"))
            #expect(try await store.domains.domain(hostname: "shop.example.com", projectID: shop.id)?.certificate == uploaded)
            #expect(try await store.domains.setCertificate(uploaded, hostname: "nobody.example.com") == false)
        }
    }
}
