// Listing clearing batches for operators: newest first, one page at a time (keyset on the time-ordered
// id, so a page never shifts when a run locks a new batch), by partner and state; and the instructions
// one batch carries.
import type { Param, Queryable } from '../store/index.ts';
import { instructionColumns, instructionOf, type Instruction } from './instructions.ts';
import { batchColumns, batchOf, type Batch } from './run.ts';

export interface BatchFilter {
  readonly partnerId?: string | undefined;
  readonly state?: Batch['state'] | undefined;
  /** The id of the last batch of the previous page: this page holds older ones. */
  readonly before?: string | undefined;
  readonly limit: number;
}

/** Up to `limit + 1` batches, so the caller knows whether another page follows. */
export async function listBatches(q: Queryable, filter: BatchFilter): Promise<Batch[]> {
  const where: string[] = [];
  const params: Param[] = [];
  if (filter.partnerId !== undefined) {
    where.push('partner_id = ?');
    params.push(filter.partnerId);
  }
  if (filter.state !== undefined) {
    where.push('state = ?');
    params.push(filter.state);
  }
  if (filter.before !== undefined) {
    where.push('id < ?');
    params.push(filter.before);
  }
  const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  const rows = await q.all(
    `SELECT ${batchColumns} FROM clearing_batches ${clause} ORDER BY id DESC LIMIT ?`, [...params, filter.limit + 1],
  );
  return rows.map(batchOf);
}

/** The instructions locked into a batch, oldest first. */
export async function batchInstructions(q: Queryable, batchId: string): Promise<Instruction[]> {
  const rows = await q.all(
    `SELECT ${instructionColumns} FROM clearing_instructions WHERE batch_id = ? ORDER BY id`, [batchId],
  );
  return rows.map(instructionOf);
}
