/// What a `_redirects` file says about one request.
public enum RedirectMatch: Sendable, Equatable {
    /// Answer `status` (301, 302, 303, 307 or 308) with this `Location`: a path of the site (`/new?q=1`) or an
    /// `https://` URL, with the request's query string when the destination has none.
    case redirect(status: Int, location: String)
    /// Status 200: serve this path of the build instead, the URL in the browser unchanged. The path starts with `/`, is
    /// percent-encoded, and holds no `.` or `..` segment (`%2F` counted as `/`): it never leaves the build.
    case rewrite(path: String)
}

/// The rules of a build's `_redirects` file, in Cloudflare Pages' syntax and limits (docs/edge.md, "`_headers` and
/// `_redirects`"): `source destination [status]` per line, the first rule whose source matches wins.
public struct RedirectRules: Sendable {
    /// Rules without splat or placeholder that come before the first one with either (Pages' "static redirects").
    public static let maximumStaticRules = 2_000
    /// Rules with a splat or placeholder, and every rule after the first such one.
    public static let maximumDynamicRules = 100
    /// Characters per line.
    public static let maximumLineLength = 1_000
    /// 200 rewrites inside the site; the others redirect. 302 when a line gives none.
    public static let statuses: Set<Int> = [200, 301, 302, 303, 307, 308]

    struct Rule: Sendable {
        let lineNumber: Int
        let source: RulePattern
        let status: Int
        let destination: Destination
    }

    struct Destination: Sendable {
        /// `https://host` for another site, nil for a path of this one.
        let origin: String?
        let path: CaptureTemplate
        /// After `?` (nil without one).
        let query: CaptureTemplate?
        /// After `#` (nil without one).
        let fragment: CaptureTemplate?
    }

    /// Static rules by their normalized source: one lookup answers them all.
    private let staticRules: [String: Rule]
    /// The rest, in file order.
    private let dynamicRules: [Rule]

    /// The number of rules kept.
    public var count: Int { staticRules.count + dynamicRules.count }

    /// No rules: every request goes on to the files.
    public static let empty = RedirectRules(staticRules: [:], dynamicRules: [])

    private init(staticRules: [String: Rule], dynamicRules: [Rule]) {
        self.staticRules = staticRules
        self.dynamicRules = dynamicRules
    }

    /// Reads a `_redirects` file. Each line that cannot be used is skipped and reported with its number; the rest are
    /// kept. Never fails, whatever the bytes.
    public static func parse(_ text: String) -> (rules: RedirectRules, problems: [LineProblem]) {
        parse(Array(text.utf8))
    }

    /// Reads a `_redirects` file from its bytes (which need not be UTF-8: such lines are reported).
    public static func parse(_ bytes: [UInt8]) -> (rules: RedirectRules, problems: [LineProblem]) {
        var problems = LineProblems()
        var staticRules: [String: Rule] = [:]
        var dynamicRules: [Rule] = []
        var seenSources: Set<String> = []
        var dynamicRuleSeen = false
        for line in RuleFileLines(bytes) {
            guard !line.bytes.isEmpty, line.bytes.first != UInt8(ascii: "#") else { continue }
            guard !line.isLonger(than: maximumLineLength) else {
                problems.add(line.number, "the line is longer than \(maximumLineLength) characters, the most Cloudflare Pages allows")
                continue
            }
            guard let text = line.text else {
                problems.add(line.number, "the line is not valid UTF-8 text")
                continue
            }
            let rule: Rule
            switch parseRule(text, lineNumber: line.number) {
            case .success(let parsed): rule = parsed
            case .failure(let problem):
                problems.add(line.number, problem.message)
                continue
            }
            guard !seenSources.contains(rule.source.text) else {
                problems.add(line.number, "another rule above already has the source \(rule.source.text); the first one applies")
                continue
            }
            if rule.source.isStatic, !dynamicRuleSeen {
                guard staticRules.count < maximumStaticRules else {
                    problems.add(line.number, "more than \(maximumStaticRules) redirects without splat or placeholder; this one is skipped")
                    continue
                }
                staticRules[rule.source.text] = rule
            } else {
                guard dynamicRules.count < maximumDynamicRules else {
                    problems.add(
                        line.number,
                        "more than \(maximumDynamicRules) redirects with a splat or placeholder (or after the first such one); "
                            + "this line and the rest of the file are ignored (put redirects without splat or placeholder first)"
                    )
                    break
                }
                dynamicRuleSeen = true
                dynamicRules.append(rule)
            }
            seenSources.insert(rule.source.text)
        }
        return (RedirectRules(staticRules: staticRules, dynamicRules: dynamicRules), problems.all)
    }

    /// What the rules say about a request: `path` as the client sent it (percent-encoded, without the query),
    /// `query` without its `?`. Nil when no rule matches.
    public func match(path: String, query: String?) -> RedirectMatch? {
        guard !staticRules.isEmpty || !dynamicRules.isEmpty else { return nil }
        let path = URLPathNormalization.normalizedPath(path)
        if let rule = staticRules[path] { return rule.answer(captures: [], query: query) }
        for rule in dynamicRules {
            if let captures = rule.source.match(path) { return rule.answer(captures: captures, query: query) }
        }
        return nil
    }

