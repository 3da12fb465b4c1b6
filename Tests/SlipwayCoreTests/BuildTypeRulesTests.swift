import Foundation
import Testing

@testable import SlipwayCore

@Suite struct BuildTypeRulesTests {
    /// The snake_case field names (as the native API shows them) of what `settings` gets wrong at creation.
    private func rejectedFields(_ settings: ProjectSettings) -> [String] {
        do {
            _ = try ProjectValidation.validateNew(settings)
            return []
        } catch {
            guard case .invalid(let problems) = error else { return ["unexpected: \(error)"] }
            return problems.map { $0.field.rendered(.snakeCase) }
        }
    }

    private func project(kind: ProjectKind = .static, _ build: BuildTypeSettings) -> ProjectSettings {
        ProjectSettings(name: "app", repository: "https://git.example.com/app.git", kind: kind, build: build)
    }

    @Test func aProjectBuildsWithACommandUnlessToldOtherwise() throws {
        let created = try ProjectValidation.validateNew(ProjectSettings(name: "app", repository: "https://git.example.com/app.git"))
        #expect(created.build == BuildTypeConfig())
        #expect(created.build.type == .command)
        #expect(created.build.dockerfilePath == "Dockerfile")
        #expect(created.build.dockerContext == ".")
        #expect(created.build.composePath == "docker-compose.yml")
        #expect(created.build.buildArgs == [])
    }

