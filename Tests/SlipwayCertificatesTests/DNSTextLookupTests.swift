import Foundation
import NIOCore
import NIOPosix
import SlipwayTesting
import Testing

@testable import SlipwayCertificates

/// The TXT lookup that proves a domain's ownership: the messages byte by byte, hostile answers, and a real DNS server
/// (pebble-challtestsrv) on loopback.
@Suite struct DNSTextLookupTests {
    @Test func theQueryIsRFC1035sWithRecursionDesired() throws {
        let query = try DNSMessage.textQuery(id: 0x1234, name: "_slipway.Shop.example.")
        let expected: [UInt8] =
            [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
            + [8] + Array("_slipway".utf8) + [4] + Array("Shop".utf8) + [7] + Array("example".utf8) + [0]
            + [0, 16, 0, 1]
        #expect(query == expected)
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textQuery(id: 1, name: "a..b") }
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textQuery(id: 1, name: String(repeating: "a", count: 64) + ".b") }
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textQuery(id: 1, name: "a b.example") }
    }

    /// An answer to query 7 for `a.example` TXT with `records` (each a list of character-strings), and a CNAME first.
    static func answer(id: UInt16 = 7, flags: UInt16 = 0x8180, records: [[String]]) -> [UInt8] {
        var bytes: [UInt8] = [
            UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, UInt8(records.count + 1), 0, 0, 0, 0,
        ]
        bytes += [1] + Array("a".utf8) + [7] + Array("example".utf8) + [0, 0, 16, 0, 1]
        // A CNAME, named by a pointer to the question's name (offset 12): skipped.
        bytes += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, UInt8(ascii: "b"), 0xC0, 12]
        for strings in records {
            let data = strings.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            bytes += [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
        }
        return bytes
    }

    @Test func txtRecordsAreReadWithTheirStringsJoinedAndOtherTypesSkipped() throws {
        let records = try DNSMessage.textRecords(in: Self.answer(records: [["slipway-verify=", "abc"], ["v=spf1 -all"]]), id: 7)
        #expect(records == ["slipway-verify=abc", "v=spf1 -all"])
        #expect(try DNSMessage.textRecords(in: Self.answer(records: []), id: 7).isEmpty)
        // No such name (RCODE 3) is an answer with no records.
        #expect(try DNSMessage.textRecords(in: Self.answer(flags: 0x8183, records: []), id: 7).isEmpty)
    }

    @Test func answersThatAreWrongTruncatedFailedOrHostileAreRefusedWithoutReadingPastThem() throws {
        #expect(throws: DNSMessage.Problem.serverFailure(code: 2)) { try DNSMessage.textRecords(in: Self.answer(flags: 0x8182, records: []), id: 7) }
        #expect(throws: DNSMessage.Problem.truncated) { try DNSMessage.textRecords(in: Self.answer(flags: 0x8380, records: []), id: 7) }
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textRecords(in: Self.answer(records: [["x"]]), id: 8) }
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textRecords(in: Self.answer(flags: 0x0100, records: []), id: 7) }
        let whole = Self.answer(records: [["slipway-verify=abc"]])
        for length in 0..<whole.count {
            #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textRecords(in: Array(whole.prefix(length)), id: 7) }
        }
        // A TXT string longer than its record, and an answer count far beyond the message.
        var overlong = whole
        overlong[overlong.count - 19] = 200
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textRecords(in: overlong, id: 7) }
        var manyAnswers = whole
        manyAnswers[6] = 0xFF
        manyAnswers[7] = 0xFF
        #expect(throws: DNSMessage.Problem.self) { try DNSMessage.textRecords(in: manyAnswers, id: 7) }
    }

    @Test func theSystemResolverIsTheFirstNameserverLine() {
        let lookup = DNSTextLookup.system(resolvConf: "# comment\nsearch example\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n")
        #expect(lookup?.resolver == (try? SocketAddress(ipAddress: "192.0.2.53", port: 53)))
        #expect(DNSTextLookup.system(resolvConf: "search example\n") == nil)
    }

    @Test(.enabled(if: PebbleServer.isInstalled, "needs Debian's pebble (pebble-challtestsrv is the DNS server)"))
    func aRealDNSServerAnswersTheRecordsSetAndNoneOnceCleared() async throws {
        try await PebbleServer.run(.init(httpChallengePort: 1, tlsChallengePort: 1)) { pebble in
            let lookup = DNSTextLookup(resolver: try SocketAddress(ipAddress: "127.0.0.1", port: pebble.dnsPort), timeout: .seconds(5))
            let name = "_slipway-challenge.shop.example.test"
            #expect(try await lookup.textRecords(name).isEmpty)
            try await pebble.setTXT(name, "slipway-verify=abc")
            #expect(try await lookup.textRecords(name) == ["slipway-verify=abc"])
            try await pebble.clearTXT(name)
            #expect(try await lookup.textRecords(name).isEmpty)
        }
    }

    @Test func aResolverThatNeverAnswersIsAFailureAfterTheAttempts() async throws {
        // A UDP socket that reads every query and never answers.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)
        let lookup = DNSTextLookup(resolver: try SocketAddress(ipAddress: "127.0.0.1", port: port), timeout: .milliseconds(200), attempts: 2)
        await #expect(throws: DNSTextLookup.Failure.self) { try await lookup.textRecords("a.example") }
    }
}
