import Foundation
import SlipwayAPI
import Testing

@testable import SlipwayCore

/// The query language without IO: parsing, validation, errors that name the offending part, cursors.
@Suite struct DeploymentQueryParserTests {
    let deploys = DeploymentQueryParser(catalog: .deploys)
    let native = DeploymentQueryParser(catalog: .native)

    /// The error a parse throws, or nil.
    func error(_ parser: DeploymentQueryParser, _ parameters: [String: String]) -> QueryError? {
        do {
            _ = try parser.parse(parameters)
            return nil
        } catch {
            return error as? QueryError
        }
    }

    @Test func defaultsAreNewestFirstAHundredFromTheStart() throws {
        let query = try deploys.parse([:])
        #expect(query.limit == 100)
        #expect(query.position == .first)
        #expect(query.filter == .all([]))
        #expect(query.order.map(\.attribute) == [QueryAttributes.createdAt, QueryAttributes.id])
        #expect(query.order.map(\.direction) == [.descending, .descending])
    }

    @Test func statusAndTriggerWordsMapOntoStates() throws {
        let failed = try deploys.parse(["filter": #"{"status": {"eq": "failed"}}"#])
        #expect(failed.filter == .compare(QueryAttributes.state, .oneOf([.text("failed"), .text("canceled"), .text("skipped")])))
        let notPending = try deploys.parse(["filter": #"{"status": {"ne": "pending"}}"#])
        #expect(notPending.filter == .compare(QueryAttributes.state, .notEqual(.text("queued"))))
        let manual = try deploys.parse(["trigger": "manual"])
        #expect(manual.filter == .compare(QueryAttributes.trigger, .oneOf([.text("manual"), .text("rerun"), .text("promote")])))
        let status = try native.parse(["filter": #"{"status": {"in": [1, 4]}}"#])
        #expect(status.filter == .compare(QueryAttributes.state, .oneOf([.text("success"), .text("canceled")])))
    }

    @Test func prefixedIDsRelationsAndShorthandsAreANDed() throws {
        let uuid = UUID()
        let query = try deploys.parse([
            "entity_id": PrefixedID.app.format(uuid), "created_by": "admin",
            "filter": #"{"build": {"commitId": {"startsWith": "ab"}}, "NOT": {"gitBranch": {"contains": "x"}}}"#,
        ])
        #expect(
            query.filter
                == .all([
                    .all([
                        .not(.compare(QueryAttributes.gitBranch, .contains("x"))),
                        .related(.build, .compare(QueryAttributes.buildCommitID, .startsWith("ab"))),
                    ]),
                    .related(.entity, .compare(QueryAttributes.projectUID, .equal(.text(uuid.lowercased)))),
                    .related(.createdBy, .compare(QueryAttributes.userName, .equal(.text("admin")))),
                ]))
        // `createdBy` is both a field (its name) and a relation: operators pick the field.
        let relation = try deploys.parse(["filter": #"{"createdBy": {"id": {"eq": 3}}}"#])
        #expect(relation.filter == .related(.createdBy, .compare(QueryAttributes.userKey, .equal(.integer(3)))))
    }

    @Test func timestampsReadToTheMicrosecond() throws {
        #expect(QueryTimestamp.parse("2026-01-17T13:55:31.123456Z") == 1_768_658_131_123_456)
        #expect(QueryTimestamp.parse("2026-01-17T13:55:31Z") == 1_768_658_131_000_000)
        #expect(QueryTimestamp.parse("2026-01-17T14:55:31.5+01:00") == 1_768_658_131_500_000)
        #expect(QueryTimestamp.parse("2026-01-17") == nil)
        #expect(QueryTimestamp.parse("2026-13-17T13:55:31Z") == nil)
        #expect(QueryTimestamp.parse("2026-01-17T13:55:31.Z") == nil)
    }

    @Test func orderByTakesEveryDirectionAndEndsWithTheID() throws {
        let query = try native.parse(["orderBy": #"[{"completed_at": "asc_nulls_first"}, {"started_at": "desc_nulls_last"}]"#])
        #expect(query.order.map(\.attribute) == [QueryAttributes.completedAt, QueryAttributes.startedAt, QueryAttributes.id])
        #expect(query.order.map(\.nullsFirst) == [true, false, false])
        #expect(query.order.map(\.direction) == [.ascending, .descending, .descending])
        #expect(try native.parse(["orderBy": #"[{"completed_at": "asc"}]"#]).order[0].nullsFirst == false)
        #expect(try native.parse(["orderBy": #"[{"completed_at": "desc"}]"#]).order[0].nullsFirst == true)
        #expect(try native.parse(["orderBy": #"[{"id": "asc"}]"#]).order.count == 1)
    }

    @Test func everyMistakeNamesTheOffendingPart() {
        let cases: [(DeploymentQueryParser, [String: String], String)] = [
            (deploys, ["filter": "{"], "filter"),
            (deploys, ["filter": "[]"], "filter"),
            (deploys, ["filter": #"{"bogus": {"eq": 1}}"#], "filter.bogus"),
            (deploys, ["filter": #"{"AND": [{"sequenceNumber": {"gt": "x"}}]}"#], "filter.AND[0].sequenceNumber.gt"),
            (deploys, ["filter": #"{"status": {"contains": "fail"}}"#], "filter.status.contains"),
            (deploys, ["filter": #"{"status": {"like": "fail"}}"#], "filter.status.like"),
            (deploys, ["filter": #"{"startedAt": {"isNull": "yes"}}"#], "filter.startedAt.isNull"),
            (deploys, ["filter": #"{"createdAt": {"isNull": true}}"#], "filter.createdAt.isNull"),
            (deploys, ["filter": #"{"entity": {"entity": {"name": {"eq": "x"}}}}"#], "filter.entity.entity"),
            (deploys, ["filter": #"{"id": {"eq": "dep_123"}}"#], "filter.id.eq"),
            (deploys, ["filter": #"{"buildId": {"in": ["bld_x"]}}"#], "filter.buildId.in[0]"),
            (deploys, ["filter": #"{"gitBranch": {"in": "main"}}"#], "filter.gitBranch.in"),
            (deploys, ["orderBy": #"{"createdAt": "up"}"#], "orderBy[0].createdAt"),
            (deploys, ["orderBy": #"[{"error": "asc"}]"#], "orderBy[0].error"),
            (deploys, ["orderBy": #"[{"createdAt": "asc", "startedAt": "asc"}]"#], "orderBy[0]"),
            (deploys, ["limit": "0"], "limit"), (deploys, ["limit": "101"], "limit"), (deploys, ["limit": "ten"], "limit"),
            (deploys, ["after": "a", "before": "b"], "before"),
            (deploys, ["ids": "dep_1"], "ids"), (native, ["ids": "1,x"], "ids"),
            (deploys, ["status": "done"], "status"), (deploys, ["workspace_id": "ws_1"], "workspace_id"),
            (native, ["filter": #"{"state": {"eq": "pending"}}"#], "filter.state.eq"),
            (native, ["filter": #"{"status": {"eq": 9}}"#], "filter.status.eq"),
        ]
        for (parser, parameters, part) in cases {
            #expect(error(parser, parameters)?.part == part, "\(parameters)")
        }
    }

    @Test func hostileFiltersAreRefusedBeforeTheyReachADatabase() throws {
        let deep = String(repeating: #"{"NOT": "#, count: 20) + "{}" + String(repeating: "}", count: 20)
        #expect(error(deploys, ["filter": deep])?.message.contains("deeper") == true)
        let huge = #"{"sequenceNumber": {"in": ["# + (0..<2_000).map(String.init).joined(separator: ",") + "]}}"
        #expect(error(deploys, ["filter": huge])?.message.contains("values") == true)
        let wide = "{" + (0..<300).map { #""AND": [{"sequenceNumber": {"eq": \#($0)}}]"# }.joined(separator: ",") + "}"
        // Duplicate keys: the JSON decoder keeps one of them (swift-foundation the first), not all 300.
        let kept = try deploys.parse(["filter": wide]).filter
        let single = try (0..<300).map { try deploys.parse(["filter": #"{"AND": [{"sequenceNumber": {"eq": \#($0)}}]}"#]).filter }
        #expect(single.contains(kept), "\(kept)")
        let long = #"{"gitBranch": {"eq": ""# + String(repeating: "x", count: 2_000) + #""}}"#
        #expect(error(deploys, ["filter": long])?.part == "filter.gitBranch.eq")
        #expect(error(deploys, ["filter": String(repeating: "[", count: 100_000)])?.part == "filter")
    }

    /// A deterministic signer for tests.
    struct TestSigner: QueryCursorSigner {
        var salt: UInt8 = 7
        func signature(for message: [UInt8]) -> [UInt8] {
            var state = [UInt8](repeating: salt, count: 16)
            for (index, byte) in message.enumerated() { state[index % 16] = state[index % 16] &* 31 &+ byte }
            return state
        }
    }

    @Test func cursorsRoundTripAndForgeriesAreRefused() throws {
        let order = try native.parse(["orderBy": #"[{"completed_at": "asc_nulls_first"}]"#]).order
        let cursor = QueryCursor.encode([nil, 42], order: order, signer: TestSigner())
        #expect(cursor.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(try QueryCursor.decode(cursor, parameter: "after", order: order, signer: TestSigner()) == [nil, 42])
        // Another key, another order, a changed byte, garbage: refused, naming the parameter.
        for (text, signer, order) in [
            (cursor, TestSigner(salt: 8), order), (cursor, TestSigner(), DeploymentQuery.defaultOrder),
            (String(cursor.dropLast()) + (cursor.last == "A" ? "B" : "A"), TestSigner(), order), ("%%%", TestSigner(), order),
            ("", TestSigner(), order),
        ] {
            #expect(throws: QueryError("before", "is not a cursor Slipway issued for this orderBy")) {
                try QueryCursor.decode(text, parameter: "before", order: order, signer: signer)
            }
        }
        // A well-signed payload with the wrong shape (a NULL for a column that cannot be NULL) is refused too.
        let wrong = QueryCursor.encode([1, nil], order: order, signer: TestSigner())
        #expect(throws: QueryError.self) { try QueryCursor.decode(wrong, parameter: "after", order: order, signer: TestSigner()) }
    }

    @Test func prefixedIDsFormatAndParse() {
        let uuid = UUID()
        #expect(PrefixedID.build.parse(PrefixedID.build.format(uuid)) == uuid)
        #expect(PrefixedID.build.parse(PrefixedID.app.format(uuid)) == nil)
        #expect(PrefixedID.deployment.parse("dep_" + uuid.hexDigits.uppercased()) == uuid)
        #expect(PrefixedID.deployment.parse("dep_" + String(uuid.hexDigits.dropLast())) == nil)
        #expect(PrefixedID.deployment.parse("dep_" + String(uuid.hexDigits.dropLast()) + "g") == nil)
    }
}
