import Foundation
import Testing

@testable import SlipwayCore

/// One sample string of RFC 3492 §7.1: its code points and their Punycode.
struct RFC3492Sample: Sendable, CustomTestStringConvertible {
    var name: String
    var codePoints: [UInt32]
    var punycode: String
    var testDescription: String { name }

    /// Every sample of RFC 3492 §7.1 except (I), whose published output has mixed-case annotations (an optional
    /// feature the encoder does not use: its digits are lower case).
    static let all: [RFC3492Sample] = [
        RFC3492Sample(
            name: "(A) Arabic (Egyptian)",
            codePoints: [
                0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A,
                0x061F,
            ], punycode: "egbpdaj6bu4bxfgehfvwxn"),
        RFC3492Sample(
            name: "(B) Chinese (simplified)", codePoints: [0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587],
            punycode: "ihqwcrb4cv8a8dqg056pqjye"),
        RFC3492Sample(
            name: "(C) Chinese (traditional)", codePoints: [0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587],
            punycode: "ihqwctvzc91f659drss3x8bo0yb"),
        RFC3492Sample(
            name: "(D) Czech",
            codePoints: [
                0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B, 0x006E, 0x0065, 0x006D, 0x006C, 0x0075, 0x0076,
                0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079,
            ], punycode: "Proprostnemluvesky-uyb24dma41a"),
        RFC3492Sample(
            name: "(E) Hebrew",
            codePoints: [
                0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC, 0x05D0, 0x05DE, 0x05D3, 0x05D1, 0x05E8, 0x05D9,
                0x05DD, 0x05E2, 0x05D1, 0x05E8, 0x05D9, 0x05EA,
            ], punycode: "4dbcagdahymbxekheh6e0a7fei0b"),
        RFC3492Sample(
            name: "(F) Hindi (Devanagari)",
            codePoints: [
                0x092F, 0x0939, 0x0932, 0x094B, 0x0917, 0x0939, 0x093F, 0x0928, 0x094D, 0x0926, 0x0940, 0x0915, 0x094D, 0x092F, 0x094B, 0x0902,
                0x0928, 0x0939, 0x0940, 0x0902, 0x092C, 0x094B, 0x0932, 0x0938, 0x0915, 0x0924, 0x0947, 0x0939, 0x0948, 0x0902,
            ], punycode: "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd"),
        RFC3492Sample(
            name: "(G) Japanese (kanji and hiragana)",
            codePoints: [
                0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C, 0x8A9E, 0x3092, 0x8A71, 0x3057, 0x3066, 0x304F, 0x308C, 0x306A, 0x3044,
                0x306E, 0x304B,
            ], punycode: "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"),
        RFC3492Sample(
            name: "(H) Korean (Hangul syllables)",
            codePoints: [
                0xC138, 0xACC4, 0xC758, 0xBAA8, 0xB4E0, 0xC0AC, 0xB78C, 0xB4E4, 0xC774, 0xD55C, 0xAD6D, 0xC5B4, 0xB97C, 0xC774, 0xD574, 0xD55C,
                0xB2E4, 0xBA74, 0xC5BC, 0xB9C8, 0xB098, 0xC88B, 0xC744, 0xAE4C,
            ], punycode: "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5jpsd879ccm6fea98c"),
        RFC3492Sample(
            name: "(J) Spanish",
            codePoints: [
                0x0050, 0x006F, 0x0072, 0x0071, 0x0075, 0x00E9, 0x006E, 0x006F, 0x0070, 0x0075, 0x0065, 0x0064, 0x0065, 0x006E, 0x0073, 0x0069,
                0x006D, 0x0070, 0x006C, 0x0065, 0x006D, 0x0065, 0x006E, 0x0074, 0x0065, 0x0068, 0x0061, 0x0062, 0x006C, 0x0061, 0x0072, 0x0065,
                0x006E, 0x0045, 0x0073, 0x0070, 0x0061, 0x00F1, 0x006F, 0x006C,
            ], punycode: "PorqunopuedensimplementehablarenEspaol-fmd56a"),
        RFC3492Sample(
            name: "(K) Vietnamese",
            codePoints: [
                0x0054, 0x1EA1, 0x0069, 0x0073, 0x0061, 0x006F, 0x0068, 0x1ECD, 0x006B, 0x0068, 0x00F4, 0x006E, 0x0067, 0x0074, 0x0068, 0x1EC3,
                0x0063, 0x0068, 0x1EC9, 0x006E, 0x00F3, 0x0069, 0x0074, 0x0069, 0x1EBF, 0x006E, 0x0067, 0x0056, 0x0069, 0x1EC7, 0x0074,
            ], punycode: "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"),
        RFC3492Sample(
            name: "(L) 3<nen>B<gumi><kinpachi><sensei>", codePoints: [0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F],
            punycode: "3B-ww4c5e180e575a65lsy2b"),
        RFC3492Sample(
            name: "(M) <amuro><namie>-with-SUPER-MONKEYS",
            codePoints: [
                0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077, 0x0069, 0x0074, 0x0068, 0x002D, 0x0053, 0x0055, 0x0050, 0x0045, 0x0052,
                0x002D, 0x004D, 0x004F, 0x004E, 0x004B, 0x0045, 0x0059, 0x0053,
            ], punycode: "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
        RFC3492Sample(
            name: "(N) Hello-Another-Way-<sorezore><no><basho>",
            codePoints: [
                0x0048, 0x0065, 0x006C, 0x006C, 0x006F, 0x002D, 0x0041, 0x006E, 0x006F, 0x0074, 0x0068, 0x0065, 0x0072, 0x002D, 0x0057, 0x0061,
                0x0079, 0x002D, 0x305D, 0x308C, 0x305E, 0x308C, 0x306E, 0x5834, 0x6240,
            ], punycode: "Hello-Another-Way--fc4qua05auwb3674vfr0b"),
        RFC3492Sample(
            name: "(O) <hitotsu><yane><no><shita>2", codePoints: [0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x0032],
            punycode: "2-u9tlzr9756bt3uc0v"),
        RFC3492Sample(
            name: "(P) Maji<de>Koi<suru>5<byou><mae>",
            codePoints: [0x004D, 0x0061, 0x006A, 0x0069, 0x3067, 0x004B, 0x006F, 0x0069, 0x3059, 0x308B, 0x0035, 0x79D2, 0x524D],
            punycode: "MajiKoi5-783gue6qz075azm5e"),
        RFC3492Sample(
            name: "(Q) <pafii>de<runba>", codePoints: [0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0],
            punycode: "de-jg4avhby1noc0d"),
        RFC3492Sample(
            name: "(R) <sono><supiido><de>", codePoints: [0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067], punycode: "d9juau41awczczp"),
        RFC3492Sample(
            name: "(S) -> $1.00 <-", codePoints: [0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D],
            punycode: "-> $1.00 <--"),
    ]
}

@Suite struct PunycodeTests {
    @Test("Encodes the sample strings of RFC 3492", arguments: RFC3492Sample.all)
    func sample(_ sample: RFC3492Sample) {
        let input = String(String.UnicodeScalarView(sample.codePoints.compactMap(Unicode.Scalar.init)))
        #expect(Punycode.encode(input) == sample.punycode)
    }

