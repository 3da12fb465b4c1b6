import Testing

@testable import SlipwayEdge

/// Parses `text`, expecting no problem.
private func rules(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> RedirectRules {
    let (rules, problems) = RedirectRules.parse(text)
    #expect(problems == [], sourceLocation: sourceLocation)
    return rules
}

@Suite struct RedirectRulesTests {
    @Test func everyStatusRedirectsAndTwoHundredRewrites() {
        let redirects = rules(
            """
            /301 /a 301
            /302 /a 302
            /303 /a 303
            /307 /a 307
            /308 /a 308
            /default /a
            /200 /a 200
            """
        )
        for status in [301, 302, 303, 307, 308] {
            #expect(redirects.match(path: "/\(status)", query: nil) == .redirect(status: status, location: "/a"))
        }
        #expect(redirects.match(path: "/default", query: nil) == .redirect(status: 302, location: "/a"))
        #expect(redirects.match(path: "/200", query: nil) == .rewrite(path: "/a"))
        #expect(redirects.match(path: "/other", query: nil) == nil)
        #expect(redirects.count == 7)
    }

    @Test func staticSourcesMatchExactly() {
        let redirects = rules(
            """
            /trailing /trailing/ 301
            /notrailing/ /nottrailing 301
            """
        )
        #expect(redirects.match(path: "/trailing", query: nil) == .redirect(status: 301, location: "/trailing/"))
        #expect(redirects.match(path: "/trailing/", query: nil) == nil)
        #expect(redirects.match(path: "/notrailing/", query: nil) == .redirect(status: 301, location: "/nottrailing"))
        #expect(redirects.match(path: "/notrailing", query: nil) == nil)
        #expect(redirects.match(path: "/Trailing", query: nil) == nil)
    }

    @Test func aSplatMatchesTheRestAndIsSubstituted() {
        let redirects = rules(
            """
            /blog/* /posts/:splat 301
            /img/*.png /images/:splat.webp
            """
        )
        #expect(redirects.match(path: "/blog/2024/hello", query: nil) == .redirect(status: 301, location: "/posts/2024/hello"))
        #expect(redirects.match(path: "/blog/", query: nil) == .redirect(status: 301, location: "/posts/"))
        #expect(redirects.match(path: "/blog", query: nil) == nil)
        #expect(redirects.match(path: "/img/a/b.png", query: nil) == .redirect(status: 302, location: "/images/a/b.webp"))
        #expect(redirects.match(path: "/img/a.png.png", query: nil) == .redirect(status: 302, location: "/images/a.png.webp"))
        #expect(redirects.match(path: "/img/a.jpg", query: nil) == nil)
    }

    @Test func placeholdersMatchOneSegment() {
        let redirects = rules(
            """
            /movies/:title /media/:title 301
            /blog/:year/:month/:slug /news/:year-:month/:slug.html
            /products/:code/:name /products?code=:code&name=:name
            """
        )
        #expect(redirects.match(path: "/movies/alien", query: nil) == .redirect(status: 301, location: "/media/alien"))
        #expect(redirects.match(path: "/movies/alien/2", query: nil) == nil)
        #expect(redirects.match(path: "/movies/", query: nil) == nil)
        #expect(redirects.match(path: "/blog/2024/05/hello", query: nil) == .redirect(status: 302, location: "/news/2024-05/hello.html"))
        #expect(redirects.match(path: "/products/42/kettle", query: nil) == .redirect(status: 302, location: "/products?code=42&name=kettle"))
    }

    @Test func severalWildcardsInOneSegmentTakeAsMuchAsTheyCanFirstFirst() {
        let redirects = rules(
            """
            /d/:year-:month /x/:year/:month
            /p/:name* /y/:name/:splat
            /q/:name*.jpg /z/:name/:splat
            """
        )
        // As a backtracking regular expression decides: the first placeholder is greedy.
        #expect(redirects.match(path: "/d/2024-01-02", query: nil) == .redirect(status: 302, location: "/x/2024-01/02"))
        #expect(redirects.match(path: "/p/ab/c", query: nil) == .redirect(status: 302, location: "/y/ab//c"))
        #expect(redirects.match(path: "/q/photo.jpg", query: nil) == .redirect(status: 302, location: "/z/photo/"))
        #expect(redirects.match(path: "/q/a/b.jpg", query: nil) == .redirect(status: 302, location: "/z/a//b"))
    }

    @Test func aPlaceholderTheSourceDoesNotCaptureStaysAsWritten() {
        let redirects = rules(
            """
            /a/:id /b/:id/:other
            /splatter/* /c/:splatter/:splat
            """
        )
        #expect(redirects.match(path: "/a/7", query: nil) == .redirect(status: 302, location: "/b/7/:other"))
        #expect(redirects.match(path: "/splatter/x", query: nil) == .redirect(status: 302, location: "/c/:splatter/x"))
    }

    @Test func aCaptureIsNotSubstitutedTwice() {
        let redirects = rules("/a/:first/:second /b/:second/:first")
        // The first capture holds text that looks like a reference; it is copied, not read again.
        #expect(redirects.match(path: "/a/:second/2", query: nil) == .redirect(status: 302, location: "/b/2/:second"))
    }

    @Test func theRequestQueryIsKeptWhenTheDestinationHasNone() {
        let redirects = rules(
            """
            /plain /new 301
            /with-query /new?from=old 301
            /external https://example.com/landing
            /external-fragment https://example.com/page#top
            /fragment /page2/#fragment 301
            /empty-query /new? 301
            """
        )
        #expect(redirects.match(path: "/plain", query: "a=1&b=2") == .redirect(status: 301, location: "/new?a=1&b=2"))
        #expect(redirects.match(path: "/plain", query: "") == .redirect(status: 301, location: "/new"))
        #expect(redirects.match(path: "/with-query", query: "a=1") == .redirect(status: 301, location: "/new?from=old"))
        #expect(redirects.match(path: "/external", query: "a=1") == .redirect(status: 302, location: "https://example.com/landing?a=1"))
        #expect(redirects.match(path: "/external-fragment", query: "a=1") == .redirect(status: 302, location: "https://example.com/page?a=1#top"))
        #expect(redirects.match(path: "/fragment", query: "a=1") == .redirect(status: 301, location: "/page2/?a=1#fragment"))
        #expect(redirects.match(path: "/empty-query", query: "a=1") == .redirect(status: 301, location: "/new?a=1"))
        // A query never decides whether a source matches.
        #expect(redirects.match(path: "/plain", query: "anything") != nil)
    }

    @Test func aRequestQueryIsEncodedForTheLocationHeader() {
        let redirects = rules("/a /b")
        #expect(redirects.match(path: "/a", query: "q=a b\r\n\"x\"") == .redirect(status: 302, location: "/b?q=a%20b%0D%0A%22x%22"))
    }

    @Test func anExternalDestinationTakesCapturesAndAnEmptyPathBecomesSlash() {
        let redirects = rules(
            """
            /twitch https://twitch.tv
            /blog/* https://blog.example.com/:splat 301
            """
        )
        #expect(redirects.match(path: "/twitch", query: nil) == .redirect(status: 302, location: "https://twitch.tv/"))
        #expect(redirects.match(path: "/blog/a/b", query: nil) == .redirect(status: 301, location: "https://blog.example.com/a/b"))
    }

    @Test func theFirstMatchingRuleInFileOrderWins() {
        let redirects = rules(
            """
            /exact /first
            /a/* /splat-rule
            /a/b /later-static
            /a/:x /placeholder-rule
            """
        )
        #expect(redirects.match(path: "/exact", query: nil) == .redirect(status: 302, location: "/first"))
        #expect(redirects.match(path: "/a/b", query: nil) == .redirect(status: 302, location: "/splat-rule"))
        #expect(redirects.match(path: "/a/c", query: nil) == .redirect(status: 302, location: "/splat-rule"))
    }

    @Test func aRewriteIsNotFollowedByAnotherRule() {
        let redirects = rules(
            """
            /a /b 200
            /b /c 200
            """
        )
        #expect(redirects.match(path: "/a", query: nil) == .rewrite(path: "/b"))
        #expect(redirects.match(path: "/b", query: nil) == .rewrite(path: "/c"))
    }

    @Test func singlePageAppRewrite() {
        let redirects = rules("/* /index.html 200")
        #expect(redirects.match(path: "/", query: nil) == .rewrite(path: "/index.html"))
        #expect(redirects.match(path: "/deep/link", query: "x=1") == .rewrite(path: "/index.html"))
    }

    @Test func commentsBlankLinesAndInlineComments() {
        let (redirects, problems) = RedirectRules.parse(
            """
            # a comment
               # an indented comment

            /old /new 301 # moved in the redesign
            /blog/* /articles/:splat # migration
            /page /page2#section 301
            """
        )
        #expect(problems == [])
        #expect(redirects.count == 3)
        #expect(redirects.match(path: "/old", query: nil) == .redirect(status: 301, location: "/new"))
        #expect(redirects.match(path: "/blog/x", query: nil) == .redirect(status: 302, location: "/articles/x"))
        #expect(redirects.match(path: "/page", query: nil) == .redirect(status: 301, location: "/page2#section"))
    }

    @Test func aSourceWithoutSlashGetsOneAndItsQueryIsIgnored() {
        let redirects = rules(
            """
            old /new
            /shop?id=1 /store
            """
        )
        #expect(redirects.match(path: "/old", query: nil) == .redirect(status: 302, location: "/new"))
        #expect(redirects.match(path: "/shop", query: "id=2") == .redirect(status: 302, location: "/store?id=2"))
    }

    @Test func pathsAreComparedInOneNormalForm() {
        let redirects = rules(
            """
            /café /a
            /%61b%63 /b
            /%7Euser /c
            /x/:name /d/:name
            """
        )
        #expect(redirects.match(path: "/caf%C3%A9", query: nil) == .redirect(status: 302, location: "/a"))
        #expect(redirects.match(path: "/caf%c3%a9", query: nil) == .redirect(status: 302, location: "/a"))
        #expect(redirects.match(path: "/abc", query: nil) == .redirect(status: 302, location: "/b"))
        #expect(redirects.match(path: "/~user", query: nil) == .redirect(status: 302, location: "/c"))
        #expect(redirects.match(path: "/%7euser", query: nil) == .redirect(status: 302, location: "/c"))
        #expect(redirects.match(path: "/x/%E2%9C%93", query: nil) == .redirect(status: 302, location: "/d/%E2%9C%93"))
        // An encoded slash is not a separator for matching: it stays inside one placeholder.
        #expect(redirects.match(path: "/x/a%2Fb", query: nil) == .redirect(status: 302, location: "/d/a%2Fb"))
        // Dot segments are resolved first, as a browser would.
        #expect(redirects.match(path: "/y/../café", query: nil) == .redirect(status: 302, location: "/a"))
    }

    @Test func aRewriteNeverLeavesTheSite() {
        let redirects = rules(
            """
            /files/* /static/:splat 200
            /go/* /:splat 200
            /up /../../etc/passwd 200
            """
        )
        #expect(redirects.match(path: "/files/a/b.txt", query: nil) == .rewrite(path: "/static/a/b.txt"))
        #expect(redirects.match(path: "/files/..%2F..%2Fetc/passwd", query: nil) == .rewrite(path: "/etc/passwd"))
        // Encoded dots are dots: this path is /secret, which no rule matches.
        #expect(redirects.match(path: "/files/%2e%2e/%2E%2E/secret", query: nil) == nil)
        #expect(redirects.match(path: "/go//etc/passwd", query: nil) == .rewrite(path: "/etc/passwd"))
        #expect(redirects.match(path: "/up", query: nil) == .rewrite(path: "/etc/passwd"))
        for probe in ["/files/..%2f..%2f..%2fx", "/files/%2e%2e%2f%2e%2e", "/files/a/..%252F", "/go/..%5C..%5Cx", "/files/\u{0}"] {
            guard case .rewrite(let path) = redirects.match(path: probe, query: nil) else {
                Issue.record("no rewrite for \(probe)")
                continue
            }
            #expect(path.hasPrefix("/"), "\(probe)")
            // The edge resolves the rewritten path like any request path: it must never be a traversal.
            #expect((try? SitePath(decoding: path)) != nil || path.contains("%00"), "\(probe) → \(path)")
            #expect(!path.split(separator: "/").contains(".."), "\(probe) → \(path)")
        }
    }

    @Test func aRedirectToAPathOfTheSiteNeverNamesAnotherHost() {
        let redirects = rules(
            """
            /go/* /:splat 301
            /bs/* /:splat 301
            """
        )
        #expect(redirects.match(path: "/go//evil.example/x", query: nil) == .redirect(status: 301, location: "/evil.example/x"))
        #expect(redirects.match(path: "/bs/\\evil.example", query: nil) == .redirect(status: 301, location: "/%5Cevil.example"))
        #expect(redirects.match(path: "/go/%2F%2Fevil.example", query: nil) == .redirect(status: 301, location: "/%2F%2Fevil.example"))
    }
}

@Suite struct RedirectRulesProblemTests {
    @Test func eachBadLineIsReportedWithItsNumberAndTheRestAreKept() {
        let (redirects, problems) = RedirectRules.parse(
            """
            /good /ok
            /bad-status /x 404
            /too /many /fields 301
            /lonely
            /two/*/* /x
            /twice/:id/:id /x
            /proxy https://example.com/x 200
            https://example.com/* /x
            /relative example.com
            /insecure http://example.com
            /good /again
            /splat-and-name/:splat/* /x
            /fine /ok2 308
            """
        )
        #expect(redirects.count == 2)
        #expect(redirects.match(path: "/fine", query: nil) == .redirect(status: 308, location: "/ok2"))
        #expect(problems.map(\.lineNumber) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        let messages = problems.map(\.message)
        #expect(messages[0].contains("status 404"))
        #expect(messages[1].contains("found 4 fields"))
        #expect(messages[2].contains("found 1 field"))
        #expect(messages[3].contains("more than one splat"))
        #expect(messages[4].contains(":id appears twice"))
        #expect(messages[5].contains("200 rewrite"))
        #expect(messages[6].contains("by domain are not supported"))
        #expect(messages[7].contains("must be a path starting with /"))
        #expect(messages[8].contains("https://"))
        #expect(messages[9].contains("first one applies"))
        #expect(messages[10].contains("more than one splat"))
        #expect(problems[0].description.hasPrefix("line 2: "))
    }

    @Test func aStatusMustBeOneOfPages() {
        for status in ["200!", "404", "500", "abc", "3O1", "-301", "0301x", "201"] {
            let (redirects, problems) = RedirectRules.parse("/a /b \(status)")
            #expect(redirects.count == 0, "\(status)")
            #expect(problems.count == 1, "\(status)")
        }
    }

    @Test func linesAreLimitedToAThousandCharacters() {
        let fits = "/" + String(repeating: "a", count: 996) + " /b"  // 1,000 characters
        let tooLong = "/" + String(repeating: "a", count: 997) + " /b"
        let multibyte = "/" + String(repeating: "é", count: 996) + " /b"  // 1,000 characters, 1,996 bytes
        let (redirects, problems) = RedirectRules.parse([fits, tooLong, multibyte].joined(separator: "\n"))
        #expect(redirects.count == 2)
        #expect(problems.map(\.lineNumber) == [2])
        #expect(problems.first?.message.contains("1000 characters") == true)
    }

    @Test func twoThousandStaticRedirectsThenAHundredDynamicOnes() {
        var lines = (0..<2_001).map { "/static\($0) /to\($0)" }
        lines += (0..<101).map { "/dynamic\($0)/* /to/:splat" }
        let (redirects, problems) = RedirectRules.parse(lines.joined(separator: "\n"))
        #expect(redirects.count == 2_100)
        #expect(problems.map(\.lineNumber) == [2_001, 2_102])
        #expect(redirects.match(path: "/static1999", query: nil) == .redirect(status: 302, location: "/to1999"))
        #expect(redirects.match(path: "/static2000", query: nil) == nil)
        #expect(redirects.match(path: "/dynamic99/x", query: nil) == .redirect(status: 302, location: "/to/x"))
        #expect(redirects.match(path: "/dynamic100/x", query: nil) == nil)
    }

    @Test func aStaticRuleAfterTheFirstDynamicOneCountsAsDynamicAndTheRestOfTheFileIsIgnoredPastTheLimit() {
        var lines = ["/first/* /x"]
        lines += (0..<99).map { "/s\($0) /y" }
        lines += ["/one-too-many /z", "/after /w"]
        let (redirects, problems) = RedirectRules.parse(lines.joined(separator: "\n"))
        #expect(redirects.count == 100)
        #expect(problems.count == 1)
        #expect(problems.first?.lineNumber == 101)
        #expect(problems.first?.message.contains("rest of the file") == true)
        #expect(redirects.match(path: "/s98", query: nil) == .redirect(status: 302, location: "/y"))
        #expect(redirects.match(path: "/after", query: nil) == nil)
    }

    @Test func tooManyPlaceholdersInOneSource() {
        let names = (0..<33).map { ":p\($0)" }.joined(separator: "/")
        let (redirects, problems) = RedirectRules.parse("/\(names) /x")
        #expect(redirects.count == 0)
        #expect(problems.first?.message.contains("more than 32 placeholders") == true)
        let fits = (0..<32).map { ":p\($0)" }.joined(separator: "/")
        #expect(RedirectRules.parse("/\(fits) /x").problems == [])
    }
}
