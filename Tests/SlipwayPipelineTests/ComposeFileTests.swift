import Foundation
import SlipwayCore
import Testing

@testable import SlipwayPipeline

@Suite struct ComposeFileTests {
    private func parse(_ text: String, path: String = "docker-compose.yml", expose: String = "web") throws(ComposeFile.Problem) -> ComposeFile.Parsed
    {
        try ComposeFile.parse(text, composePath: path, exposeService: expose, exposePort: 8080)
    }

    /// The problem `text` is refused with.
    private func problem(_ text: String, path: String = "docker-compose.yml", expose: String = "web") -> String {
        do {
            _ = try parse(text, path: path, expose: expose)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func readsEveryKeySlipwayRuns() throws {
        let parsed = try parse(
            """
            services:
              web:
                build:
                  context: ./web
                  dockerfile: web.Dockerfile
                command: httpd -f -p "127.0.0.1:8080"
                environment:
                  MODE: production
                  COUNT: 3
                env_file: [.env, web/extra.env]
                ports: ["8080:8080"]
                depends_on:
                  api:
                    condition: service_healthy
                restart: unless-stopped
                volumes:
                  - data:/srv/data:ro
              api:
                image: localhost/api:1
                entrypoint: ["/bin/api"]
                environment: [A=1, B=two=2]
                healthcheck:
                  test: ["CMD-SHELL", "wget -q -O - http://127.0.0.1:8081/ || exit 1"]
                  interval: 1m30s
                  timeout: 500ms
                  retries: 5
                  start_period: 2s
                volumes:
                  - type: volume
                    source: data
                    target: /data
                restart: on-failure:3
            volumes:
              data:
            """)
        let set = parsed.set
        #expect(set.services.map(\.name) == ["api", "web"])  // api first: web depends on it
        let web = try #require(set.service("web"))
        #expect(web.build == ComposeBuild(context: "web", dockerfile: "web/web.Dockerfile"))
        #expect(web.command == ["httpd", "-f", "-p", "127.0.0.1:8080"])
        #expect(web.environment == ["MODE": "production", "COUNT": "3"])
        #expect(web.dependsOn == [ComposeDependency(service: "api", condition: .healthy)])
        #expect(web.restart == .unlessStopped)
        #expect(web.volumes == [ComposeVolumeMount(volume: "data", target: "/srv/data", readOnly: true)])
        #expect(parsed.environmentFiles["web"] == [".env", "web/extra.env"])
        let api = try #require(set.service("api"))
        #expect(api.image == "localhost/api:1")
        #expect(api.entrypoint == ["/bin/api"])
        #expect(api.environment == ["A": "1", "B": "two=2"])
        #expect(
            api.healthcheck
                == ComposeHealthcheck(
                    test: ["sh", "-c", "wget -q -O - http://127.0.0.1:8081/ || exit 1"], interval: 90, timeout: 0.5, retries: 5, startPeriod: 2))
        #expect(api.volumes == [ComposeVolumeMount(volume: "data", target: "/data")])
        #expect(api.restart == .onFailure)
        #expect(set.volumes == ["data"])
        #expect(parsed.warnings == ["services.web.ports: not published on the host; the edge reaches expose_service on expose_port inside the set"])
    }

    @Test func unsupportedKeysAreNamedInTheWarnings() throws {
        let parsed = try parse(
            """
            version: "3.8"
            x-common: &common
              restart: always
            services:
              web:
                <<: *common
                image: localhost/web:1
                networks: [front]
                container_name: fixed
                labels: {a: b}
                healthcheck:
                  test: ["CMD", "true"]
                  start_interval: 1s
            networks:
              front: {}
            secrets:
              s: {file: ./s}
            """)
        #expect(parsed.set.service("web")?.restart == .always)  // through the merge key
        #expect(
            parsed.warnings == [
                "version: ignored (the set is named after the deployment)",
                "networks: not supported, ignored",
                "secrets: not supported, ignored",
                "services.web.networks: not supported, ignored",
                "services.web.container_name: not supported, ignored",
                "services.web.labels: not supported, ignored",
                "services.web.healthcheck.start_interval: not supported, ignored",
            ])
    }

