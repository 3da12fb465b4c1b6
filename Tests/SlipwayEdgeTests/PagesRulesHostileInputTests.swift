import Testing

@testable import SlipwayEdge

/// Deterministic bytes (a linear congruential generator): the same junk on every run.
private func junk(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

@Suite struct PagesRulesHostileInputTests {
    @Test func tenMebibytesOfBinaryJunkAreReportedInAtMostAHundredAndOneProblems() {
        let bytes = junk(count: 10 << 20, seed: 16)
        let redirects = RedirectRules.parse(bytes)
        let headers = HeaderRules.parse(bytes)
        for problems in [redirects.problems, headers.problems] {
            #expect(problems.count == LineProblems.limit + 1)
            #expect(problems.last?.message.contains("more problems") == true)
            #expect(problems.map(\.lineNumber) == problems.map(\.lineNumber).sorted())
        }
    }

    @Test func aLineOfAMillionSplatsIsOneProblem() {
        let line = "/" + String(repeating: "*", count: 1_000_000)
        let redirects = RedirectRules.parse(line + " /x\n/ok /fine")
        #expect(redirects.problems.map(\.lineNumber) == [1])
        #expect(redirects.rules.match(path: "/ok", query: nil) == .redirect(status: 302, location: "/fine"))
        let headers = HeaderRules.parse(line + "\n  X: y\n/ok\n  X: z")
        #expect(headers.problems.map(\.lineNumber) == [1, 2])
        #expect(headers.rules.headers(for: "/ok").fields == [.init(name: "X", value: "z")])
        // Within the length limit, many splats are one problem too.
        let shorter = RedirectRules.parse("/" + String(repeating: "*", count: 990) + " /x")
        #expect(shorter.problems.map(\.message).first?.contains("more than one splat") == true)
    }

    @Test func tenMebibytesOnOneLineOrOfEmptyLines() {
        let oneLine = [UInt8](repeating: UInt8(ascii: "a"), count: 10 << 20)
        #expect(RedirectRules.parse(oneLine).problems.count == 1)
        #expect(HeaderRules.parse(oneLine).problems.count == 1)
        let newlines = [UInt8](repeating: UInt8(ascii: "\n"), count: 10 << 20)
        #expect(RedirectRules.parse(newlines).problems == [])
        #expect(HeaderRules.parse(newlines).problems == [])
    }

    @Test func aRepeatedPlaceholderNameIsOneProblem() {
        let source = "/" + String(repeating: ":name", count: 190)
        let (redirects, problems) = RedirectRules.parse(source + " /:name")
        #expect(redirects.count == 0)
        #expect(problems.map(\.message) == ["the placeholder :name appears twice in the source; each name may appear once"])
        let headers = HeaderRules.parse(source + "\n  X: :name")
        #expect(headers.problems.first?.message.contains(":name appears twice") == true)
    }

    /// A backtracking matcher takes time exponential in the placeholders here; this one is linear in the path.
    @Test func adjacentPlaceholdersAgainstALongPathDoNotBlowUp() {
        let source = "/" + (0..<32).map { ":p\($0)" }.joined() + ".x"
        let (redirects, problems) = RedirectRules.parse(source + " /:p0/:p31 301")
        #expect(problems == [])
        let failing = "/" + String(repeating: "a", count: 20_000)
        let noMatch = redirects.match(path: failing, query: nil) == nil
        #expect(noMatch)
        let matching = "/" + String(repeating: "a", count: 20_000) + ".x"
        let expected = RedirectMatch.redirect(status: 301, location: "/" + String(repeating: "a", count: 19_969) + "/a")
        let matched = redirects.match(path: matching, query: nil) == expected
        #expect(matched)
    }

    @Test func aVeryLongRequestPathAgainstEveryKindOfRule() {
        let redirects = RedirectRules.parse(
            """
            /a/* /b/:splat 200
            /:one/:two/* /c/:one 301
            /*/end /d 301
            """
        ).rules
        let long = "/a/" + String(repeating: "x/", count: 500_000)
        let rewritten = redirects.match(path: long, query: nil) == .rewrite(path: "/b/" + String(repeating: "x/", count: 500_000))
        #expect(rewritten)
        let deep = "/q/" + String(repeating: "%2e%2e/", count: 100_000) + "r/s/end"
        #expect(redirects.match(path: deep, query: nil) == .redirect(status: 301, location: "/c/r"))
        #expect(redirects.match(path: "/" + String(repeating: "y", count: 100_000) + "/end", query: nil) == .redirect(status: 301, location: "/d"))
        let headers = HeaderRules.parse("/*\n  X-Path: :splat\n").rules
        #expect(headers.headers(for: long).fields.first?.value.utf8.count == long.utf8.count - 1)
    }

    @Test func crlfLineEndsAndAByteOrderMark() {
        let redirects = RedirectRules.parse("\u{FEFF}/a /b 301\r\n/c /d\r\n")
        #expect(redirects.problems == [])
        #expect(redirects.rules.match(path: "/a", query: nil) == .redirect(status: 301, location: "/b"))
        #expect(redirects.rules.match(path: "/c", query: nil) == .redirect(status: 302, location: "/d"))
        let headers = HeaderRules.parse("\u{FEFF}/a\r\n  X-One: 1\r\n  ! X-Two\r\n")
        #expect(headers.problems == [])
        #expect(headers.rules.headers(for: "/a") == HeaderChanges(fields: [.init(name: "X-One", value: "1")], removedNames: ["x-two"]))
    }

    @Test func invalidUTF8IsReportedByLine() {
        var bytes = Array("/a /b\n".utf8)
        bytes += [0x2F, 0xFF, 0xFE, 0x20, 0x2F, 0x78, 0x0A]  // "/\xFF\xFE /x"
        bytes += Array("/c /d\n".utf8)
        let (redirects, problems) = RedirectRules.parse(bytes)
        #expect(redirects.count == 2)
        #expect(problems == [LineProblem(lineNumber: 2, message: "the line is not valid UTF-8 text")])
    }

    @Test func oddlyEncodedRequestPathsDoNotCrash() {
        let redirects = RedirectRules.parse("/* /all/:splat 301").rules
        let cases: [(String, String)] = [
            ("/%", "/all/%25"), ("/%e", "/all/%25e"), ("/%zz", "/all/%25zz"), ("/%41", "/all/A"), ("/%2f", "/all/%2F"),
            ("/a b", "/all/a%20b"), ("/\u{1}\u{7F}", "/all/%01%7F"), ("/é", "/all/%C3%A9"), ("", "/all/"), ("/..", "/all/"),
        ]
        for (path, location) in cases {
            #expect(redirects.match(path: path, query: nil) == .redirect(status: 301, location: location), "\(path)")
        }
    }
}

@Suite struct URLPathNormalizationTests {
    @Test func normalization() {
        #expect(URLPathNormalization.normalizedPath("/a/./b/../c") == "/a/c")
        #expect(URLPathNormalization.normalizedPath("/a/b/..") == "/a/")
        #expect(URLPathNormalization.normalizedPath("/../../x") == "/x")
        #expect(URLPathNormalization.normalizedPath("//a//b") == "//a//b")
        #expect(URLPathNormalization.normalizedPath("/.well-known/x") == "/.well-known/x")
        #expect(URLPathNormalization.normalizedPath("/a%2fb%7e") == "/a%2Fb~")
        #expect(URLPathNormalization.normalizedPath("x") == "/x")
        #expect(URLPathNormalization.sitePath("/a/..%2F..%2F%2e%2e/b") == "/b")
        #expect(URLPathNormalization.sitePath("//x") == "/x")
        #expect(URLPathNormalization.redirectPath("///x/../y") == "/y")
    }
}
