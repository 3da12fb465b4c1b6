import Testing

@testable import SlipwayEdge

@Suite struct SitePathTests {
    @Test func pathsAreDecodedAndNormalised() throws {
        #expect(try SitePath(decoding: "/") == SitePath(segments: [], hasTrailingSlash: true))
        #expect(try SitePath(decoding: "") == SitePath(segments: [], hasTrailingSlash: true))
        #expect(try SitePath(decoding: "/a%20b/./c") == SitePath(segments: ["a b", "c"], hasTrailingSlash: false))
        #expect(try SitePath(decoding: "//docs//") == SitePath(segments: ["docs"], hasTrailingSlash: true))
        #expect(try SitePath(decoding: "/a%2Fb") == SitePath(segments: ["a", "b"], hasTrailingSlash: false))
        #expect(try SitePath(decoding: "/caf%C3%A9") == SitePath(segments: ["café"], hasTrailingSlash: false))
        #expect(try SitePath(decoding: "/a+b") == SitePath(segments: ["a+b"], hasTrailingSlash: false))
    }

    @Test func problemsAreNamed() {
        #expect(throws: SitePath.Problem.traversal) { try SitePath(decoding: "/a/../b") }
        #expect(throws: SitePath.Problem.traversal) { try SitePath(decoding: "/%2e%2E/b") }
        #expect(throws: SitePath.Problem.nullByte) { try SitePath(decoding: "/a%00b") }
        #expect(throws: SitePath.Problem.invalidEncoding) { try SitePath(decoding: "/%g0") }
        #expect(throws: SitePath.Problem.invalidEncoding) { try SitePath(decoding: "/%ff") }
        #expect(throws: SitePath.Problem.invalidEncoding) { try SitePath(decoding: "/%4") }
    }

    @Test func directoryLocationsAreEncoded() throws {
        #expect(try SitePath(decoding: "/a b/?#%25").directoryURLPath == "/a%20b/%3F%23%25/")
        #expect(try SitePath(decoding: "//evil.com").directoryURLPath == "/evil.com/")
    }
}

@Suite struct ByteRangeSelectionTests {
    @Test func singleRangesAreClampedToTheFile() {
        #expect(ByteRangeSelection(header: "bytes=0-0", size: 10) == .partial(0...0))
        #expect(ByteRangeSelection(header: "bytes=2-", size: 10) == .partial(2...9))
        #expect(ByteRangeSelection(header: "bytes=-3", size: 10) == .partial(7...9))
        #expect(ByteRangeSelection(header: "bytes=-30", size: 10) == .partial(0...9))
        #expect(ByteRangeSelection(header: "bytes=5-30", size: 10) == .partial(5...9))
    }

    @Test func unsatisfiableRanges() {
        #expect(ByteRangeSelection(header: "bytes=10-", size: 10) == .unsatisfiable)
        #expect(ByteRangeSelection(header: "bytes=-0", size: 10) == .unsatisfiable)
        #expect(ByteRangeSelection(header: "bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRangeSelection(header: "bytes=-1", size: 0) == .unsatisfiable)
    }

    @Test func ignoredHeaders() {
        for header in [nil, "", "bytes=", "bytes=-", "bytes=3-2", "bytes=0-1, 3-4", "pages=1-2", "bytes=a-b", "bytes=1 - 2", "bytes=0x1-2"] {
            #expect(ByteRangeSelection(header: header, size: 10) == .whole, "\(String(describing: header))")
        }
    }
}

@Suite struct HTTPDateTests {
    @Test func datesAreIMFFixdates() {
        #expect(HTTPDate.format(secondsSince1970: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(secondsSince1970: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSince1970: 951_782_400) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(HTTPDate.format(secondsSince1970: -1) == "Wed, 31 Dec 1969 23:59:59 GMT")
    }

    @Test func formattedDatesParseBack() {
        for seconds in [0, 784_111_777, 951_782_400, 1_700_000_000, 4_102_444_800, -86_401] {
            #expect(HTTPDate.parse(HTTPDate.format(secondsSince1970: seconds)) == seconds)
        }
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 25:49:37 GMT") == nil)
        #expect(HTTPDate.parse("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
        #expect(HTTPDate.parse("") == nil)
    }
}
