import Foundation
import NIOHTTP1
public import SlipwayCore

/// One entry of the audit trail (`GET /api/v1/audit`, docs/audit.md).
public struct AuditEntryInfo: Decodable, Sendable, Equatable {
    public struct Actor: Decodable, Sendable, Equatable {
        public var userId: Int64?
        public var login: String?
    }

    public struct Target: Decodable, Sendable, Equatable {
        public var type: String?
        public var id: String?
        public var name: String?
    }

    public struct Result: Decodable, Sendable, Equatable {
        /// The HTTP status of the answer.
        public var status: Int
        /// `succeeded` or `failed`.
        public var outcome: String
        /// The error's code for a failed change.
        public var error: String?
    }

    public var id: Int64
    public var createdAt: String
    public var workspaceId: Int64?
    public var actor: Actor
    public var tokenId: Int64?
    /// `session`, `token` or `none`.
    public var via: String
    public var address: String?
    public var action: String
    public var target: Target
    public var detail: [String: AuditDetailValue]
    public var result: Result
}

/// A keyset page of the audit trail.
public struct AuditPageInfo: Decodable, Sendable, Equatable {
    public struct Info: Decodable, Sendable, Equatable {
        public var total: Int
        public var hasNextPage: Bool
        public var hasPreviousPage: Bool
        public var startCursor: String?
        public var endCursor: String?
    }

    public var data: [AuditEntryInfo]
    public var pageInfo: Info
}

extension SlipwayClient {
    /// One page of the audit trail: `filter` and `orderBy` are JSON in the query language (DESIGN.md §9), `after` and
    /// `before` the cursors of `pageInfo`.
    public func audit(filter: String? = nil, orderBy: String? = nil, limit: Int? = nil, after: String? = nil, before: String? = nil)
        async throws -> AuditPageInfo
    {
        var items: [URLQueryItem] = []
        if let filter { items.append(URLQueryItem(name: "filter", value: filter)) }
        if let orderBy { items.append(URLQueryItem(name: "orderBy", value: orderBy)) }
        if let limit { items.append(URLQueryItem(name: "limit", value: String(limit))) }
        if let after { items.append(URLQueryItem(name: "after", value: after)) }
        if let before { items.append(URLQueryItem(name: "before", value: before)) }
        var components = URLComponents()
        components.queryItems = items
        // `+` is a space in a query: a literal one is sent encoded.
        let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try await send(.GET, "/api/v1/audit" + (query.isEmpty ? "" : "?" + query))
    }
}