    @Test func keysThatBreakIsolationAreRefusedByName() {
        let cases: [(String, String)] = [
            ("privileged: true", "services.web.privileged"),
            ("cap_add: [NET_ADMIN]", "services.web.cap_add"),
            ("devices: [/dev/kvm]", "services.web.devices"),
            ("network_mode: host", "services.web.network_mode"),
            ("pid: host", "services.web.pid"),
            ("ipc: host", "services.web.ipc"),
            ("security_opt: [seccomp=unconfined]", "services.web.security_opt"),
            ("volumes: [/etc:/host-etc]", "services.web.volumes"),
            ("volumes: [./src:/src]", "services.web.volumes"),
            ("volumes: [{type: bind, source: /, target: /host}]", "services.web.volumes"),
        ]
        for (line, key) in cases {
            let message = problem("services:\n  web:\n    image: localhost/web:1\n    \(line)\n")
            #expect(message.hasPrefix(key + ":"), "\(line): \(message)")
        }
        // Harmless values of those keys pass.
        #expect(problem("services:\n  web:\n    image: localhost/web:1\n    privileged: false\n    network_mode: bridge\n") == "accepted")
    }

    /// A mount point reaches the engine inside `--volume name:target:options`: one that would carry options of its
    /// own (suid, dev, exec, another target) is refused, naming the field; a plain one is accepted.
    @Test func aMountPointCannotCarryEngineOptions() {
        func file(_ target: String) -> String {
            "services:\n  web:\n    image: localhost/web:1\n    volumes: [{type: volume, source: data, target: '\(target)'}]\nvolumes:\n  data: {}\n"
        }
        #expect(problem(file("/data")) == "accepted")
        for target in ["/data:suid,dev", "/data,exec", "/data:/etc"] {
            let message = problem(file(target))
            #expect(message.hasPrefix("services.web.volumes") && message.contains("may not contain"), "\(target): \(message)")
        }
    }

