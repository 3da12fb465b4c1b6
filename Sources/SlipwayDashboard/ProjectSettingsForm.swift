import Foundation
import SlipwayCore

/// The settings form of a project page: the fields `PATCH /api/v1/projects/{id}` takes, under the API's names
/// (`build_command`, `source.path_includes`), read into the same `ProjectSettings` the API's body becomes, and shown
/// with the API's validation messages beside their fields.
enum ProjectSettingsForm {
    /// How a field is edited.
    enum Input {
        case text
        /// A number; empty keeps the stored value, unless the field may be unset (`port`, `expose_port`).
        case number
        /// One entry a line.
        case list
        case choice([String])
        case check
    }

    /// One field: the API's name, its label and hint, how it is edited, and its stored value as text.
    struct Field {
        var name: String
        var label: String
        var hint: String
        var input: Input
        var current: @Sendable (Project) -> String
    }

    /// The fields in the groups the page shows them in.
    static let fieldGroups: [(legend: String, fields: [Field])] = [
        (
            "Source",
            [
                Field(name: "name", label: "Name", hint: "a DNS label; renaming changes every URL of the project", input: .text) { $0.name },
                Field(name: "repository", label: "Repository", hint: "a git URL (https, ssh, git)", input: .text) { $0.repository },
                Field(name: "production_branch", label: "Production branch", hint: "its pushes deploy to production", input: .text) {
                    $0.productionBranch
                },
                Field(name: "root_dir", label: "Root directory", hint: "where the build runs, relative to the repository", input: .text) {
                    $0.rootDir
                },
                Field(name: "source.deployments_enabled", label: "Pushes deploy", hint: "off: a push deploys nothing", input: .check) {
                    String($0.source.deploymentsEnabled)
                },
                Field(
                    name: "source.production_deployments_enabled", label: "Production pushes deploy", hint: "pushes to the production branch",
                    input: .check
                ) { String($0.source.productionDeploymentsEnabled) },
                Field(
                    name: "source.preview_deployment_setting", label: "Preview branches",
                    hint: "which other branches get previews (custom: the globs below)",
                    input: .choice(PreviewDeploymentSetting.allCases.map(\.rawValue))
                ) { $0.source.previewDeploymentSetting.rawValue },
                Field(name: "source.preview_branch_includes", label: "Preview branches included", hint: "globs, one a line", input: .list) {
                    $0.source.previewBranchIncludes.joined(separator: "\n")
                },
                Field(name: "source.preview_branch_excludes", label: "Preview branches excluded", hint: "globs, one a line", input: .list) {
                    $0.source.previewBranchExcludes.joined(separator: "\n")
                },
                Field(name: "source.path_includes", label: "Paths that deploy", hint: "globs, one a line; empty: every path", input: .list) {
                    $0.source.pathIncludes.joined(separator: "\n")
                },
                Field(name: "source.path_excludes", label: "Paths that do not deploy", hint: "globs, one a line", input: .list) {
                    $0.source.pathExcludes.joined(separator: "\n")
                },
            ]
        ),
        (
            "Build",
            [
                Field(
                    name: "kind", label: "Kind", hint: "static: files the edge serves; service: a process",
                    input: .choice(ProjectKind.allCases.map(\.rawValue))
                ) {
                    $0.kind.rawValue
                },
                Field(
                    name: "build_type", label: "Build type", hint: "dockerfile and compose need a container engine",
                    input: .choice(BuildType.allCases.map(\.rawValue))
                ) { $0.build.type.rawValue },
                Field(name: "build_command", label: "Build command", hint: "run with sh -c; empty for none", input: .text) { $0.buildCommand },
                Field(name: "output_dir", label: "Output directory", hint: "static sites: the directory published", input: .text) { $0.outputDir },
                Field(name: "dockerfile_path", label: "Dockerfile", hint: "dockerfile builds, relative to the root directory", input: .text) {
                    $0.build.dockerfilePath
                },
                Field(name: "docker_context", label: "Docker context", hint: "dockerfile builds; . is the root directory", input: .text) {
                    $0.build.dockerContext
                },
                Field(name: "build_args", label: "Build arguments", hint: "names of environment variables, one a line", input: .list) {
                    $0.build.buildArgs.joined(separator: "\n")
                },
                Field(name: "compose_path", label: "Compose file", hint: "compose builds", input: .text) { $0.build.composePath },
                Field(name: "expose_service", label: "Exposed compose service", hint: "compose builds: the service the edge routes to", input: .text)
                {
                    $0.build.exposeService
                },
                Field(name: "expose_port", label: "Exposed port", hint: "compose builds: its port; empty unsets it", input: .number) {
                    $0.build.exposePort.map(String.init) ?? ""
                },
            ]
        ),
        (
            "Service",
            [
                Field(name: "start_command", label: "Start command", hint: "empty: the web line of the build's Procfile", input: .text) {
                    $0.service.startCommand
                },
                Field(name: "port", label: "Port", hint: "empty: Slipway assigns one and passes it as PORT", input: .number) {
                    $0.service.port.map(String.init) ?? ""
                },
                Field(name: "health_check_path", label: "Health check path", hint: "polled until it answers 2xx", input: .text) {
                    $0.service.healthCheckPath
                },
                Field(name: "health_check_timeout", label: "Health check timeout (s)", hint: "1 to 3600", input: .number) {
                    ServiceConfig.text(seconds: $0.service.healthCheckTimeout)
                },
                Field(name: "health_check_interval", label: "Health check interval (s)", hint: "0.05 to 60", input: .number) {
                    ServiceConfig.text(seconds: $0.service.healthCheckInterval)
                },
                Field(name: "drain_timeout", label: "Drain timeout (s)", hint: "0 to 3600", input: .number) {
                    ServiceConfig.text(seconds: $0.service.drainTimeout)
                },
                Field(
                    name: "standby_window", label: "Warm standby window (s)", hint: "0 (none) to 86400: how long a replaced version keeps running",
                    input: .number
                ) {
                    ServiceConfig.text(seconds: $0.service.standbyWindow)
                },
            ]
        ),
    ]

