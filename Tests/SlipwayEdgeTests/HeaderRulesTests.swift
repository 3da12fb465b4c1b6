import Testing

@testable import SlipwayEdge

/// Parses `text`, expecting no problem.
private func rules(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> HeaderRules {
    let (rules, problems) = HeaderRules.parse(text)
    #expect(problems == [], sourceLocation: sourceLocation)
    return rules
}

private func fields(_ pairs: KeyValuePairs<String, String>) -> [HeaderChanges.Field] {
    pairs.map { HeaderChanges.Field(name: $0.key, value: $0.value) }
}

@Suite struct HeaderRulesTests {
    /// Cloudflare's own example, with a Slipway host in place of `myproject.pages.dev`.
    @Test func everyMatchingRuleAppliesAndValuesOfOneNameAreJoined() {
        let headers = rules(
            """
            # This is a comment
            /secure/page
              X-Frame-Options: DENY
              X-Content-Type-Options: nosniff
              Referrer-Policy: no-referrer

            /static/*
              Access-Control-Allow-Origin: *
              X-Robots-Tag: nosnippet

            https://myproject.slipway.test/*
              X-Robots-Tag: noindex
            """
        )
        #expect(
            headers.headers(for: "/secure/page", host: "custom.domain")
                == HeaderChanges(
                    fields: fields(["X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"])
                )
        )
        #expect(
            headers.headers(for: "/static/image.jpg", host: "custom.domain")
                == HeaderChanges(fields: fields(["Access-Control-Allow-Origin": "*", "X-Robots-Tag": "nosnippet"]))
        )
        #expect(headers.headers(for: "/home", host: "myproject.slipway.test") == HeaderChanges(fields: fields(["X-Robots-Tag": "noindex"])))
        #expect(
            headers.headers(for: "/static/styles.css", host: "myproject.slipway.test")
                == HeaderChanges(fields: fields(["Access-Control-Allow-Origin": "*", "X-Robots-Tag": "nosnippet, noindex"]))
        )
        #expect(headers.headers(for: "/home", host: "custom.domain").isEmpty)
        #expect(headers.headers(for: "/home").isEmpty)
        #expect(headers.count == 3)
    }

    @Test func theHostIsComparedWithoutPortFinalDotOrCase() {
        let headers = rules(
            """
            https://site.slipway.test/*
              X-Host: yes
            """
        )
        for host in ["site.slipway.test", "SITE.Slipway.Test:8443", "site.slipway.test.", "site.slipway.test.:80"] {
            #expect(headers.headers(for: "/", host: host).fields == fields(["X-Host": "yes"]), "\(host)")
        }
        for host in ["other.slipway.test", "a.site.slipway.test", "site.slipway.test\r\nX: y", ""] {
            #expect(headers.headers(for: "/", host: host).isEmpty, "\(host)")
        }
    }

    @Test func aHostPlaceholderMatchesOneLabelAndIsSubstituted() {
        let headers = rules(
            """
            https://:project.slipway.test/*
              Access-Control-Allow-Origin: https://staging.:project.slipway.test/
            https://:version.:project.slipway.test/*
              X-Robots-Tag: noindex
              X-Version: :version of :project
            """
        )
        #expect(
            headers.headers(for: "/a", host: "shop.slipway.test").fields
                == fields(["Access-Control-Allow-Origin": "https://staging.shop.slipway.test/"])
        )
        #expect(
            headers.headers(for: "/a", host: "1a2b3c4d.shop.slipway.test").fields
                == fields(["X-Robots-Tag": "noindex", "X-Version": "1a2b3c4d of shop"])
        )
    }

    @Test func placeholdersAndTheSplatAreSubstitutedInValues() {
        let headers = rules(
            """
            /movies/:title
              x-movie-name: You are watching ":title"
            /files/*
              Link: </canonical/:splat>; rel="canonical"
              X-Unknown: :nothing stays
            """
        )
        #expect(headers.headers(for: "/movies/alien").fields == fields(["x-movie-name": "You are watching \"alien\""]))
        #expect(headers.headers(for: "/movies/alien/extra").isEmpty)
        #expect(
            headers.headers(for: "/files/a/b%20c.pdf").fields
                == fields(["Link": "</canonical/a/b%20c.pdf>; rel=\"canonical\"", "X-Unknown": ":nothing stays"])
        )
    }

    @Test func detachingRemovesWhatABroaderRuleAttachedAndWhatTheEdgeSends() {
        let headers = rules(
            """
            /*
              Content-Security-Policy: default-src 'self';
              X-Frame-Options: DENY
            /*.jpg
              ! Content-Security-Policy
              ! Server
            """
        )
        #expect(
            headers.headers(for: "/index.html").fields
                == fields(["Content-Security-Policy": "default-src 'self';", "X-Frame-Options": "DENY"])
        )
        #expect(
            headers.headers(for: "/photos/cat.jpg")
                == HeaderChanges(fields: fields(["X-Frame-Options": "DENY"]), removedNames: ["content-security-policy", "server"])
        )
    }

    @Test func rulesApplyInFileOrder() {
        let headers = rules(
            """
            /a/*
              ! X-Later
            /*
              X-Later: set after the removal
              x-frame-options: SAMEORIGIN
            /a/b
              X-Frame-Options: DENY
              ! X-Gone
            /a/*
              X-Gone: back
            """
        )
        #expect(
            headers.headers(for: "/a/b")
                == HeaderChanges(fields: fields(["X-Later": "set after the removal", "x-frame-options": "SAMEORIGIN, DENY", "X-Gone": "back"]))
        )
        #expect(headers.headers(for: "/c") == HeaderChanges(fields: fields(["X-Later": "set after the removal", "x-frame-options": "SAMEORIGIN"])))
    }

    @Test func oneNameTwiceInARuleIsJoinedAndARemovalInTheSameRuleComesFirst() {
        let headers = rules(
            """
            /*
              Link: </a.css>; rel=preload
              link: </b.js>; rel=preload
              X-Kept: yes
              ! X-Kept
            """
        )
        #expect(headers.headers(for: "/").fields == fields(["Link": "</a.css>; rel=preload, </b.js>; rel=preload", "X-Kept": "yes"]))
    }

    @Test func headerLinesNeedNoIndentationAndValuesMayHoldColons() {
        let headers = rules(
            """
            /x
            Location-Hint: https://example.com:8443/a
            X-Time:   12:30:00  
            """
        )
        #expect(headers.headers(for: "/x").fields == fields(["Location-Hint": "https://example.com:8443/a", "X-Time": "12:30:00"]))
    }

    @Test func aPatternMatchesTheWholeNormalizedPath() {
        let headers = rules(
            """
            /café
              X-A: 1
            /docs/*
              X-B: 2
            """
        )
        #expect(headers.headers(for: "/caf%C3%A9").fields == fields(["X-A": "1"]))
        #expect(headers.headers(for: "/caf%C3%A9/").isEmpty)
        #expect(headers.headers(for: "/other/../docs/a").fields == fields(["X-B": "2"]))
        #expect(headers.headers(for: "/docs").isEmpty)
    }
}

