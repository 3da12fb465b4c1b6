public import Foundation

/// Whether a workspace controls a host name, proven the way Vercel asks for it: a TXT record
/// `_slipway-challenge.<name>` holding `slipway-verify=<token>`, the token the install derives for that workspace and
/// name. Until a domain is proven it is not routed and gets no certificate, so no tenant can serve or obtain a
/// certificate for a name that is someone else's; a workspace that proves a name takes it over from an unproven or
/// stale claim (docs/domains.md). `off` (one team per install) takes every name as proven.
public struct DomainOwnership: Sendable {
    /// How ownership is proven.
    public enum Mode: String, Sendable, CaseIterable {
        /// A TXT record (the default).
        case txt
        /// Not at all: every domain is verified as it is added.
        case off
    }

    /// The record a workspace creates for a name.
    public struct Record: Sendable, Equatable {
        /// `_slipway-challenge.<name>` (for `*.example.com`, `_slipway-challenge.example.com`).
        public var name: String
        /// `slipway-verify=<token>`.
        public var value: String
    }

    /// What a lookup found.
    public enum Check: Sendable, Equatable {
        case proven
        /// Not proven, and why (what the record holds instead, or what the lookup said).
        case notProven(String)
    }

    public let mode: Mode
    private let tokens: (any DomainOwnershipTokens)?
    private let lookup: (any TextRecordLookup)?

    public init(mode: Mode, tokens: (any DomainOwnershipTokens)?, lookup: (any TextRecordLookup)?) {
        self.mode = mode
        self.tokens = tokens
        self.lookup = lookup
    }

    /// No proof asked.
    public static let off = DomainOwnership(mode: .off, tokens: nil, lookup: nil)

    /// The record `workspaceID` creates to prove `hostname`; nil when ownership is not checked.
    public func record(for hostname: String, workspaceID: Int64) -> Record? {
        guard mode == .txt, let tokens else { return nil }
        let name = DomainRules.isWildcard(hostname) ? String(hostname.dropFirst(2)) : hostname
        return Record(name: "_slipway-challenge.\(name)", value: "slipway-verify=\(tokens.token(for: hostname, workspaceID: workspaceID))")
    }

    /// Whether `workspaceID` proves `hostname` now.
    public func check(_ hostname: String, workspaceID: Int64) async -> Check {
        guard let record = record(for: hostname, workspaceID: workspaceID) else { return .proven }
        guard let lookup else { return .notProven("this server has no DNS resolver to ask") }
        do {
            let found = try await lookup.textRecords(record.name)
            if found.contains(record.value) { return .proven }
            if found.isEmpty { return .notProven("\(record.name) has no TXT record") }
            let shown = found.prefix(5).map { "'\($0.prefix(100))'" }.joined(separator: ", ")
            return .notProven("\(record.name) has TXT \(shown), not '\(record.value)'")
        } catch {
            return .notProven("the TXT lookup of \(record.name) failed: \(error)")
        }
    }
}

/// The install's secret token for a workspace and a host name (a keyed hash: the same every time, unguessable by
/// anyone without the install's key, different for every workspace).
public protocol DomainOwnershipTokens: Sendable {
    func token(for hostname: String, workspaceID: Int64) -> String
}

/// DNS TXT lookups.
public protocol TextRecordLookup: Sendable {
    /// The TXT records of `name`; empty when it has none.
    func textRecords(_ name: String) async throws -> [String]
}