    @Test func encodesTheCommonExamples() {
        #expect(Punycode.encode("bücher") == "bcher-kva")
        #expect(Punycode.encode("münchen") == "mnchen-3ya")
        #expect(Punycode.encode("ü") == "tda")
        #expect(Punycode.encode("日本語") == "wgv71a119e")
        #expect(Punycode.encode("plain") == "plain-")
    }
}

@Suite struct DomainRulesTests {
    let rules = DomainRules(platformDomain: "Slipway.Example.NET.")

    private func problem(_ raw: String) -> SlipwayError? {
        do {
            _ = try rules.hostname(raw)
            return nil
        } catch {
            return error
        }
    }

    @Test func normalisesToTrimmedLowerCaseASCIIWithoutTheTrailingDot() throws {
        #expect(try rules.hostname("  Shop.Example.COM.  ") == "shop.example.com")
        #expect(try rules.hostname("bücher.example") == "xn--bcher-kva.example")
        #expect(try rules.hostname("BÜCHER.example") == "xn--bcher-kva.example")
        // A decomposed ü (u + U+0308) is composed first, so both spellings are one domain.
        #expect(try rules.hostname("bu\u{0308}cher.example") == "xn--bcher-kva.example")
        #expect(try rules.hostname("日本語\u{3002}jp") == "xn--wgv71a119e.jp")
        #expect(try rules.hostname("xn--bcher-kva.example") == "xn--bcher-kva.example")
        #expect(try rules.hostname("a-b.c0.example") == "a-b.c0.example")
        #expect(try rules.hostname(String(repeating: "a", count: 63) + ".example") == String(repeating: "a", count: 63) + ".example")
    }