@Suite struct HeaderRulesProblemTests {
    @Test func eachBadLineIsReportedWithItsNumberAndTheRestAreKept() {
        let (headers, problems) = HeaderRules.parse(
            """
            X-Orphan: before any path
            /good
              X-Good: 1
              no colon here
              Bad Name: value
              X-Empty:
              : no name
              !X-No-Space
              Content-Length: 10
              ! Transfer-Encoding
              X-Control: a\u{7}b
            /empty
            http://example.com/*
              X-Skipped: with its refused pattern
            https://example.com:8080/*
              X-Skipped: too
            /query?a=1
            /two/*/*
            /good2
              X-Good: 2
              set-COOKIE: slipway_session=slws_planted; Domain=localhost
            """
        )
        #expect(headers.count == 2)
        #expect(headers.headers(for: "/good").fields == [.init(name: "X-Good", value: "1")])
        #expect(headers.headers(for: "/good2").fields == [.init(name: "X-Good", value: "2")])
        #expect(problems.map(\.lineNumber) == [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17, 18, 21])
        let messages = problems.map(\.message)
        #expect(messages[0].contains("must follow a URL pattern"))
        #expect(messages[1].contains("no colon"))
        #expect(messages[2].contains("not a header name"))
        #expect(messages[3].contains("no value"))
        #expect(messages[4].contains("no name"))
        #expect(messages[5].contains("with a space after the !"))
        #expect(messages[6].contains("cannot be changed"))
        #expect(messages[7].contains("cannot be removed"))
        #expect(messages[8].contains("control character"))
        #expect(messages[9].contains("no header lines"))
        #expect(messages[10].contains("https://"))
        #expect(messages[11].contains("port"))
        #expect(messages[12].contains("query string"))
        #expect(messages[13].contains("more than one splat"))
        #expect(messages[14].contains("cannot be set by _headers"))
    }

    @Test func linesAreLimitedToTwoThousandCharacters() {
        let value = String(repeating: "v", count: 2_000 - "  X-Long: ".count)
        let (headers, problems) = HeaderRules.parse("/a\n  X-Long: \(value)\n  X-Longer: \(value)\n")
        #expect(headers.headers(for: "/a").fields.map(\.name) == ["X-Long"])
        #expect(problems.map(\.lineNumber) == [3])
        #expect(problems.first?.message.contains("2000 characters") == true)
    }

    @Test func aHundredRulesAndTheRestOfTheFileIsIgnored() {
        let text = (0..<102).map { "/r\($0)\n  X-Rule: \($0)" }.joined(separator: "\n")
        let (headers, problems) = HeaderRules.parse(text)
        #expect(headers.count == 100)
        #expect(problems.map(\.lineNumber) == [201])
        #expect(problems.first?.message.contains("more than 100 rules") == true)
        #expect(headers.headers(for: "/r99").fields == [.init(name: "X-Rule", value: "99")])
        #expect(headers.headers(for: "/r100").isEmpty)
    }

    @Test func twoThousandHeaderLinesPerFile() {
        let text = "/a\n" + (0..<2_001).map { "  X-H\($0): \($0)" }.joined(separator: "\n") + "\n/b\n  ! Server"
        let (headers, problems) = HeaderRules.parse(text)
        #expect(headers.headers(for: "/a").fields.count == 2_000)
        #expect(problems.map(\.lineNumber) == [2_002, 2_003, 2_004])
        #expect(problems.first?.message.contains("more than 2000 header lines") == true)
    }

    @Test func aRuleWithoutHeadersAtTheEndOfTheFileIsReported() {
        let (headers, problems) = HeaderRules.parse("/a\n  X: 1\n/last\n")
        #expect(headers.count == 1)
        #expect(problems == [LineProblem(lineNumber: 3, message: "the rule for /last has no header lines under it")])
    }
}
