import Foundation
import Testing

@testable import SlipwayCore

@Suite struct ProjectValidationTests {
    @Test(arguments: ["a", "hello-static", "x1", String(repeating: "a", count: 63)])
    func validNames(name: String) { #expect(ProjectValidation.nameProblem(name) == nil) }

    @Test(arguments: ["", "Hello", "-a", "a-", "a_b", "a.b", "ünï", String(repeating: "a", count: 64)])
    func invalidNames(name: String) { #expect(ProjectValidation.nameProblem(name) != nil) }

    @Test(arguments: ["/srv/git/site", "https://github.com/a/b.git", "git://host/x", "ssh://git@host/x", "file:///tmp/x", "git@github.com:a/b.git"])
    func validRepositories(repository: String) { #expect(ProjectValidation.repositoryProblem(repository) == nil) }

    @Test(arguments: ["", "relative/path", "ftp://host/x", "-uhack", "https://", "a\nb"])
    func invalidRepositories(repository: String) { #expect(ProjectValidation.repositoryProblem(repository) != nil) }

    @Test func aNewProjectNamesEveryBadFieldAndDefaultsTheRest() throws {
        #expect(
            throws: SlipwayError.invalid([
                FieldProblem(.name("name"), message: "is required"), FieldProblem(.name("repository"), message: "is required"),
            ])
        ) {
            try ProjectValidation.validateNew(ProjectSettings())
        }
        let problems: SlipwayError? = {
            do {
                _ = try ProjectValidation.validateNew(
                    ProjectSettings(name: "Bad Name", repository: "/r", productionBranch: "a..b", rootDir: "../up", outputDir: "/abs"))
                return nil
            } catch { return error as? SlipwayError }
        }()
        guard case .invalid(let fields) = problems else { Issue.record("expected invalid"); return }
        #expect(fields.map { $0.field.rendered(.snakeCase) } == ["name", "production_branch", "root_dir", "output_dir"])

        let project = try ProjectValidation.validateNew(ProjectSettings(name: "site", repository: "/r", rootDir: "./web/", outputDir: ""))
        #expect(
            project
                == NewProject(
                    name: "site", repository: "/r", productionBranch: "main", kind: .static, rootDir: "web", buildCommand: "", outputDir: ".",
                    webhookSecret: project.webhookSecret))
        #expect(project.webhookSecret.hasPrefix("whsec_"))
    }
}

@Suite struct RoutingTests {
    @Test func branchSlugsAreDNSLabels() {
        #expect(BranchSlug.make("main") == "main")
        #expect(BranchSlug.make("feature/Login_Page") == "feature-login-page")
        #expect(BranchSlug.make("--weird//name--") == "weird-name")
        #expect(BranchSlug.make("日本") == "branch")
        #expect(BranchSlug.make(String(repeating: "ab-", count: 40)).count <= 63)
        #expect(!BranchSlug.make(String(repeating: "ab-", count: 40)).hasSuffix("-"))
    }

    @Test func loadingRoutesPointsProductionBranchesAndDeploymentsAtTheirBuilds() {
        let b1 = UUID(), b2 = UUID(), b3 = UUID()
        let u1 = UUID(), u2 = UUID(), u3 = UUID()
        let table = RouteTable()
        table.load([
            LiveDeployment(deploymentID: 1, uid: u1, projectName: "site", gitBranch: "main", buildID: b1, isProduction: true),
            LiveDeployment(deploymentID: 2, uid: u2, projectName: "site", gitBranch: "main", buildID: b2, isProduction: false),
            LiveDeployment(deploymentID: 3, uid: u3, projectName: "site", gitBranch: "feature/x", buildID: b3, isProduction: false),
        ])
        #expect(table.target(for: "site")?.buildID == b1)
        #expect(table.target(for: "main.site")?.buildID == b2)
        #expect(table.target(for: "feature-x.site")?.buildID == b3)
        #expect(table.target(for: "\(u1.hexDigits.prefix(8)).site")?.buildID == b1)
        #expect(table.keys(pointingAt: 1) == ["\(u1.hexDigits.prefix(8)).site", "site"])
        table.removeProject("site")
        #expect(table.target(for: "site") == nil)
        #expect(table.keys(pointingAt: 3) == [])
    }

    @Test func aProjectsRoutesAreItsOwnAndNoOtherProjects() {
        let u1 = UUID(), u2 = UUID(), u3 = UUID()
        let table = RouteTable()
        table.load([
            LiveDeployment(deploymentID: 1, uid: u1, projectName: "site", gitBranch: "main", buildID: UUID(), isProduction: true),
            LiveDeployment(deploymentID: 2, uid: u2, projectName: "site", gitBranch: "feature/x", buildID: UUID(), isProduction: false),
            LiveDeployment(deploymentID: 3, uid: u3, projectName: "my-site", gitBranch: "main", buildID: UUID(), isProduction: true),
        ])
        let routes = table.routes(ofProject: "site")
        #expect(Set(routes.keys) == ["site", "main.site", "feature-x.site", "\(u1.hexDigits.prefix(8)).site", "\(u2.hexDigits.prefix(8)).site"])
        #expect(routes["feature-x.site"]?.deploymentID == 2 && routes["site"]?.deploymentID == 1)
        #expect(Set(table.routes(ofProject: "my-site").keys) == ["my-site", "main.my-site", "\(u3.hexDigits.prefix(8)).my-site"])
    }

    @Test func everyChangeOfTheRouteTableMovesItsVersionAndALookupDoesNot() {
        let table = RouteTable()
        var seen = table.version
        func changed(_ change: () -> Void) -> Bool {
            change()
            defer { seen = table.version }
            return table.version != seen
        }
        #expect(changed { table.set(["a": RouteTarget(deploymentID: 1, buildID: UUID())]) })
        #expect(!changed { _ = table.target(for: "a") })
        #expect(changed { table.remove(["a"]) })
        #expect(changed { table.load([]) })
        #expect(changed { table.removeProject("a") })
    }

    @Test func publicURLsOmitTheDefaultPort() {
        #expect(PublicURLs(domain: "localhost", port: 8080).url(for: "hello") == "http://hello.localhost:8080")
        #expect(PublicURLs(domain: "example.com", port: 80).url(for: "a.hello") == "http://a.hello.example.com")
    }

    @Test func timestampsHaveMicroseconds() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_768_658_131.25)) == "2026-01-17T13:55:31.250000Z")
        #expect(Timestamp.format(Timestamp.date(microseconds: 1_768_658_131_000_001)) == "2026-01-17T13:55:31.000001Z")
    }
}
