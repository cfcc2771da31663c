// The SQL of the AML monitors' level factors approved at run time (aml_monitor_level_factors): one row
// per approved version, insert-only; the highest version is in force.
import { toNumber, type Queryable, type Tx } from '../store/index.ts';

export interface StoredLevelFactors {
  readonly version: number;
  /** The JSON as approved (checked at proposal and again when read). */
  readonly factors: unknown;
  readonly proposalId: string;
  readonly proposedBy: string;
  readonly approvedBy: string;
  readonly approvedAt: number;
}

export async function latestLevelFactors(q: Queryable): Promise<StoredLevelFactors | undefined> {
  const row = await q.get<Record<string, unknown>>(
    `SELECT version, factors, proposal_id, proposed_by, approved_by, approved_at FROM aml_monitor_level_factors
     ORDER BY version DESC LIMIT 1`,
  );
  if (row === undefined) return undefined;
  return {
    version: toNumber(row.version),
    factors: JSON.parse(row.factors as string) as unknown,
    proposalId: row.proposal_id as string,
    proposedBy: row.proposed_by as string,
    approvedBy: row.approved_by as string,
    approvedAt: toNumber(row.approved_at),
  };
}

export async function insertLevelFactors(tx: Tx, f: StoredLevelFactors): Promise<void> {
  await tx.run(
    `INSERT INTO aml_monitor_level_factors (version, factors, proposal_id, proposed_by, approved_by, approved_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [f.version, JSON.stringify(f.factors), f.proposalId, f.proposedBy, f.approvedBy, f.approvedAt],
  );
}