    /// Whether a problem belongs to a field of the form (`source.path_includes.1` to `source.path_includes`).
    static func isFormField(_ problem: FieldProblem) -> Bool {
        fieldGroups.contains { group in group.fields.contains { belongs(problem, to: $0.name) } }
    }

    static func belongs(_ problem: FieldProblem, to field: String) -> Bool {
        let rendered = problem.field.rendered(.snakeCase)
        return rendered == field || rendered.hasPrefix(field + ".")
    }

    /// The groups as the template shows them: each field with its value (the form sent back, else the stored one) and
    /// the messages of its problems. Every key is set on every field, so that none is looked up in an outer context.
    static func groups(project: Project, form: DashboardForm?, problems: [FieldProblem]) -> [[String: Any]] {
        fieldGroups.map { group in
            let fields = group.fields.map { field -> [String: Any] in
                let stored = field.current(project)
                var value = stored
                if let form {
                    // An unchecked box sends only its hidden `false`.
                    value = form.fields[field.name] ?? stored
                }
                var row: [String: Any] = [
                    "name": field.name, "id": field.name.replacingOccurrences(of: ".", with: "-"), "label": field.label, "hint": field.hint,
                    "value": value, "isText": false, "isNumber": false, "isList": false, "isChoice": false, "isCheck": false,
                    "checked": value == "true",
                    "options": [] as [[String: Any]], "shown": shown(stored, field.input),
                ]
                switch field.input {
                case .text: row["isText"] = true
                case .number: row["isNumber"] = true
                case .list: row["isList"] = true
                case .check: row["isCheck"] = true
                case .choice(let options):
                    row["isChoice"] = true
                    row["options"] = options.map { option -> [String: Any] in ["option": option, "optionSelected": option == value] }
                }
                let messages = problems.filter { belongs($0, to: field.name) }.map { problem -> String in
                    let rendered = problem.field.rendered(.snakeCase)
                    // `source.path_includes.1`: which line.
                    if rendered != field.name, let line = Int(rendered.dropFirst(field.name.count + 1)) {
                        return "line \(line + 1) \(problem.message)"
                    }
                    return problem.message
                }
                if !messages.isEmpty { row["fieldError"] = messages.joined(separator: "; ") }
                return row
            }
            return ["legend": group.legend, "fields": fields]
        }
    }

