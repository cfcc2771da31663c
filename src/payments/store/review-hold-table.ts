// The statements of a review-hold table, written once for the two that share its shape and states:
// payment_review_holds (migration 211, payments) and funding_review_holds (migration 208, top-ups and
// withdrawals). Each row is the arbiter of its review: the resolution is claimed in the database
// BEFORE anything moves, so a release and an expiry can never both win and a crash leaves a row the
// sweep finishes the same way. The table and its id column are fixed names, never input.
import { toBigInt, toNumber, type Queryable, type Row, type Tx } from '../../store/index.ts';

/** placing (hold not placed yet) → held → resolving (resolution decided, money moving) → released | rejected. */
export type ReviewHoldState = 'placing' | 'held' | 'resolving' | 'released' | 'rejected';
/** release posts the hold; the others void it (fraud labels the decision; expire is the deadline). */
export type ReviewResolution = 'release' | 'reject' | 'fraud' | 'expire';

/** A row's fields apart from its subject id (whose name each table's type gives). */
export interface ReviewHoldFields {
  readonly decisionId: string;
  readonly holdSeq: bigint | null;
  readonly state: ReviewHoldState;
  readonly resolution: ReviewResolution | null;
  readonly resolvedBy: string | null;
  readonly expiresAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ReviewHoldTable<H> {
  of(q: Queryable, id: string): Promise<H | undefined>;
  /** Records the ledger hold once placed; false when the row had already moved on. */
  markPlaced(tx: Tx, id: string, holdSeq: bigint, now: number): Promise<boolean>;
  /** Takes the resolution if nobody took one yet (the row is the arbiter); false otherwise. */
  claimResolution(tx: Tx, id: string, resolution: ReviewResolution, by: string, now: number): Promise<boolean>;
  finish(tx: Tx, id: string, state: 'released' | 'rejected', holdSeq: bigint | null, now: number): Promise<void>;
  /**
   * What the sweep must finish: rows past their deadline, holds never placed (a crash after the
   * commit) and resolutions whose next step was interrupted, both older than `stuckBefore`.
   */
  toSweep(q: Queryable, now: number, stuckBefore: number, limit: number): Promise<H[]>;
}

export function fieldsOfRow(r: Row): ReviewHoldFields {
  return {
    decisionId: r.decision_id as string,
    holdSeq: r.hold_seq === null || r.hold_seq === undefined ? null : toBigInt(r.hold_seq),
    state: r.state as ReviewHoldState,
    resolution: (r.resolution ?? null) as ReviewResolution | null,
    resolvedBy: (r.resolved_by ?? null) as string | null,
    expiresAt: toNumber(r.expires_at),
    createdAt: toNumber(r.created_at),
    updatedAt: toNumber(r.updated_at),
  };
}

export function reviewHoldTable<H>(
  table: 'payment_review_holds' | 'funding_review_holds',
  idColumn: 'payment_id' | 'funding_id',
  fromRow: (r: Row) => H,
): ReviewHoldTable<H> {
  const columns = `${idColumn}, decision_id, hold_seq, state, resolution, resolved_by, expires_at, created_at,
    updated_at`;
  return {
    async of(q, id) {
      const row = await q.get(`SELECT ${columns} FROM ${table} WHERE ${idColumn} = ?`, [id]);
      return row === undefined ? undefined : fromRow(row);
    },
    async markPlaced(tx, id, holdSeq, now) {
      const changed = await tx.run(
        `UPDATE ${table} SET hold_seq = ?, state = 'held', updated_at = ? WHERE ${idColumn} = ? AND state = 'placing'`,
        [holdSeq, now, id],
      );
      return changed === 1;
    },
    async claimResolution(tx, id, resolution, by, now) {
      const changed = await tx.run(
        `UPDATE ${table} SET state = 'resolving', resolution = ?, resolved_by = ?, updated_at = ?
         WHERE ${idColumn} = ? AND state IN ('placing', 'held') AND resolution IS NULL`,
        [resolution, by, now, id],
      );
      return changed === 1;
    },
    async finish(tx, id, state, holdSeq, now) {
      await tx.run(
        `UPDATE ${table} SET state = ?, hold_seq = COALESCE(hold_seq, ?), updated_at = ?
         WHERE ${idColumn} = ? AND state = 'resolving'`,
        [state, holdSeq, now, id],
      );
    },
    async toSweep(q, now, stuckBefore, limit) {
      const rows = await q.all(
        `SELECT ${columns} FROM ${table}
         WHERE (state IN ('placing', 'held') AND expires_at <= ?)
            OR (state IN ('placing', 'resolving') AND updated_at <= ?)
         ORDER BY expires_at LIMIT ?`,
        [now, stuckBefore, limit],
      );
      return rows.map(fromRow);
    },
  };
}