    @Test(
        "Refuses what is not a public host name, naming hostname",
        arguments: [
            ("", "must not be empty"),
            ("   ", "must not be empty"),
            ("192.0.2.1", "must be a host name, not an IP address"),
            ("[2001:db8::1]", "must be a host name, not an IP address"),
            ("2001:db8::1", "must be a host name, not an IP address"),
            ("example", "must have at least two labels, like example.com"),
            ("shop..example.com", "must not have an empty label (two dots in a row, or a leading dot)"),
            (".example.com", "must not have an empty label (two dots in a row, or a leading dot)"),
            ("shop.example.com..", "must not have an empty label (two dots in a row, or a leading dot)"),
            ("-shop.example.com", "label '-shop' must not begin or end with a hyphen"),
            ("shop-.example.com", "label 'shop-' must not begin or end with a hyphen"),
            ("shop_1.example.com", "'shop_1' must hold only letters, digits and hyphens"),
            ("shop example.com", "'shop example' must hold only letters, digits and hyphens"),
            ("shop.example.com/path", "'com/path' must hold only letters, digits and hyphens"),
            ("€uro.example", "'€uro' must hold only letters, digits and hyphens"),
            ("ab--cd.example", "'ab--cd' must not have hyphens in its third and fourth places (reserved for IDNA)"),
            ("example.123", "must not end in a label of digits only (a top-level domain is never a number)"),
            (
                String(repeating: "a", count: 64) + ".example",
                "label '\(String(repeating: "a", count: 64))' must be at most 63 characters long in its ASCII form"
            ),
            (
                Array(repeating: String(repeating: "a", count: 62), count: 4).joined(separator: ".") + ".com",
                "must be at most 253 characters long in its ASCII form"
            ),
            ("localhost", "localhost is a loopback name, not a public one"),
            ("app.LOCALHOST.", "localhost is a loopback name, not a public one"),
            ("slipway.example.net", "slipway.example.net is this server's own domain"),
            (
                "hello.slipway.example.net",
                "hello.slipway.example.net is under this server's own domain slipway.example.net, where projects are served already"
            ),
            (
                "a.b.Slipway.Example.Net.",
                "a.b.slipway.example.net is under this server's own domain slipway.example.net, where projects are served already"
            ),
        ])
    func refuses(_ raw: String, _ message: String) {
        #expect(problem(raw) == SlipwayError.invalid(.name("hostname"), message))
    }

    /// A wildcard over a name of 253 characters: 255 in all.
    static let longWildcard = "*." + Array(repeating: String(repeating: "a", count: 62), count: 4).joined(separator: ".") + ".c"

