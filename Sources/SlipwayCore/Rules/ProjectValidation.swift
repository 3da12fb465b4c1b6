import Foundation

/// Checks the settable fields of a project and names every field that is wrong.
public enum ProjectValidation {
    /// Validates a creation request: `name` and `repository` are required, the rest default. With `rules`, the
    /// install's rules on repositories and ports apply too (`ProjectService` always passes them).
    public static func validateNew(_ settings: ProjectSettings, rules: ProjectInputRules? = nil) throws(SlipwayError) -> NewProject {
        var problems = problems(in: settings, rules: rules)
        if settings.name == nil { problems.insert(FieldProblem(.name("name"), message: "is required"), at: 0) }
        if settings.repository == nil { problems.append(FieldProblem(.name("repository"), message: "is required")) }
        let kind = settings.kind ?? .static
        let build = settings.build.applied(to: BuildTypeConfig())
        problems += BuildTypeRules.combinationProblems(kind: kind, build: build, settings: settings)
        if let problem = outputDirProblem(normalizedDirectory(settings.outputDir ?? ".", empty: "."), build: build, settings: settings) {
            problems.append(problem)
        }
        guard problems.isEmpty, let name = settings.name, let repository = settings.repository else { throw .invalid(problems) }
        return NewProject(
            name: name, repository: repository, productionBranch: settings.productionBranch ?? "main",
            kind: kind, rootDir: normalizedDirectory(settings.rootDir ?? ""),
            buildCommand: settings.buildCommand ?? "", outputDir: normalizedDirectory(settings.outputDir ?? ".", empty: "."),
            source: SourceValidation.apply(settings.source, to: SourceConfig()),
            webhookSecret: settings.webhookSecret ?? SourceValidation.generateWebhookSecret(),
            service: settings.service.applied(to: ServiceConfig()), build: build
        )
    }

    /// Validates an update and applies it to `project`; with `rules`, the install's rules apply too.
    public static func apply(_ settings: ProjectSettings, to project: Project, rules: ProjectInputRules? = nil) throws(SlipwayError) -> Project {
        let problems = problems(in: settings, rules: rules)
        guard problems.isEmpty else { throw .invalid(problems) }
        var updated = project
        if let name = settings.name { updated.name = name }
        if let repository = settings.repository { updated.repository = repository }
        if let branch = settings.productionBranch { updated.productionBranch = branch }
        if let kind = settings.kind { updated.kind = kind }
        if let rootDir = settings.rootDir { updated.rootDir = normalizedDirectory(rootDir) }
        if let buildCommand = settings.buildCommand { updated.buildCommand = buildCommand }
        if let outputDir = settings.outputDir { updated.outputDir = normalizedDirectory(outputDir, empty: ".") }
        updated.source = SourceValidation.apply(settings.source, to: project.source)
        if let secret = settings.webhookSecret { updated.webhookSecret = secret }
        updated.service = settings.service.applied(to: project.service)
        updated.build = settings.build.applied(to: project.build)
        var combination = BuildTypeRules.combinationProblems(kind: updated.kind, build: updated.build, settings: settings)
        if let problem = outputDirProblem(updated.outputDir, build: updated.build, settings: settings) { combination.append(problem) }
        guard combination.isEmpty else { throw .invalid(combination) }
        return updated
    }

