public import Foundation
public import SlipwayCore
import Yams

/// Reads a compose file into a `ComposeSet` (docs/containers.md "Compose apps"). Keys Slipway runs are read; every
/// other key is named in `Parsed.warnings` (never silently ignored); keys that would break the isolation of the
/// services (privileged mode, capabilities, devices, host binds, the host's network, pid, ipc or uts namespace) are
/// refused with a `Problem` that names the key, as is everything malformed.
public enum ComposeFile {
    /// The largest compose file read, in bytes.
    public static let maximumBytes = 512 * 1024
    /// The most YAML nodes read, aliases expanded (a few aliases can otherwise stand for billions of nodes).
    public static let maximumNodes = 50_000

    /// What is wrong with a compose file: the message names the key (`services.web.privileged`).
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String

        public init(_ description: String) { self.description = description }
    }

    /// A compose file read: the set (images of `build:` services still to be made), what was not used, and the
    /// `env_file`s of each service (relative to `root_dir`), read by the build stage.
    public struct Parsed: Sendable, Equatable {
        public var set: ComposeSet
        public var warnings: [String]
        public var environmentFiles: [String: [String]]
    }

    /// Parses `text`, the compose file at `composePath` (relative to `root_dir`; relative paths of the file are taken
    /// from its directory), whose `exposeService` the edge routes to on `exposePort`.
    public static func parse(_ text: String, composePath: String, exposeService: String, exposePort: Int) throws(Problem) -> Parsed {
        guard text.utf8.count <= maximumBytes else {
            throw Problem("compose_path '\(composePath)' is larger than \(maximumBytes / 1024) KiB")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Problem("compose_path '\(composePath)' is not valid YAML: \(error)")
        }
        var budget = maximumNodes
        guard let node, let root = try Value(node, budget: &budget) else {
            throw Problem("compose_path '\(composePath)' is empty: it needs a 'services' key")
        }
        let directory = composePath.split(separator: "/").dropLast().map(String.init)
        var reader = Reader(directory: directory)
        return try reader.read(root, exposeService: exposeService, exposePort: exposePort)
    }

    /// Words of a command line given as one string, as a shell would split them (quotes and backslashes; no
    /// expansion). Nil when a quote is not closed.
    public static func words(_ line: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            if character == "\\" {
                escaped = true
                inWord = true
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quote != nil || escaped { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// The variables of an `env_file`'s text: `NAME=value` lines (a value in matching quotes loses them), `#` comments
    /// and blank lines skipped, an optional `export `; lines that are none of these are returned in `skipped`.
    public static func environmentFile(_ text: String) -> (variables: [(String, String)], skipped: [String]) {
        var variables: [(String, String)] = []
        var skipped: [String] = []
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "="), !line[..<equals].isEmpty else {
                skipped.append(line)
                continue
            }
            let name = String(line[..<equals]).trimmingCharacters(in: .whitespaces)
            var value = String(line[line.index(after: equals)...])
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            variables.append((name, value))
        }
        return (variables, skipped)
    }

    /// A YAML value with plain keys: what the reader walks.
    indirect enum Value: Equatable {
        case scalar(String)
        case null
        case sequence([Value])
        case mapping([(String, Value)])

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.scalar(let a), .scalar(let b)): a == b
            case (.null, .null): true
            case (.sequence(let a), .sequence(let b)): a == b
            case (.mapping(let a), .mapping(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
            default: false
            }
        }

        /// Converts a YAML node, at most `budget` nodes in all; merge keys (`<<: *anchor`) are applied. Nil for null.
        init?(_ node: Node, budget: inout Int) throws(Problem) {
            budget -= 1
            guard budget >= 0 else {
                throw Problem("the compose file has more than \(ComposeFile.maximumNodes) values once its aliases are expanded")
            }
            switch node {
            case .scalar(let scalar):
                if node.null != nil && scalar.style == .plain {
                    self = .null
                } else {
                    self = .scalar(scalar.string)
                }
            case .sequence(let sequence):
                var items: [Value] = []
                for item in sequence { items.append(try Value(item, budget: &budget) ?? .null) }
                self = .sequence(items)
            case .mapping(let mapping):
                var pairs: [(String, Value)] = []
                var merged: [(String, Value)] = []
                for (key, value) in mapping {
                    guard case .scalar(let keyScalar) = key else { throw Problem("a key of the compose file is not a plain value") }
                    let converted = try Value(value, budget: &budget) ?? .null
                    if keyScalar.string == "<<" {
                        switch converted {
                        case .mapping(let entries): merged += entries
                        case .sequence(let items):
                            for case .mapping(let entries) in items { merged += entries }
                        default: throw Problem("a merge key ('<<') must name a mapping")
                        }
                        continue
                    }
                    if pairs.contains(where: { $0.0 == keyScalar.string }) {
                        throw Problem("the key '\(keyScalar.string)' appears twice in one mapping")
                    }
                    pairs.append((keyScalar.string, converted))
                }
                for (key, value) in merged where !pairs.contains(where: { $0.0 == key }) { pairs.append((key, value)) }
                self = .mapping(pairs)
            }
            if case .null = self { return nil }
        }

        var text: String? {
            if case .scalar(let text) = self { return text }
            return nil
        }
    }

    /// Walks the file's values, collecting warnings; throws on the first refused or malformed key.
    struct Reader {
        /// The compose file's directory, relative to `root_dir`, as path components.
        let directory: [String]
        var warnings: [String] = []

        init(directory: [String]) { self.directory = directory }

        /// Keys of a service that Slipway runs.
        static let serviceKeys: Set<String> = [
            "build", "image", "command", "entrypoint", "environment", "env_file", "ports", "depends_on", "healthcheck", "volumes", "restart",
        ]

        mutating func read(_ root: Value, exposeService: String, exposePort: Int) throws(Problem) -> Parsed {
            guard case .mapping(let top) = root else { throw Problem("the compose file must be a mapping with a 'services' key") }
            var servicesValue: Value?
            var declaredVolumes: [String] = []
            for (key, value) in top {
                switch key {
                case "services": servicesValue = value
                case "volumes": declaredVolumes = try topLevelVolumes(value)
                case "version", "name": warnings.append("\(key): ignored (the set is named after the deployment)")
                default:
                    if key.hasPrefix("x-") { continue }  // Extension fields: a place for anchors, never read by compose.
                    warnings.append("\(key): not supported, ignored")
                }
            }
            guard case .mapping(let entries) = servicesValue ?? .null, !entries.isEmpty else {
                throw Problem("services: the compose file names no service")
            }
            var services: [ComposeService] = []
            var environmentFiles: [String: [String]] = [:]
            for (name, value) in entries {
                if let problem = BuildTypeRules.serviceNameProblem(name) { throw Problem("services.\(name): the name \(problem)") }
                let (service, files) = try readService(name, value, declaredVolumes: declaredVolumes)
                services.append(service)
                if !files.isEmpty { environmentFiles[name] = files }
            }
            guard services.contains(where: { $0.name == exposeService }) else {
                let names = services.map(\.name).joined(separator: ", ")
                throw Problem("expose_service '\(exposeService)' is not a service of the compose file (its services: \(names))")
            }
            let ordered = try Self.startOrder(services)
            let set = ComposeSet(services: ordered, volumes: declaredVolumes, exposeService: exposeService, exposePort: exposePort)
            return Parsed(set: set, warnings: warnings, environmentFiles: environmentFiles)
        }

        mutating func topLevelVolumes(_ value: Value) throws(Problem) -> [String] {
            guard case .mapping(let entries) = value else {
                if value == .null { return [] }
                throw Problem("volumes: must be a mapping of volume names")
            }
            var names: [String] = []
            for (name, options) in entries {
                if let problem = Self.volumeNameProblem(name) { throw Problem("volumes.\(name): the name \(problem)") }
                if case .mapping(let keys) = options {
                    for (key, _) in keys { warnings.append("volumes.\(name).\(key): not supported, ignored (a local volume of the project)") }
                }
                names.append(name)
            }
            return names
        }

        static func volumeNameProblem(_ name: String) -> String? {
            BuildTypeRules.serviceNameProblem(name) == nil && !name.isEmpty ? nil : "must be letters, digits, '.', '_' or '-'"
        }

        mutating func readService(_ name: String, _ value: Value, declaredVolumes: [String]) throws(Problem) -> (ComposeService, [String]) {
            let path = "services.\(name)"
            guard case .mapping(let keys) = value else { throw Problem("\(path): must be a mapping") }
            var service = ComposeService(name: name)
            var environmentFiles: [String] = []
            var listedEnvironment: [String: String] = [:]
            for (key, value) in keys {
                let field = "\(path).\(key)"
                try Self.refuseIsolationBreakers(key, value, field: field)
                guard Self.serviceKeys.contains(key) else {
                    warnings.append("\(field): not supported, ignored")
                    continue
                }
                switch key {
                case "build": service.build = try build(value, field: field)
                case "image":
                    guard let image = value.text, !image.isEmpty else { throw Problem("\(field): must be an image name") }
                    service.image = image
                case "command": service.command = try commandWords(value, field: field)
                case "entrypoint": service.entrypoint = try commandWords(value, field: field)
                case "environment": listedEnvironment = try environment(value, field: field)
                case "env_file": environmentFiles = try envFiles(value, field: field)
                case "ports":
                    guard case .sequence = value else { throw Problem("\(field): must be a list") }
                    warnings.append("\(field): not published on the host; the edge reaches expose_service on expose_port inside the set")
                case "depends_on": service.dependsOn = try dependencies(value, field: field)
                case "healthcheck": service.healthcheck = try healthcheck(value, field: field)
                case "volumes": service.volumes = try mounts(value, field: field, declared: declaredVolumes)
                case "restart": service.restart = try restart(value, field: field)
                default: break
                }
            }
            if service.build == nil && service.image.isEmpty { throw Problem("\(path): needs 'build' or 'image'") }
            if service.build != nil && !service.image.isEmpty {
                warnings.append("\(path).image: '\(service.image)' is not used as the built image's name (it is tagged with the build id)")
            }
            service.environment = listedEnvironment
            return (service, environmentFiles)
        }

        /// Keys whose values would give the service the host's privileges or resources: refused, naming the key.
        static func refuseIsolationBreakers(_ key: String, _ value: Value, field: String) throws(Problem) {
            let reason = "would break the isolation of the services, refused"
            switch key {
            case "privileged":
                if value.text.map({ ["false", "no", "off"].contains($0.lowercased()) }) != true {
                    throw Problem("\(field): privileged mode \(reason)")
                }
            case "cap_add", "devices", "device_cgroup_rules", "security_opt", "sysctls", "cgroup_parent", "cgroup":
                throw Problem("\(field): \(reason)")
            case "network_mode", "pid", "ipc", "uts", "userns_mode":
                let mode = value.text ?? ""
                if mode == "host" || mode.hasPrefix("container:") || mode.hasPrefix("service:") || key == "userns_mode" {
                    throw Problem("\(field): '\(mode)' \(reason)")
                }
            default: return
            }
        }

        func build(_ value: Value, field: String) throws(Problem) -> ComposeBuild {
            var context = "."
            var dockerfile = "Dockerfile"
            switch value {
            case .scalar(let text): context = text
            case .mapping(let keys):
                for (key, entry) in keys {
                    switch key {
                    case "context":
                        guard let text = entry.text else { throw Problem("\(field).context: must be a path") }
                        context = text
                    case "dockerfile":
                        guard let text = entry.text else { throw Problem("\(field).dockerfile: must be a path") }
                        dockerfile = text
                    default:
                        throw Problem("\(field).\(key): not supported (a compose build takes 'context' and 'dockerfile')")
                    }
                }
            default: throw Problem("\(field): must be a path or a mapping with 'context' and 'dockerfile'")
            }
            if context.contains("://") || context.hasPrefix("git@") {
                throw Problem("\(field).context: '\(context)' is not a directory of the repository")
            }
            let contextPath = try resolve(context, field: "\(field).context")
            let dockerfilePath = try Self.resolve(contextPath.split(separator: "/").map(String.init), dockerfile, field: "\(field).dockerfile")
            return ComposeBuild(context: contextPath, dockerfile: dockerfilePath)
        }

        /// A path of the file, relative to the compose file's directory, as a normalized path relative to `root_dir`.
        func resolve(_ path: String, field: String) throws(Problem) -> String {
            try Self.resolve(directory, path, field: field)
        }

        static func resolve(_ base: [String], _ path: String, field: String) throws(Problem) -> String {
            if path.hasPrefix("/") || path.hasPrefix("~") { throw Problem("\(field): '\(path)' must be relative to the compose file") }
            if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw Problem("\(field): must not contain control characters")
            }
            var parts = base
            for component in path.split(separator: "/") where component != "." {
                if component == ".." {
                    guard !parts.isEmpty else { throw Problem("\(field): '\(path)' leaves the repository's root_dir") }
                    parts.removeLast()
                } else {
                    parts.append(String(component))
                }
            }
            return parts.joined(separator: "/")
        }

        func commandWords(_ value: Value, field: String) throws(Problem) -> [String] {
            switch value {
            case .scalar(let line):
                guard let words = ComposeFile.words(line) else { throw Problem("\(field): a quote is not closed") }
                return words
            case .sequence(let items):
                var words: [String] = []
                for item in items {
                    guard let word = item.text else { throw Problem("\(field): every item must be a string") }
                    words.append(word)
                }
                return words
            default: throw Problem("\(field): must be a string or a list of strings")
            }
        }

        mutating func environment(_ value: Value, field: String) throws(Problem) -> [String: String] {
            var environment: [String: String] = [:]
            func add(_ name: String, _ value: String?) throws(Problem) {
                if let problem = EnvironmentValidation.nameProblem(name) { throw Problem("\(field).\(name): the name \(problem)") }
                guard let value else {
                    warnings.append("\(field).\(name): has no value, left out (set it as a variable of the project instead)")
                    return
                }
                if value.contains("${") || value.range(of: #"\$[A-Za-z_]"#, options: .regularExpression) != nil {
                    warnings.append("\(field).\(name): '$' is not interpolated; the project's variables reach every service as they are")
                }
                environment[name] = value
            }
            switch value {
            case .mapping(let entries):
                for (name, entry) in entries {
                    switch entry {
                    case .scalar(let text): try add(name, text)
                    case .null: try add(name, nil)
                    default: throw Problem("\(field).\(name): must be a single value")
                    }
                }
            case .sequence(let items):
                for item in items {
                    guard let text = item.text else { throw Problem("\(field): every item must be NAME=value") }
                    if let equals = text.firstIndex(of: "=") {
                        try add(String(text[..<equals]), String(text[text.index(after: equals)...]))
                    } else {
                        try add(text, nil)
                    }
                }
            case .null: break
            case .scalar: throw Problem("\(field): must be a mapping or a list of NAME=value")
            }
            return environment
        }

        func envFiles(_ value: Value, field: String) throws(Problem) -> [String] {
            var paths: [String] = []
            switch value {
            case .scalar(let path): paths = [path]
            case .sequence(let items):
                for item in items {
                    switch item {
                    case .scalar(let path): paths.append(path)
                    case .mapping(let keys):
                        guard let path = keys.first(where: { $0.0 == "path" })?.1.text else { throw Problem("\(field): an entry needs 'path'") }
                        paths.append(path)
                    default: throw Problem("\(field): every item must be a path")
                    }
                }
            default: throw Problem("\(field): must be a path or a list of paths")
            }
            var resolved: [String] = []
            for path in paths { resolved.append(try resolve(path, field: field)) }
            return resolved
        }

        func dependencies(_ value: Value, field: String) throws(Problem) -> [ComposeDependency] {
            var dependencies: [ComposeDependency] = []
            switch value {
            case .sequence(let items):
                for item in items {
                    guard let name = item.text else { throw Problem("\(field): every item must be a service name") }
                    dependencies.append(ComposeDependency(service: name))
                }
            case .mapping(let entries):
                for (name, options) in entries {
                    var condition = ComposeDependency.Condition.started
                    if case .mapping(let keys) = options {
                        for (key, entry) in keys {
                            switch key {
                            case "condition":
                                guard let text = entry.text, let parsed = ComposeDependency.Condition(rawValue: text) else {
                                    throw Problem(
                                        "\(field).\(name).condition: '\(entry.text ?? "")' is not supported (service_started or service_healthy)")
                                }
                                condition = parsed
                            case "required", "restart": continue
                            default: throw Problem("\(field).\(name).\(key): not supported")
                            }
                        }
                    } else if options != .null {
                        throw Problem("\(field).\(name): must be a mapping with 'condition'")
                    }
                    dependencies.append(ComposeDependency(service: name, condition: condition))
                }
            default: throw Problem("\(field): must be a list or a mapping of service names")
            }
            return dependencies
        }

        mutating func healthcheck(_ value: Value, field: String) throws(Problem) -> ComposeHealthcheck? {
            guard case .mapping(let keys) = value else { throw Problem("\(field): must be a mapping") }
            var check = ComposeHealthcheck(test: [])
            var disabled = false
            for (key, entry) in keys {
                switch key {
                case "test":
                    switch entry {
                    case .scalar(let line): check.test = ["sh", "-c", line]
                    case .sequence(let items):
                        let words = items.compactMap(\.text)
                        guard words.count == items.count, let kind = words.first else { throw Problem("\(field).test: must be a list of strings") }
                        switch kind {
                        case "NONE": disabled = true
                        case "CMD": check.test = Array(words.dropFirst())
                        case "CMD-SHELL": check.test = ["sh", "-c", words.dropFirst().joined(separator: " ")]
                        default: throw Problem("\(field).test: must start with CMD, CMD-SHELL or NONE")
                        }
                    default: throw Problem("\(field).test: must be a string or a list")
                    }
                case "interval": check.interval = try Self.duration(entry, field: "\(field).interval")
                case "timeout": check.timeout = try Self.duration(entry, field: "\(field).timeout")
                case "start_period": check.startPeriod = try Self.duration(entry, field: "\(field).start_period")
                case "retries":
                    guard let text = entry.text, let retries = Int(text), (1...1000).contains(retries) else {
                        throw Problem("\(field).retries: must be a number from 1 to 1000")
                    }
                    check.retries = retries
                case "disable": disabled = entry.text == "true"
                default: warnings.append("\(field).\(key): not supported, ignored")
                }
            }
            if disabled { return nil }
            guard !check.test.isEmpty else { throw Problem("\(field).test: is required (or disable: true)") }
            return check
        }

        /// A compose duration (`1m30s`, `500ms`, `10s`, a bare number of seconds) in seconds, at most a day.
        static func duration(_ value: Value, field: String) throws(Problem) -> Double {
            guard let text = value.text, !text.isEmpty else { throw Problem("\(field): must be a duration such as 10s") }
            if let seconds = Double(text), seconds >= 0, seconds <= 86_400 { return seconds }
            var total = 0.0
            var number = ""
            var unit = ""
            func flush() throws(Problem) {
                guard let amount = Double(number) else { throw Problem("\(field): '\(text)' is not a duration such as 1m30s") }
                let scale: Double
                switch unit {
                case "h": scale = 3600
                case "m": scale = 60
                case "s": scale = 1
                case "ms": scale = 0.001
                case "us", "µs": scale = 0.000_001
                default: throw Problem("\(field): '\(text)' is not a duration such as 1m30s")
                }
                total += amount * scale
                number = ""
                unit = ""
            }
            for character in text {
                if character.isNumber || character == "." {
                    if !unit.isEmpty { try flush() }
                    number.append(character)
                } else {
                    unit.append(character)
                }
            }
            try flush()
            guard total <= 86_400 else { throw Problem("\(field): must be at most a day") }
            return total
        }

        mutating func mounts(_ value: Value, field: String, declared: [String]) throws(Problem) -> [ComposeVolumeMount] {
            guard case .sequence(let items) = value else { throw Problem("\(field): must be a list") }
            var mounts: [ComposeVolumeMount] = []
            for item in items {
                var source = ""
                var target = ""
                var readOnly = false
                var type = "volume"
                switch item {
                case .scalar(let text):
                    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    if parts.count == 1 {
                        target = parts[0]
                    } else {
                        source = parts[0]
                        target = parts[1]
                        if parts.count > 2 {
                            let options = parts[2].split(separator: ",")
                            readOnly = options.contains("ro")
                            for option in options where option != "ro" && option != "rw" {
                                warnings.append("\(field): option '\(option)' of '\(text)' not supported, ignored")
                            }
                        }
                        if parts.count > 3 { throw Problem("\(field): '\(text)' is not name:/path[:ro]") }
                    }
                    if source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") { type = "bind" }
                case .mapping(let keys):
                    for (key, entry) in keys {
                        switch key {
                        case "type": type = entry.text ?? ""
                        case "source": source = entry.text ?? ""
                        case "target": target = entry.text ?? ""
                        case "read_only": readOnly = entry.text == "true"
                        default: warnings.append("\(field): '\(key)' of a volume not supported, ignored")
                        }
                    }
                default: throw Problem("\(field): every item must be name:/path or a mapping")
                }
                if type == "bind" || type == "npipe" {
                    throw Problem("\(field): '\(source)' is a host path (a bind mount): it would break the isolation of the services, refused")
                }
                guard type == "volume" else {
                    warnings.append("\(field): a '\(type)' mount is not supported, ignored")
                    continue
                }
                guard target.hasPrefix("/") else { throw Problem("\(field): the mount point '\(target)' must be an absolute path") }
                // The mount reaches the engine as `--volume name:target:options`: a ':' or ',' in the target would be
                // read as more options (suid, dev, exec, another target).
                guard !target.contains(":"), !target.contains(","), !target.contains(where: \.isNewline) else {
                    throw Problem("\(field): the mount point '\(target.prefix(200))' may not contain ':', ',' or a line break")
                }
                if source.isEmpty {
                    warnings.append("\(field): the anonymous volume at \(target) is not kept (name it to keep its data)")
                    continue
                }
                guard declared.contains(source) else {
                    throw Problem("\(field): the volume '\(source)' is not declared under the top-level 'volumes'")
                }
                mounts.append(ComposeVolumeMount(volume: source, target: target, readOnly: readOnly))
            }
            return mounts
        }

        func restart(_ value: Value, field: String) throws(Problem) -> ComposeRestart {
            guard let text = value.text else { throw Problem("\(field): must be no, always, on-failure or unless-stopped") }
            let policy = text.hasPrefix("on-failure:") ? "on-failure" : text
            guard let restart = ComposeRestart(rawValue: policy) else {
                throw Problem("\(field): '\(text)' is not no, always, on-failure or unless-stopped")
            }
            return restart
        }

        /// The services in an order that starts each after its dependencies (else in the file's order); an unknown
        /// dependency or a cycle is refused, naming it.
        static func startOrder(_ services: [ComposeService]) throws(Problem) -> [ComposeService] {
            for service in services {
                for dependency in service.dependsOn {
                    guard let target = services.first(where: { $0.name == dependency.service }) else {
                        throw Problem("services.\(service.name).depends_on: '\(dependency.service)' is not a service of the compose file")
                    }
                    if dependency.condition == .healthy && target.healthcheck == nil && target.name != service.name {
                        throw Problem("services.\(service.name).depends_on.\(target.name): service_healthy needs a healthcheck on '\(target.name)'")
                    }
                }
            }
            var ordered: [ComposeService] = []
            var placed: Set<String> = []
            while ordered.count < services.count {
                guard let next = services.first(where: { !placed.contains($0.name) && $0.dependsOn.allSatisfy { placed.contains($0.service) } })
                else {
                    let cycle = services.filter { !placed.contains($0.name) }.map(\.name).joined(separator: ", ")
                    throw Problem("depends_on: the services \(cycle) depend on each other in a cycle")
                }
                ordered.append(next)
                placed.insert(next.name)
            }
            return ordered
        }
    }
}
