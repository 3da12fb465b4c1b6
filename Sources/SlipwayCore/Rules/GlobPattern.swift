import Foundation

/// Glob patterns of the source rules, matched without IO.
///
/// Branch globs (`preview_branch_includes/excludes`): `*` matches any run of characters, `/` included
/// (`dependabot/*` matches `dependabot/npm/left-pad`), `?` one character. Path globs (`path_includes/excludes`):
/// `*` and `?` stay inside one path segment, `**` crosses segments (`docs/**`, `**/*.md`), a pattern also matches
/// everything under the directory it names (`docs` matches `docs/a/b.md`), and `*` alone matches every path.
public enum GlobPattern {
    /// Whether `branch` matches the branch glob `pattern`.
    public static func matchesBranch(_ pattern: String, _ branch: String) -> Bool {
        match(Array(pattern.unicodeScalars), Array(branch.unicodeScalars), starCrossesSlash: true)
    }

    /// Whether the repository-relative `path` matches the path glob `pattern`.
    public static func matchesPath(_ pattern: String, _ path: String) -> Bool {
        var pattern = pattern
        while pattern.hasPrefix("/") || pattern.hasPrefix("./") { pattern.removeFirst(pattern.hasPrefix("/") ? 1 : 2) }
        while pattern.hasSuffix("/") { pattern.removeLast() }
        if pattern == "*" || pattern == "**" || pattern.isEmpty { return true }
        let path = Array(path.unicodeScalars)
        return match(Array(pattern.unicodeScalars), path, starCrossesSlash: false)
            || match(Array((pattern + "/**").unicodeScalars), path, starCrossesSlash: false)
    }

    /// Whether any of `patterns` matches `branch`.
    public static func anyBranch(_ patterns: [String], matches branch: String) -> Bool {
        patterns.contains { matchesBranch($0, branch) }
    }

    /// Whether any of `patterns` matches `path`.
    public static func anyPath(_ patterns: [String], matches path: String) -> Bool {
        patterns.contains { matchesPath($0, path) }
    }

    /// Iterative glob matching with backtracking to the last star (linear in practice, never exponential).
    private static func match(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar], starCrossesSlash: Bool) -> Bool {
        // Memoised recursion over (pattern index, text index): patterns are short, paths are short.
        var memo: [Int: Bool] = [:]
        func matches(_ p: Int, _ t: Int) -> Bool {
            let key = p * (text.count + 1) + t
            if let known = memo[key] { return known }
            let result: Bool
            if p == pattern.count {
                result = t == text.count
            } else if pattern[p] == "*" {
                let isDoubleStar = p + 1 < pattern.count && pattern[p + 1] == "*"
                let crosses = starCrossesSlash || isDoubleStar
                var next = isDoubleStar ? p + 2 : p + 1
                // `**/` also matches no directory at all: `**/*.md` matches `a.md`.
                if isDoubleStar, next < pattern.count, pattern[next] == "/", matches(next + 1, t) {
                    memo[key] = true
                    return true
                }
                if isDoubleStar { next = p + 2 }
                var end = t
                var found = matches(next, end)
                while !found, end < text.count, crosses || text[end] != "/" {
                    end += 1
                    found = matches(next, end)
                }
                result = found
            } else if t < text.count, pattern[p] == "?" {
                result = (starCrossesSlash || text[t] != "/") && matches(p + 1, t + 1)
            } else if t < text.count, pattern[p] == text[t] {
                result = matches(p + 1, t + 1)
            } else {
                result = false
            }
            memo[key] = result
            return result
        }
        return matches(0, 0)
    }
}
