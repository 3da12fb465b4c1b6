import Foundation
import SlipwaySandbox
import Testing

@testable import SlipwayCore

/// Where a repository may come from: network protocols, allowed local directories, never the data directory.
@Suite struct RepositorySourceRulesTests {
    /// A temporary tree: `allowed/` (with a repository directory), `outside/`, and `data/` (the data directory).
    final class Tree: @unchecked Sendable {
        let root: String
        var allowed: String { root + "/allowed" }
        var outside: String { root + "/outside" }
        var data: String { root + "/data" }
        var rules: RepositorySourceRules { RepositorySourceRules(allowedLocalDirectories: [allowed], dataDirectory: data, paths: FileSystemPaths()) }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-rules-\(UUID().uuidString.prefix(8))").path
            for directory in [allowed + "/site", outside + "/site", data + "/git/other.git"] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    @Test(arguments: [
        "https://github.com/a/b.git", "http://git.example.com/x", "ssh://git@host/x.git", "git://host/x", "git@github.com:a/b.git",
        "deploy@10.0.0.1:repos/site.git", "slipway",
    ])
    func networkRepositoriesAndSlipwaysOwnRemoteAreAllowed(repository: String) throws {
        let tree = try Tree()
        #expect(tree.rules.problem(repository) == nil)
    }

    @Test(arguments: [
        "ext::sh -c touch% /tmp/pwned", "fd::3", "fd::0,1/x", "ftp://host/x", "rsync://host/x", "ssh://-oProxyCommand=x/y",
        "git@host:ext::x y", "-u/tmp/x", "host:path", "file://evil.example/srv/x", "file:/srv/x", "relative/dir", "",
    ])
    func otherTransportsAreRefused(repository: String) throws {
        let tree = try Tree()
        #expect(tree.rules.problem(repository) != nil)
        #expect(ProjectValidation.repositoryProblem(repository) != nil)
    }

    @Test func remoteHelpersAreNamedInTheMessage() {
        #expect(ProjectValidation.repositoryProblem("ext::sh -c id")?.contains("remote helpers") == true)
        #expect(ProjectValidation.repositoryProblem("fd::7")?.contains("remote helpers") == true)
    }

    @Test func aLocalRepositoryIsAllowedOnlyInsideAnAllowedDirectory() throws {
        let tree = try Tree()
        #expect(tree.rules.problem(tree.allowed + "/site") == nil)
        #expect(tree.rules.problem("file://" + tree.allowed + "/site") == nil)
        #expect(tree.rules.problem("file://localhost" + tree.allowed + "/site") == nil)
        // Not there yet: allowed (the clone then fails, or finds it).
        #expect(tree.rules.problem(tree.allowed + "/later") == nil)
        let outside = try #require(tree.rules.problem(tree.outside + "/site"))
        #expect(outside.contains("is not inside a directory this server allows"))
        #expect(tree.rules.problem("file://" + tree.outside + "/site") != nil)
        // A directory whose name only starts like the allowed one is not inside it.
        #expect(tree.rules.problem(tree.allowed + "-not/site") != nil)
    }

    @Test func withoutAllowedDirectoriesNoLocalRepositoryIsAllowed() throws {
        let tree = try Tree()
        let rules = RepositorySourceRules(dataDirectory: tree.data, paths: FileSystemPaths())
        let message = try #require(rules.problem(tree.allowed + "/site"))
        #expect(message.contains("allows no local repositories") && message.contains("--allow-local-repositories"))
        #expect(rules.problem("https://github.com/a/b.git") == nil)
    }

    @Test func theDataDirectoryIsRefusedEvenInsideAnAllowedDirectory() throws {
        let tree = try Tree()
        // The operator allowed the whole tree, data directory included.
        let rules = RepositorySourceRules(allowedLocalDirectories: [tree.root], dataDirectory: tree.data, paths: FileSystemPaths())
        #expect(rules.problem(tree.outside + "/site") == nil)
        for repository in [
            tree.data, tree.data + "/git/other.git", "file://" + tree.data, "file://" + tree.data + "/git/other.git",
            tree.data + "/git/not-yet.git", tree.allowed + "/../data/git/other.git", tree.data + "/./git/../git/other.git",
        ] {
            let message = try #require(rules.problem(repository), "\(repository)")
            #expect(message.contains("inside Slipway's data directory"), "\(repository)")
        }
    }

    @Test func linksAndDotDotCannotLeadIntoTheDataDirectoryOrOutOfTheAllowedOne() throws {
        let tree = try Tree()
        try FileManager.default.createSymbolicLink(atPath: tree.allowed + "/data-link", withDestinationPath: tree.data)
        try FileManager.default.createSymbolicLink(atPath: tree.allowed + "/out-link", withDestinationPath: tree.outside)
        #expect(tree.rules.problem(tree.allowed + "/data-link/git/other.git")?.contains("inside Slipway's data directory") == true)
        #expect(tree.rules.problem("file://" + tree.allowed + "/data-link")?.contains("inside Slipway's data directory") == true)
        #expect(tree.rules.problem(tree.allowed + "/out-link/site") != nil)
        #expect(tree.rules.problem(tree.allowed + "/../outside/site") != nil)
        #expect(tree.rules.problem(tree.allowed + "/site/../../data") != nil)
        // A data directory given through a link is resolved as well.
        try FileManager.default.createSymbolicLink(atPath: tree.root + "/data-alias", withDestinationPath: tree.data)
        let aliased = RepositorySourceRules(allowedLocalDirectories: [tree.root], dataDirectory: tree.root + "/data-alias", paths: FileSystemPaths())
        #expect(aliased.problem(tree.data + "/git/other.git") != nil)
    }

