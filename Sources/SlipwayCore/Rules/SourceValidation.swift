import Foundation

/// Checks the source rules and the webhook secret of a project, naming each wrong field (`source.path_includes.1`).
public enum SourceValidation {
    /// The most globs one list may hold.
    public static let maximumPatterns = 100

    /// Every problem in the source settings and the webhook secret of a creation or an update.
    public static func problems(in settings: ProjectSettings) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let source = settings.source {
            if let setting = source.previewDeploymentSetting, PreviewDeploymentSetting(rawValue: setting) == nil {
                problems.append(
                    FieldProblem(.name("source").name("previewDeploymentSetting"), message: "must be 'all', 'none' or 'custom', got '\(setting)'")
                )
            }
            let lists: [(String, [String]?)] = [
                ("previewBranchIncludes", source.previewBranchIncludes), ("previewBranchExcludes", source.previewBranchExcludes),
                ("pathIncludes", source.pathIncludes), ("pathExcludes", source.pathExcludes),
            ]
            for (name, patterns) in lists {
                guard let patterns else { continue }
                if patterns.count > maximumPatterns {
                    problems.append(FieldProblem(.name("source").name(name), message: "must hold at most \(maximumPatterns) patterns"))
                }
                for (index, pattern) in patterns.enumerated() {
                    if let message = patternProblem(pattern) {
                        problems.append(FieldProblem(.name("source").name(name).index(index), message: message))
                    }
                }
            }
        }
        if let secret = settings.webhookSecret, let message = webhookSecretProblem(secret) {
            problems.append(FieldProblem(.name("webhookSecret"), message: message))
        }
        return problems
    }

    /// A glob: 1–255 characters, one line, no NUL.
    public static func patternProblem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "must not be empty" }
        if pattern.utf8.count > 255 { return "must be at most 255 characters" }
        if pattern.contains(where: { $0.isNewline || $0 == "\0" }) { return "must be a single line without NUL characters" }
        return nil
    }

    /// A webhook secret: 16–256 printable ASCII characters without spaces (what forges accept and store).
    public static func webhookSecretProblem(_ secret: String) -> String? {
        if secret.utf8.count < 16 { return "must be at least 16 characters" }
        if secret.utf8.count > 256 { return "must be at most 256 characters" }
        if !secret.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) { return "must be printable ASCII without spaces" }
        return nil
    }

    /// The source rules `settings` asks for, on top of `current` (all validated already).
    public static func apply(_ settings: SourceSettings?, to current: SourceConfig) -> SourceConfig {
        guard let settings else { return current }
        var source = current
        if let value = settings.deploymentsEnabled { source.deploymentsEnabled = value }
        if let value = settings.productionDeploymentsEnabled { source.productionDeploymentsEnabled = value }
        if let value = settings.previewDeploymentSetting.flatMap(PreviewDeploymentSetting.init(rawValue:)) {
            source.previewDeploymentSetting = value
        }
        if let value = settings.previewBranchIncludes { source.previewBranchIncludes = value }
        if let value = settings.previewBranchExcludes { source.previewBranchExcludes = value }
        if let value = settings.pathIncludes { source.pathIncludes = value }
        if let value = settings.pathExcludes { source.pathExcludes = value }
        return source
    }

    /// A new random webhook secret: `whsec_` and 40 hex digits (160 bits).
    public static func generateWebhookSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = (0..<20).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
        return "whsec_" + digits.joined()
    }
}