    @Test(
        "Refuses wildcards of any other shape than one leading label, and those whose matches include this server's names",
        arguments: [
            ("shop.*.example.com", "a wildcard must be the whole first label, like *.example.com"),
            ("*.*.example.com", "a wildcard must be the whole first label, like *.example.com"),
            ("s*.example.com", "a wildcard must be the whole first label, like *.example.com"),
            ("*", "a wildcard must be the whole first label, like *.example.com"),
            ("*.", "a wildcard must be the whole first label, like *.example.com"),
            ("*.com", "a wildcard must stand over at least two labels, like *.example.com"),
            ("*.192.0.2.1", "must be a host name, not an IP address"),
            ("*.localhost", "localhost is a loopback name, not a public one"),
            (
                "*.slipway.example.net",
                "*.slipway.example.net is under this server's own domain slipway.example.net, where projects are served already"
            ),
            (
                "*.Shop.Slipway.Example.Net",
                "*.shop.slipway.example.net is under this server's own domain slipway.example.net, where projects are served already"
            ),
            ("*.example.net", "*.example.net would cover this server's own domain slipway.example.net"),
            (longWildcard, "must be at most 253 characters long in its ASCII form"),
        ])
    func refusesWildcard(_ raw: String, _ message: String) {
        #expect(problem(raw) == SlipwayError.invalid(.name("hostname"), message))
    }

    @Test func aWildcardIsOneLeadingLabelNormalisedLikeAnyName() throws {
        #expect(try rules.hostname(" *.Example.COM. ") == "*.example.com")
        #expect(try rules.hostname("*.bücher.example") == "*.xn--bcher-kva.example")
        #expect(try rules.hostname("*.shop.example.co.uk") == "*.shop.example.co.uk")
        #expect(DomainRules.normalized("%2A.example.com") == nil)
        #expect(DomainRules.normalized("*.Example.com") == "*.example.com")
        // Its matches are the names one label under its base: a sibling of the platform's domain is no match.
        #expect(try rules.hostname("*.other.example.net") == "*.other.example.net")
        #expect(try DomainRules(platformDomain: "a.slipway.example.net").hostname("*.example.net") == "*.example.net")
        #expect(throws: SlipwayError.invalid(.name("hostname"), "*.slipway.example.net would cover this server's own domain a.slipway.example.net")) {
            try DomainRules(platformDomain: "a.slipway.example.net").hostname("*.slipway.example.net")
        }
        #expect(DomainRules.isWildcard("*.example.com"))
        #expect(!DomainRules.isWildcard("example.com"))
    }

    @Test func theWildcardMatchingANameStandsForItsFirstLabelOnly() {
        #expect(DomainRules.wildcard(matching: "a.example.com") == "*.example.com")
        #expect(DomainRules.wildcard(matching: "b.a.example.com") == "*.a.example.com")
        // `*.com` is never a domain: a name of two labels has no wildcard.
        #expect(DomainRules.wildcard(matching: "example.com") == nil)
        #expect(DomainRules.wildcard(matching: "com") == nil)
        #expect(DomainRules.wildcard(matching: ".example.com") == nil)
        #expect(DomainRules.wildcard(matching: "*.example.com") == nil)
    }

    @Test func aNameThatOnlyEndsLikeThePlatformDomainIsAllowed() throws {
        #expect(try rules.hostname("notslipway.example.net") == "notslipway.example.net")
    }

    @Test func branchesFollowGitsRules() throws {
        #expect(try rules.branch(nil) == nil)
        #expect(try rules.branch("feature/x") == "feature/x")
        #expect(throws: SlipwayError.invalid(.name("branch"), "must not be empty")) { try rules.branch("") }
        #expect(throws: SlipwayError.invalid(.name("branch"), "is not a valid git branch name")) { try rules.branch("a..b") }
    }

    @Test func theDNSRecordIsACNAMEToProductionForASubdomainAndAnAddressForAnApex() {
        let sub = DomainDNSRecord.record(for: "shop.example.com", projectName: "shop", platformDomain: "slipway.example.net")
        #expect(sub.type == "CNAME")
        #expect(sub.value == "shop.slipway.example.net")
        let apex = DomainDNSRecord.record(for: "example.com", projectName: "shop", platformDomain: "slipway.example.net")
        #expect(apex.type == "A")
        #expect(apex.value == nil)
        #expect(apex.note.contains("A record to this server's address"))
    }
}