    @Test func aDockerfileBuildKeepsItsNormalizedSettings() throws {
        let created = try ProjectValidation.validateNew(
            project(
                kind: .service,
                BuildTypeSettings(
                    type: .dockerfile, dockerfilePath: "./docker//Dockerfile.prod", dockerContext: "", buildArgs: ["NODE_ENV", "API_URL"])
            ))
        #expect(
            created.build
                == BuildTypeConfig(
                    type: .dockerfile, dockerfilePath: "docker/Dockerfile.prod", dockerContext: ".", buildArgs: ["NODE_ENV", "API_URL"]))
        // A static site may build with a Dockerfile too: its output_dir is then a directory inside the image.
        let site = try ProjectValidation.validateNew(project(kind: .static, BuildTypeSettings(type: .dockerfile, dockerContext: "web/")))
        #expect(site.build.type == .dockerfile && site.build.dockerContext == "web")
    }

    @Test(arguments: [
        ("/etc/Dockerfile", "absolute"), ("../Dockerfile", "'..'"), ("docker/../../x", "'..'"), ("Docker\u{0}file", "control"),
        ("Docker\nfile", "control"), ("Docker\u{1b}[31mfile", "control"), ("", "must name a file"), (".", "must name a file"),
        ("docker/", "must name a file"), (String(repeating: "a", count: 1025), "1024 bytes"),
    ])
    func aDockerfilePathOutsideTheRepositoryOrNotAFileIsRefused(path: String, mentions: String) throws {
        let settings = project(BuildTypeSettings(type: .dockerfile, dockerfilePath: path))
        #expect(rejectedFields(settings) == ["dockerfile_path"])
        do {
            _ = try ProjectValidation.validateNew(settings)
        } catch {
            #expect("\(error)".contains(mentions), "\(error)")
        }
        // The compose file follows the same rules.
        #expect(
            rejectedFields(project(kind: .service, BuildTypeSettings(type: .compose, composePath: path, exposeService: "web", exposePort: 80)))
                == ["compose_path"])
    }

    @Test func aDockerContextMustStayInsideTheRepository() {
        for context in ["/", "/srv", "..", "a/../..", "ctx\u{7f}", String(repeating: "c", count: 1025)] {
            #expect(rejectedFields(project(BuildTypeSettings(type: .dockerfile, dockerContext: context))) == ["docker_context"], "\(context)")
        }
        for context in ["", ".", "./", "web", "a/b/c"] {
            #expect(rejectedFields(project(BuildTypeSettings(type: .dockerfile, dockerContext: context))) == [], "\(context)")
        }
    }

    @Test func buildArgsAreEnvironmentVariableNamesEachOnce() {
        #expect(
            rejectedFields(project(BuildTypeSettings(buildArgs: ["GOOD", "1BAD", "GOOD", "PATH", "SLIPWAY_X"]))) == [
                "build_args.1", "build_args.2", "build_args.3", "build_args.4",
            ])
        #expect(rejectedFields(project(BuildTypeSettings(buildArgs: (0...100).map { "V\($0)" }))) == ["build_args"])
        #expect(rejectedFields(project(BuildTypeSettings(buildArgs: (0..<100).map { "V\($0)" }))) == [])
    }

    @Test func exposeServiceAndPortAreAComposeServiceAndATCPPort() {
        func fields(_ service: String, _ port: Int) -> [String] {
            rejectedFields(project(kind: .service, BuildTypeSettings(type: .compose, exposeService: service, exposePort: port)))
        }
        #expect(fields("web", 8080) == [])
        #expect(fields("my_app.web-1", 1) == [])
        #expect(fields("-web", 80) == ["expose_service"])
        #expect(fields("web app", 80) == ["expose_service"])
        #expect(fields("wéb", 80) == ["expose_service"])
        #expect(fields(String(repeating: "w", count: 129), 80) == ["expose_service"])
        #expect(fields("web", 0) == ["expose_port"])
        #expect(fields("web", 65536) == ["expose_port"])
    }

    @Test func aComposeBuildNeedsAServiceProjectAndItsExposedServiceAndPort() {
        #expect(rejectedFields(project(kind: .static, BuildTypeSettings(type: .compose, exposeService: "web", exposePort: 80))) == ["build_type"])
        #expect(rejectedFields(project(kind: .service, BuildTypeSettings(type: .compose))) == ["expose_service", "expose_port"])
        // Only the compose type asks for them.
        #expect(rejectedFields(project(kind: .static, BuildTypeSettings(type: .dockerfile))) == [])
        #expect(rejectedFields(project(kind: .static, BuildTypeSettings(exposeService: "web"))) == [])
    }

    @Test func onlyADockerfileBuildsOutputDirMayBeAbsoluteAPathInTheImage() throws {
        var settings = project(kind: .static, BuildTypeSettings(type: .dockerfile))
        settings.outputDir = "/srv/site/"
        #expect(try ProjectValidation.validateNew(settings).outputDir == "/srv/site")
        settings.outputDir = "/srv/../etc"
        #expect(rejectedFields(settings) == ["output_dir"])
        settings.outputDir = "/site"
        settings.build.type = .command
        #expect(rejectedFields(settings) == ["output_dir"])
        settings.build.type = nil
        #expect(rejectedFields(settings) == ["output_dir"])
        // Switching such a project back to a command build names the build type, and keeps its output_dir.
        settings.build.type = .dockerfile
        let created = try ProjectValidation.validateNew(settings)
        let site = Project(
            id: 1, uid: UUID(), workspaceID: 1, name: "app", repository: "https://git.example.com/app.git", productionBranch: "main",
            kind: .static, rootDir: "", buildCommand: "", outputDir: created.outputDir, serverID: 1, productionDeploymentID: nil,
            createdAt: Date(), updatedAt: Date(), build: created.build)
        #expect(throws: SlipwayError.self) { try ProjectValidation.apply(ProjectSettings(build: BuildTypeSettings(type: .command)), to: site) }
        let relative = try ProjectValidation.apply(ProjectSettings(outputDir: "dist", build: BuildTypeSettings(type: .command)), to: site)
        #expect(relative.outputDir == "dist" && relative.build.type == .command)
    }

    @Test func anUpdateIsCheckedAsTheProjectItWouldMake() throws {
        let service = Project(
            id: 1, uid: UUID(), workspaceID: 1, name: "app", repository: "https://git.example.com/app.git", productionBranch: "main",
            kind: .service, rootDir: "", buildCommand: "make", outputDir: ".", serverID: 1, productionDeploymentID: nil, createdAt: Date(),
            updatedAt: Date(), build: BuildTypeConfig(type: .compose, exposeService: "web", exposePort: 3000)
        )
        // Turning a compose project static names the field the request changed.
        #expect(throws: SlipwayError.invalid([FieldProblem(.name("kind"), message: Self.composeNeedsService)])) {
            try ProjectValidation.apply(ProjectSettings(kind: .static), to: service)
        }
        // Unsetting the exposed port of a compose project is refused; switching to dockerfile keeps the compose settings.
        #expect(throws: SlipwayError.self) {
            try ProjectValidation.apply(ProjectSettings(build: BuildTypeSettings(clearExposePort: true)), to: service)
        }
        let dockerfile = try ProjectValidation.apply(ProjectSettings(build: BuildTypeSettings(type: .dockerfile, buildArgs: ["TOKEN"])), to: service)
        #expect(dockerfile.build == BuildTypeConfig(type: .dockerfile, buildArgs: ["TOKEN"], exposeService: "web", exposePort: 3000))
        let back = try ProjectValidation.apply(ProjectSettings(build: BuildTypeSettings(type: .command)), to: dockerfile)
        #expect(back.build.type == .command && back.buildConfig.build.type == .command)
        // A field that is wrong on its own is reported before the combination.
        #expect(throws: SlipwayError.invalid([FieldProblem(.name("dockerfilePath"), message: "must not contain '..'")])) {
            try ProjectValidation.apply(ProjectSettings(build: BuildTypeSettings(dockerfilePath: "../Dockerfile")), to: service)
        }
    }

    static let composeNeedsService =
        "a 'compose' build runs services: it needs kind 'service' (a static site builds with 'command' or 'dockerfile')"

    @Test func aSnapshotFromBeforeBuildTypesBuildsWithACommandAndANewOneKeepsItsType() throws {
        let old = #"{"kind":"static","root_dir":"","build_command":"make","output_dir":"dist","service":{"start_command":""}}"#
        let config = try JSONDecoder().decode(BuildConfig.self, from: Data(old.utf8))
        #expect(config.build == BuildTypeConfig())
        let snapshot = BuildConfig(
            kind: .service, rootDir: "app", buildCommand: "", outputDir: ".",
            build: BuildTypeConfig(type: .dockerfile, dockerfilePath: "Containerfile", dockerContext: "ctx", buildArgs: ["A"]))
        let roundTrip = try JSONDecoder().decode(BuildConfig.self, from: JSONEncoder().encode(snapshot))
        #expect(roundTrip == snapshot)
    }
}