    @Test func realPathResolvesLinksThenKeepsTheMissingRest() throws {
        let tree = try Tree()
        try FileManager.default.createSymbolicLink(atPath: tree.allowed + "/link", withDestinationPath: tree.outside)
        let real = FileSystemPaths().realPath(tree.root)
        #expect(FileSystemPaths().realPath(tree.allowed + "/link/site") == real + "/outside/site")
        #expect(FileSystemPaths().realPath(tree.allowed + "/link/missing/../x") == real + "/outside/x")
        #expect(FileSystemPaths().realPath(tree.allowed + "/../data//git/") == real + "/data/git")
        #expect(FileSystemPaths().realPath("/") == "/")
    }

    @Test func theCloneSourceIsCheckedAgainAndSaysWhetherGitMayUseFile() throws {
        let tree = try Tree()
        let layout = DataLayout(root: tree.data)
        func project(_ repository: String) -> Project {
            Project(
                id: 1, uid: UUID(), workspaceID: 1, name: "site", repository: repository, productionBranch: "main", kind: .static,
                rootDir: "", buildCommand: "", outputDir: ".", serverID: 1, productionDeploymentID: nil, createdAt: Date(), updatedAt: Date())
        }
        let own = project("slipway")
        #expect(try tree.rules.cloneSource(for: own, layout: layout) == CloneSource(url: layout.gitRepository(own.uid), allowsFileProtocol: true))
        #expect(
            try tree.rules.cloneSource(for: project("https://h/x.git"), layout: layout)
                == CloneSource(url: "https://h/x.git", allowsFileProtocol: false))
        #expect(
            try tree.rules.cloneSource(for: project(tree.allowed + "/site"), layout: layout)
                == CloneSource(url: FileSystemPaths().realPath(tree.allowed + "/site"), allowsFileProtocol: true))
        // A link to an allowed repository is cloned from where it pointed when checked.
        try FileManager.default.createSymbolicLink(atPath: tree.allowed + "/alias", withDestinationPath: tree.allowed + "/site")
        #expect(
            try tree.rules.cloneSource(for: project("file://" + tree.allowed + "/alias"), layout: layout).url
                == FileSystemPaths().realPath(tree.allowed + "/site"))
        for refused in ["file://" + tree.data + "/git/other.git", tree.outside + "/site", "ext::sh -c id", tree.data] {
            #expect(invalidFields { try tree.rules.cloneSource(for: project(refused), layout: layout) } == ["repository"], "\(refused)")
        }
    }
}

/// The install's rules on project settings: repositories and fixed service ports.
@Suite struct ProjectInputRulesTests {
    static let rules = ProjectInputRules(
        repositories: RepositorySourceRules(
            allowedLocalDirectories: ["/srv/repositories"], dataDirectory: "/var/lib/slipway", paths: FileSystemPaths()),
        servicePorts: 20000...29999, slipwayPorts: [8080]
    )

    @Test func aFixedPortMustLieInTheServicePortRangeAndNotBeSlipways() {
        #expect(Self.rules.portProblem(20000) == nil)
        #expect(Self.rules.portProblem(29999) == nil)
        #expect(Self.rules.portProblem(8080)?.contains("Slipway's own port") == true)
        #expect(Self.rules.portProblem(5432)?.contains("outside the service port range 20000-29999") == true)
        #expect(Self.rules.portProblem(30000) != nil)
        // Slipway's port inside a (badly chosen) service range is still refused.
        let overlapping = ProjectInputRules(repositories: Self.rules.repositories, servicePorts: 8000...9000, slipwayPorts: [8080])
        #expect(overlapping.portProblem(8080)?.contains("Slipway's own port") == true)
    }

    @Test func creationAndUpdateNameRepositoryAndPort() throws {
        let settings = ProjectSettings(
            name: "api", repository: "/home/someone/repo", kind: .service, service: ServiceSettings(port: 8080))
        #expect(invalidFields { try ProjectValidation.validateNew(settings, rules: Self.rules) } == ["repository", "port"])
        // Without the install's rules only the shape is checked.
        #expect(try ProjectValidation.validateNew(settings).repository == "/home/someone/repo")
        let accepted = try ProjectValidation.validateNew(
            ProjectSettings(name: "api", repository: "/srv/repositories/api", kind: .service, service: ServiceSettings(port: 20001)),
            rules: Self.rules)
        #expect(accepted.service.port == 20001)
        let project = Project(
            id: 1, uid: UUID(), workspaceID: 1, name: "api", repository: "https://h/api.git", productionBranch: "main", kind: .service,
            rootDir: "", buildCommand: "", outputDir: ".", serverID: 1, productionDeploymentID: nil, createdAt: Date(), updatedAt: Date())
        #expect(throws: SlipwayError.invalid(.name("port"), Self.rules.portProblem(1)!)) {
            try ProjectValidation.apply(ProjectSettings(service: ServiceSettings(port: 1)), to: project, rules: Self.rules)
        }
        #expect(
            invalidFields {
                try ProjectValidation.apply(ProjectSettings(repository: "file:///var/lib/slipway/git/x.git"), to: project, rules: Self.rules)
            } == ["repository"])
    }
}

/// The fields an `.invalid` error of `body` names; any other outcome (no error, another case) is an issue of the test.
func invalidFields<Result>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Result) -> [String]? {
    let error = #expect(throws: SlipwayError.self, sourceLocation: sourceLocation) { _ = try body() }
    guard let error else { return nil }
    guard case .invalid(let problems) = error else {
        Issue.record("\(error) is not an input error", sourceLocation: sourceLocation)
        return nil
    }
    return problems.map { $0.field.rendered(.snakeCase) }
}