    @Test func pathsStayInsideTheRepository() {
        #expect(
            problem("services:\n  web:\n    build: ../..\n", path: "deploy/docker-compose.yml")
                == "services.web.build.context: '../..' leaves the repository's root_dir")
        #expect(problem("services:\n  web:\n    build: /srv\n") == "services.web.build.context: '/srv' must be relative to the compose file")
        #expect(
            problem("services:\n  web:\n    build: {context: ., dockerfile: ../../Dockerfile}\n")
                == "services.web.build.dockerfile: '../../Dockerfile' leaves the repository's root_dir")
        #expect(
            problem("services:\n  web:\n    image: a\n    env_file: ../secrets.env\n")
                == "services.web.env_file: '../secrets.env' leaves the repository's root_dir")
        #expect(problem("services:\n  web:\n    build: https://example.com/repo.git\n").hasPrefix("services.web.build.context:"))
        // From a compose file in a sub-directory, `..` back to root_dir is fine.
        let parsed = try? parse("services:\n  web:\n    build: ../app\n", path: "deploy/docker-compose.yml")
        #expect(parsed?.set.service("web")?.build == ComposeBuild(context: "app", dockerfile: "app/Dockerfile"))
    }

    @Test func exposeServiceMustBeAServiceOfTheFile() {
        #expect(
            problem("services:\n  api:\n    image: a\n  db:\n    image: b\n")
                == "expose_service 'web' is not a service of the compose file (its services: api, db)")
    }

    @Test func dependencyCyclesAndUnknownDependenciesAreRefused() {
        #expect(
            problem("services:\n  web:\n    image: a\n    depends_on: [api]\n  api:\n    image: b\n    depends_on: [web]\n")
                == "depends_on: the services web, api depend on each other in a cycle")
        #expect(problem("services:\n  web:\n    image: a\n    depends_on: [web]\n") == "depends_on: the services web depend on each other in a cycle")
        #expect(
            problem("services:\n  web:\n    image: a\n    depends_on: [db]\n") == "services.web.depends_on: 'db' is not a service of the compose file"
        )
        #expect(
            problem("services:\n  web:\n    image: a\n    depends_on: {api: {condition: service_completed_successfully}}\n  api:\n    image: b\n")
                .hasPrefix("services.web.depends_on.api.condition:"))
        #expect(
            problem("services:\n  web:\n    image: a\n    depends_on: {api: {condition: service_healthy}}\n  api:\n    image: b\n")
                == "services.web.depends_on.api: service_healthy needs a healthcheck on 'api'")
    }

    @Test func oddAndHostileInputsAreRefusedWithoutACrash() {
        let inputs: [(String, String)] = [
            ("", "is empty"),
            ("services", "must be a mapping"),
            ("[1, 2]", "must be a mapping"),
            ("services: {}", "services: the compose file names no service"),
            ("services: [web]", "services: the compose file names no service"),
            ("services:\n  web: 3\n", "services.web: must be a mapping"),
            ("services:\n  web: {}\n", "services.web: needs 'build' or 'image'"),
            ("services:\n  'bad name':\n    image: a\n", "services.bad name: the name"),
            ("services:\n  web:\n    image: [a]\n", "services.web.image:"),
            ("services:\n  web:\n    image: a\n    command: \"echo 'unclosed\"\n", "services.web.command: a quote is not closed"),
            ("services:\n  web:\n    image: a\n    environment: {'1X': y}\n", "services.web.environment.1X: the name"),
            ("services:\n  web:\n    image: a\n    environment: {A: [1]}\n", "services.web.environment.A: must be a single value"),
            ("services:\n  web:\n    image: a\n    healthcheck: {test: [NOPE]}\n", "services.web.healthcheck.test:"),
            ("services:\n  web:\n    image: a\n    healthcheck: {test: [CMD, x], interval: soon}\n", "services.web.healthcheck.interval:"),
            ("services:\n  web:\n    image: a\n    healthcheck: {test: [CMD, x], retries: -1}\n", "services.web.healthcheck.retries:"),
            ("services:\n  web:\n    image: a\n    restart: sometimes\n", "services.web.restart:"),
            ("services:\n  web:\n    image: a\n    volumes: [data:/x]\n", "services.web.volumes: the volume 'data' is not declared"),
            ("services:\n  web:\n    image: a\n    volumes: [data:relative]\nvolumes: {data: {}}\n", "services.web.volumes: the mount point"),
            ("services:\n  web:\n    image: a\n  web:\n    image: b\n", "appears twice"),
            ("services:\n  web:\n    image: a\n    ports: 80\n", "services.web.ports: must be a list"),
            ("services: {web: {image: a}}\n  : bad indentation", "is not valid YAML"),
            ("services:\n  ? [a, b]\n  : {image: a}\n", "a key of the compose file is not a plain value"),
        ]
        for (text, expected) in inputs {
            let message = problem(text)
            #expect(message.contains(expected), "\(text.debugDescription): \(message)")
        }
    }

    @Test func aliasBombsStopAtTheNodeBudget() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        text += "services:\n  web:\n    image: a\n"
        #expect(problem(text).contains("more than 50000 values"))
        let large = String(repeating: "# padding\n", count: 60_000)
        #expect(problem(large).contains("larger than 512 KiB"))
    }

    @Test func durationsAndWordsAndEnvironmentFiles() throws {
        func seconds(_ text: String) throws -> Double { try ComposeFile.Reader.duration(.scalar(text), field: "f") }
        #expect(try seconds("10s") == 10)
        #expect(try seconds("1m30s") == 90)
        #expect(try seconds("1h") == 3600)
        #expect(try seconds("250ms") == 0.25)
        #expect(try seconds("5") == 5)
        #expect(throws: ComposeFile.Problem.self) { try seconds("2d") }
        #expect(throws: ComposeFile.Problem.self) { try seconds("48h") }
        #expect(ComposeFile.words(#"sh -c "echo 'a b'" x\ y"#) == ["sh", "-c", "echo 'a b'", "x y"])
        #expect(ComposeFile.words("a ''") == ["a", ""])
        #expect(ComposeFile.words("'open") == nil)
        let file = ComposeFile.environmentFile("# comment\n\nA=1\nexport B=\"two words\"\nC='x'\nnot a variable\nD=\n")
        #expect(file.variables.map { "\($0.0)=\($0.1)" } == ["A=1", "B=two words", "C=x", "D="])
        #expect(file.skipped == ["not a variable"])
    }
}
