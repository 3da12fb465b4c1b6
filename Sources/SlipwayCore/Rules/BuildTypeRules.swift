import Foundation

/// The rules on a project's build type and its settings (docs/api-v1.md "Build types"): each field on its own, and
/// the combinations with the project's kind.
public enum BuildTypeRules {
    /// The longest path accepted for `dockerfile_path`, `docker_context` and `compose_path`, in UTF-8 bytes.
    public static let maximumPathBytes = 1024
    /// The most build arguments a project may name.
    public static let maximumBuildArgs = 100
    /// The longest compose service name accepted.
    public static let maximumServiceNameLength = 128

    /// Every field of `settings` that is wrong on its own, by its API name.
    public static func problems(in settings: BuildTypeSettings) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let path = settings.dockerfilePath, let message = filePathProblem(path) {
            problems.append(FieldProblem(.name("dockerfilePath"), message: message))
        }
        if let context = settings.dockerContext, let message = pathProblem(context) {
            problems.append(FieldProblem(.name("dockerContext"), message: message))
        }
        if let names = settings.buildArgs {
            problems += buildArgsProblems(names)
        }
        if let path = settings.composePath, let message = filePathProblem(path) {
            problems.append(FieldProblem(.name("composePath"), message: message))
        }
        if let service = settings.exposeService, let message = serviceNameProblem(service) {
            problems.append(FieldProblem(.name("exposeService"), message: message))
        }
        if let port = settings.exposePort, !(1...65535).contains(port) {
            problems.append(FieldProblem(.name("exposePort"), message: "must be a TCP port, 1 to 65535"))
        }
        return problems
    }

    /// What is wrong with a project whose kind and build type would be these (after a creation or an update
    /// applied `settings`): a compose build for a static project, a compose build without the service the edge
    /// routes to. A wrong combination names the field the request changed (`kind` when it only changed the kind).
    public static func combinationProblems(kind: ProjectKind, build: BuildTypeConfig, settings: ProjectSettings) -> [FieldProblem] {
        guard build.type == .compose else { return [] }
        var problems: [FieldProblem] = []
        if kind == .static {
            let field = settings.kind != nil && settings.build.type == nil ? "kind" : "buildType"
            problems.append(
                FieldProblem(
                    .name(field),
                    message: "a 'compose' build runs services: it needs kind 'service' (a static site builds with 'command' or 'dockerfile')"))
        }
        if build.exposeService.isEmpty {
            problems.append(FieldProblem(.name("exposeService"), message: "is required when build_type is 'compose': the service the edge routes to"))
        }
        if build.exposePort == nil {
            problems.append(FieldProblem(.name("exposePort"), message: "is required when build_type is 'compose': the port of expose_service"))
        }
        return problems
    }

    /// A path inside the repository (relative to `root_dir`): not absolute, no `..`, no control characters, bounded.
    public static func pathProblem(_ path: String) -> String? {
        if path.utf8.count > maximumPathBytes { return "must be at most \(maximumPathBytes) bytes" }
        if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        if path.hasPrefix("/") { return "must be relative to root_dir, not absolute" }
        if path.split(separator: "/").contains("..") { return "must not contain '..'" }
        return nil
    }

    /// A path that names a file: a valid path, not empty, not a directory (`.`, a trailing `/`).
    public static func filePathProblem(_ path: String) -> String? {
        if let problem = pathProblem(path) { return problem }
        if normalizedPath(path).isEmpty || path.hasSuffix("/") { return "must name a file inside the repository" }
        return nil
    }

    /// The problems of a `build_args` list: each a valid, unreserved environment variable name, none twice, at most
    /// `maximumBuildArgs`.
    public static func buildArgsProblems(_ names: [String]) -> [FieldProblem] {
        if names.count > maximumBuildArgs {
            return [FieldProblem(.name("buildArgs"), message: "must name at most \(maximumBuildArgs) variables")]
        }
        var problems: [FieldProblem] = []
        var seen: Set<String> = []
        for (position, name) in names.enumerated() {
            let field = FieldPath.name("buildArgs").index(position)
            if let message = EnvironmentValidation.nameProblem(name) {
                problems.append(FieldProblem(field, message: message))
            } else if !seen.insert(name).inserted {
                problems.append(FieldProblem(field, message: "names '\(name)' twice"))
            }
        }
        return problems
    }

    /// A compose service name as the compose specification allows it: letters, digits, `.`, `_` and `-`, starting
    /// with a letter or digit. Empty is accepted here (not set); a compose build requires one.
    public static func serviceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return nil }
        if name.utf8.count > maximumServiceNameLength { return "must be at most \(maximumServiceNameLength) characters" }
        let bytes = Array(name.utf8)
        func isAlphanumeric(_ byte: UInt8) -> Bool { (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) }
        guard isAlphanumeric(bytes[0]), bytes.allSatisfy({ isAlphanumeric($0) || $0 == 46 || $0 == 95 || $0 == 45 }) else {
            return "must be a compose service name: a letter or digit, then letters, digits, '.', '_' or '-'"
        }
        return nil
    }

    /// `path` without `.` steps and empty steps: `./docker//Dockerfile` is `docker/Dockerfile`; nothing left is `empty`.
    public static func normalizedPath(_ path: String, empty: String = "") -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return parts.isEmpty ? empty : parts.joined(separator: "/")
    }
}