@Suite struct CustomDomainRoutingTests {
    @Test func aCustomDomainFollowsTheKeyItServesLikeThroughSwitchesRenamesAndRemoval() {
        let table = RouteTable()
        let (b1, b2, b3) = (UUID(), UUID(), UUID())
        table.set(["shop": RouteTarget(deploymentID: 1, buildID: b1), "staging.shop": RouteTarget(deploymentID: 2, buildID: b2)])
        table.loadCustomDomains(["shop.example.com": DomainRoute(projectName: "shop", branch: nil)])
        table.setCustomDomain("staging.example.com", DomainRoute(projectName: "shop", branch: "Staging"))
        #expect(table.routeKey(forCustomDomain: "shop.example.com") == "shop")
        #expect(table.routeKey(forCustomDomain: "staging.example.com") == "staging.shop")
        #expect(table.routeKey(forCustomDomain: "other.example.com") == nil)
        #expect(table.customDomains(pointingAt: 1) == ["shop.example.com"])
        #expect(table.customDomains(pointingAt: 2) == ["staging.example.com"])

        // Production switches: the domain goes with it.
        table.set(["shop": RouteTarget(deploymentID: 3, buildID: b3)])
        #expect(table.customDomains(pointingAt: 1) == [])
        #expect(table.customDomains(pointingAt: 3) == ["shop.example.com"])

        table.renameProject(from: "shop", to: "store")
        #expect(table.routeKey(forCustomDomain: "shop.example.com") == "store")
        #expect(table.routeKey(forCustomDomain: "staging.example.com") == "staging.store")

        table.removeCustomDomain("staging.example.com")
        #expect(table.routeKey(forCustomDomain: "staging.example.com") == nil)
        table.removeProject("store")
        #expect(table.routeKey(forCustomDomain: "shop.example.com") == nil)
    }

    @Test func aWildcardDomainServesTheNamesOneLabelUnderItWhenNoExactDomainHasThemAndIsNoAlias() {
        let table = RouteTable()
        table.set(["shop": RouteTarget(deploymentID: 1, buildID: UUID()), "blog": RouteTarget(deploymentID: 2, buildID: UUID())])
        table.loadCustomDomains(["*.example.com": DomainRoute(projectName: "shop", branch: nil)])
        table.setCustomDomain("blog.example.com", DomainRoute(projectName: "blog", branch: nil))
        #expect(table.routeKey(forCustomDomain: "a.example.com") == "shop")
        #expect(table.routeKey(forCustomDomain: "xn--bcher-kva.example.com") == "shop")
        // An exact domain wins over the wildcard that matches it.
        #expect(table.routeKey(forCustomDomain: "blog.example.com") == "blog")
        // One label only (RFC 6125): neither the base nor a deeper name.
        #expect(table.routeKey(forCustomDomain: "example.com") == nil)
        #expect(table.routeKey(forCustomDomain: "b.a.example.com") == nil)
        #expect(table.routeKey(forCustomDomain: "a.example.org") == nil)
        // `*.example.com` is not a URL: no deployment lists it as an alias.
        #expect(table.customDomains(pointingAt: 1) == [])
        #expect(table.customDomains(pointingAt: 2) == ["blog.example.com"])

        table.removeCustomDomain("*.example.com")
        #expect(table.routeKey(forCustomDomain: "a.example.com") == nil)
    }

    @Test func everyChangeOfACustomDomainMovesTheVersion() {
        let table = RouteTable()
        var seen = table.version
        func changed(_ change: () -> Void) -> Bool {
            change()
            defer { seen = table.version }
            return table.version != seen
        }
        #expect(changed { table.setCustomDomain("a.example", DomainRoute(projectName: "a", branch: nil)) })
        #expect(!changed { _ = table.routeKey(forCustomDomain: "a.example") })
        #expect(changed { table.renameProject(from: "a", to: "b") })
        #expect(changed { table.removeCustomDomain("a.example") })
        #expect(changed { table.loadCustomDomains([:]) })
    }

    @Test func customDomainURLsUseTheInstallsSchemeAndPort() {
        #expect(PublicURLs(domain: "localhost", port: 8080).url(forHost: "shop.example.com") == "http://shop.example.com:8080")
        #expect(PublicURLs(domain: "example.net", port: 80).url(forHost: "shop.example.com") == "http://shop.example.com")
    }
}