    static func problems(in settings: ProjectSettings, rules: ProjectInputRules?) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let name = settings.name, let message = nameProblem(name) {
            problems.append(FieldProblem(.name("name"), message: message))
        }
        if let repository = settings.repository, let message = repositoryProblem(repository) {
            problems.append(FieldProblem(.name("repository"), message: message))
        }
        if let branch = settings.productionBranch, let message = branchProblem(branch) {
            problems.append(FieldProblem(.name("productionBranch"), message: message))
        }
        if let rootDir = settings.rootDir, let message = relativePathProblem(rootDir) {
            problems.append(FieldProblem(.name("rootDir"), message: message))
        }
        if let outputDir = settings.outputDir,
            let message = relativePathProblem(outputDir.hasPrefix("/") ? String(outputDir.drop { $0 == "/" }) : outputDir)
        {
            problems.append(FieldProblem(.name("outputDir"), message: message))
        }
        if let command = settings.buildCommand, command.contains("\0") {
            problems.append(FieldProblem(.name("buildCommand"), message: "must not contain NUL characters"))
        }
        problems += settings.service.problems
        problems += BuildTypeRules.problems(in: settings.build)
        problems += SourceValidation.problems(in: settings)
        if let rules { problems += rules.problems(in: settings) }
        return problems
    }

    /// A project name is a DNS label: 1–63 of `a-z`, `0-9` and `-`, not starting or ending with `-`.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.utf8.count > 63 { return "must be at most 63 characters (a DNS label)" }
        let allowed = name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        if !allowed { return "must contain only lower-case letters, digits and '-' (a DNS label), got '\(name)'" }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "must not start or end with '-'" }
        return nil
    }

    /// A repository is a git URL (https, http, git, ssh, file), an scp-like `user@host:path`, an absolute local path or
    /// `slipway` (the project's own remote). Whether a local path is allowed on this install is
    /// `RepositorySourceRules`' to say.
    public static func repositoryProblem(_ repository: String) -> String? {
        if case .failure(let problem) = RepositorySourceRules.location(of: repository) { return problem.message }
        return nil
    }

    /// A branch name git accepts (the rules of `git check-ref-format --branch`, in short).
    public static func branchProblem(_ branch: String) -> String? {
        if branch.isEmpty { return "must not be empty" }
        if branch.utf8.count > 255 { return "must be at most 255 characters" }
        if branch.hasPrefix("-") || branch.hasPrefix("/") || branch.hasSuffix("/") || branch.hasSuffix(".") || branch.hasSuffix(".lock") {
            return "is not a valid git branch name"
        }
        if branch.contains("..") || branch.contains("//") || branch.contains("@{") {
            return "is not a valid git branch name"
        }
        let forbidden: Set<Character> = [" ", "~", "^", ":", "?", "*", "[", "\\", "\u{7f}"]
        if branch.contains(where: { forbidden.contains($0) || ($0.asciiValue.map { $0 < 32 } ?? false) }) {
            return "is not a valid git branch name"
        }
        return nil
    }

    /// A directory inside the repository: relative, without `..`.
    public static func relativePathProblem(_ path: String) -> String? {
        if path.hasPrefix("/") { return "must be relative to the repository, not absolute" }
        if path.split(separator: "/").contains("..") { return "must not contain '..'" }
        if path.contains("\0") || path.contains(where: \.isNewline) { return "must be a plain path" }
        return nil
    }

    /// A commit id: 4 to 40 hex digits.
    public static func commitProblem(_ commit: String) -> String? {
        let isHex = commit.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
        return isHex && (4...40).contains(commit.count) ? nil : "must be 4 to 40 hex digits"
    }

    /// `./a//b/` is `a/b`; an absolute path keeps its leading `/` (`/site/` is `/site`, `/` stays `/`).
    private static func normalizedDirectory(_ path: String, empty: String = "") -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        if path.hasPrefix("/") { return "/" + parts.joined(separator: "/") }
        return parts.isEmpty ? empty : parts.joined(separator: "/")
    }

    /// An absolute `output_dir` is a directory of the image a `dockerfile` build made (docs/containers.md "Dockerfile
    /// builds"); every other build's output is a directory of the checkout, relative to `root_dir`.
    static func outputDirProblem(_ outputDir: String, build: BuildTypeConfig, settings: ProjectSettings) -> FieldProblem? {
        guard outputDir.hasPrefix("/"), build.type != .dockerfile else { return nil }
        let field = settings.outputDir == nil && settings.build.type != nil ? "buildType" : "outputDir"
        return FieldProblem(
            .name(field),
            message: "output_dir '\(outputDir)' is absolute: only a 'dockerfile' build's output_dir may be (a directory of the image); "
                + "other builds' output_dir is relative to root_dir")
    }
}