    /// A stored value as the read-only view shows it.
    private static func shown(_ value: String, _ input: Input) -> String {
        switch input {
        case .check: return value == "true" ? "yes" : "no"
        case .list: return value.isEmpty ? "none" : value.split(separator: "\n").joined(separator: ", ")
        default: return value.isEmpty ? "—" : value
        }
    }

    /// The settings a submitted form asks for: only the fields it carries are changed, as a PATCH body's. A number
    /// that is not one is a 422 naming its field, before anything is stored.
    static func settings(from form: DashboardForm) throws -> ProjectSettings {
        var problems: [FieldProblem] = []
        func list(_ name: String) -> [String]? {
            form.fields[name].map { text in
                text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
        func number(_ name: String) -> Double? {
            guard let text = form.nonEmpty(name) else { return nil }
            guard let value = Double(text), value.isFinite else {
                problems.append(FieldProblem(field: name, message: "must be a number of seconds, got '\(text.prefix(40))'"))
                return nil
            }
            return value
        }
        /// A whole number, or `clear` when the field is sent empty.
        func port(_ name: String) -> (value: Int?, clear: Bool) {
            guard let text = form[name] else { return (nil, false) }
            if text.isEmpty { return (nil, true) }
            guard let value = Int(text) else {
                problems.append(FieldProblem(field: name, message: "must be a whole number, got '\(text.prefix(40))'"))
                return (nil, false)
            }
            return (value, false)
        }
        func flag(_ name: String) -> Bool? { form[name].map { $0 == "true" || $0 == "on" } }

        var kind: ProjectKind?
        if let text = form.nonEmpty("kind") {
            kind = ProjectKind(rawValue: text)
            if kind == nil { problems.append(FieldProblem(field: "kind", message: "must be 'static' or 'service', got '\(text.prefix(40))'")) }
        }
        var buildType: BuildType?
        if let text = form.nonEmpty("build_type") {
            buildType = BuildType(rawValue: text)
            if buildType == nil {
                problems.append(FieldProblem(field: "build_type", message: "must be 'command', 'dockerfile' or 'compose', got '\(text.prefix(40))'"))
            }
        }
        let servicePort = port("port")
        let exposePort = port("expose_port")
        let sourceNames = fieldGroups[0].fields.map(\.name).filter { $0.hasPrefix("source.") }
        let source =
            sourceNames.contains(where: { form.fields[$0] != nil })
            ? SourceSettings(
                deploymentsEnabled: flag("source.deployments_enabled"), productionDeploymentsEnabled: flag("source.production_deployments_enabled"),
                previewDeploymentSetting: form.nonEmpty("source.preview_deployment_setting"),
                previewBranchIncludes: list("source.preview_branch_includes"), previewBranchExcludes: list("source.preview_branch_excludes"),
                pathIncludes: list("source.path_includes"), pathExcludes: list("source.path_excludes")) : nil
        let settings = ProjectSettings(
            name: form["name"], repository: form["repository"], productionBranch: form["production_branch"], kind: kind, rootDir: form["root_dir"],
            buildCommand: form["build_command"], outputDir: form["output_dir"], source: source,
            service: ServiceSettings(
                startCommand: form["start_command"], port: servicePort.value, clearPort: servicePort.clear,
                healthCheckPath: form["health_check_path"],
                healthCheckTimeout: number("health_check_timeout"), healthCheckInterval: number("health_check_interval"),
                drainTimeout: number("drain_timeout"), standbyWindow: number("standby_window")),
            build: BuildTypeSettings(
                type: buildType, dockerfilePath: form["dockerfile_path"], dockerContext: form["docker_context"], buildArgs: list("build_args"),
                composePath: form["compose_path"], exposeService: form["expose_service"], exposePort: exposePort.value,
                clearExposePort: exposePort.clear)
        )
        if !problems.isEmpty { throw SlipwayError.invalid(problems) }
        return settings
    }
}