    // MARK: - One line

    struct LineError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private static func parseRule(_ line: String, lineNumber: Int) -> Result<Rule, LineError> {
        var fields = line.utf8.split(whereSeparator: RuleFileLines.isASCIIWhitespace).map { Substring($0) }
        // A `#` field after the source and the destination starts a comment.
        if let comment = fields.indices.first(where: { $0 >= 2 && fields[$0].hasPrefix("#") }) {
            fields.removeSubrange(comment...)
        }
        guard fields.count == 2 || fields.count == 3 else {
            return .failure(LineError("expected `source destination [status]`, found \(fields.count) field\(fields.count == 1 ? "" : "s")"))
        }
        var status = 302
        if fields.count == 3 {
            guard let given = Int(fields[2]), statuses.contains(given) else {
                return .failure(
                    LineError("the status \(fields[2]) is not supported: use 301, 302 (the default), 303, 307, 308, or 200 to rewrite")
                )
            }
            status = given
        }
        let source: RulePattern
        switch parseSource(fields[0]) {
        case .success(let pattern): source = pattern
        case .failure(let error): return .failure(error)
        }
        let destination: Destination
        switch parseDestination(fields[1], captureNames: source.captureNames) {
        case .success(let parsed): destination = parsed
        case .failure(let error): return .failure(error)
        }
        if status == 200, destination.origin != nil {
            return .failure(LineError("a 200 rewrite serves a path of this site: its destination must start with /, not https://"))
        }
        return .success(Rule(lineNumber: lineNumber, source: source, status: status, destination: destination))
    }

    /// A source is a path: `/` is added in front when missing (as Pages does); a query string or fragment is ignored.
    private static func parseSource(_ field: Substring) -> Result<RulePattern, LineError> {
        guard !field.contains("://") else {
            return .failure(LineError("the source \(field) is a URL: redirects by domain are not supported, a source is a path starting with /"))
        }
        let path = field.prefix(while: { $0 != "?" && $0 != "#" })
        do {
            return .success(try RulePattern(text: URLPathNormalization.normalizedPath(path), hostLength: 0))
        } catch {
            return .failure(LineError(patternMessage(error, in: "source")))
        }
    }

    private static func parseDestination(_ field: Substring, captureNames: [String]) -> Result<Destination, LineError> {
        var rest = field[...]
        var origin: String?
        if field.lowercased().hasPrefix("https://") {
            rest = field.dropFirst("https://".count)
            let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
            guard !authority.isEmpty, authority.utf8.allSatisfy(isAllowedInAuthority) else {
                return .failure(LineError("the destination \(field) does not name a host after https://"))
            }
            origin = "https://" + authority
            rest = rest.dropFirst(authority.count)
        } else if !field.hasPrefix("/") {
            return .failure(
                LineError("the destination \(field) must be a path starting with / or an https:// URL (Cloudflare Pages refuses http:// too)")
            )
        }
        var fragment: CaptureTemplate?
        if let hash = rest.firstIndex(of: "#") {
            fragment = CaptureTemplate(rest[rest.index(after: hash)...], captureNames: captureNames)
            rest = rest[..<hash]
        }
        var query: CaptureTemplate?
        if let question = rest.firstIndex(of: "?") {
            query = CaptureTemplate(rest[rest.index(after: question)...], captureNames: captureNames)
            rest = rest[..<question]
        }
        return .success(Destination(origin: origin, path: CaptureTemplate(rest, captureNames: captureNames), query: query, fragment: fragment))
    }

    /// Host, port, user information, IP literals, and `:name` references.
    private static func isAllowedInAuthority(_ byte: UInt8) -> Bool {
        URLPathNormalization.isAllowedInPath(byte) && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "%")
            || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
    }

    static func patternMessage(_ problem: RulePattern.Problem, in what: String) -> String {
        switch problem {
        case .splatTwice: "the \(what) has more than one splat (`*`, or `*` and `:splat`); Cloudflare Pages allows one"
        case .placeholderTwice(let name): "the placeholder :\(name) appears twice in the \(what); each name may appear once"
        case .tooManyPlaceholders: "the \(what) has more than \(RulePattern.maximumPlaceholders) placeholders"
        }
    }
}

extension RedirectRules.Rule {
    func answer(captures: [String], query requestQuery: String?) -> RedirectMatch {
        let path = destination.path.rendered(with: captures)
        if status == 200 { return .rewrite(path: URLPathNormalization.sitePath(path)) }
        var location: String
        if let origin = destination.origin {
            location = origin + (path.isEmpty ? "/" : URLPathNormalization.encodedAbsolutePath(path))
        } else {
            location = URLPathNormalization.redirectPath(path)
        }
        let query = destination.query?.rendered(with: captures) ?? ""
        if !query.isEmpty {
            location += "?" + URLPathNormalization.encodedQueryOrFragment(query)
        } else if let requestQuery, !requestQuery.isEmpty {
            location += "?" + URLPathNormalization.encodedQueryOrFragment(requestQuery)
        }
        if let fragment = destination.fragment?.rendered(with: captures), !fragment.isEmpty {
            location += "#" + URLPathNormalization.encodedQueryOrFragment(fragment)
        }
        return .redirect(status: status, location: location)
    }
}
