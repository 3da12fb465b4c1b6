import SQLKit

extension Migrations {
    /// Migration 11: the fair share of workers between workspaces (docs/scheduling.md).
    ///
    /// `workspaces.last_claim_turn` orders the workspaces for the next claim: a claim numbers its turn one past the
    /// highest turn of any workspace and writes it on the workspace it served, so the workspace whose last claim is
    /// oldest has the lowest turn, and one never served has 0 and goes first. A counter rather than a time: claims on
    /// several nodes need no agreeing clocks, and two claims in one microsecond still get an order. (Two claims in
    /// different workspaces that commit at once on PostgreSQL may write the same turn; the workspace id breaks the tie.)
    /// The index answers both the highest turn and the order of the candidates.
    @Sendable static func addWorkspaceClaimTurns(_ session: Session) async throws {
        try await session.run("ALTER TABLE workspaces ADD COLUMN last_claim_turn BIGINT NOT NULL DEFAULT 0")
        try await session.run("CREATE INDEX workspaces_last_claim_turn ON workspaces (last_claim_turn, id)")
    }
}
