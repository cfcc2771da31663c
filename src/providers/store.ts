// SQL of the providers capability: sms_messages (migration 110).
import type { Queryable, Row, Tx } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';

export type SmsMessageState = 'queued' | 'submitted' | 'delivered' | 'failed' | 'rejected' | 'expired';
export const finalSmsStates: readonly SmsMessageState[] = ['delivered', 'failed', 'rejected', 'expired'];

export interface SmsMessageRow {
  readonly id: string;
  readonly purpose: string;
  readonly state: SmsMessageState;
  readonly maskedTo: string;
  readonly providerMessageId: string | null;
  readonly errorCode: string | null;
  readonly createdAt: number;
  /** The raw row, for revealing the sealed column. */
  readonly row: Row;
}

function rowOf(row: Row): SmsMessageRow {
  return {
    id: row.id as string,
    purpose: row.purpose as string,
    state: row.state as SmsMessageState,
    maskedTo: row.masked_to as string,
    providerMessageId: (row.provider_message_id as string | null) ?? null,
    errorCode: (row.error_code as string | null) ?? null,
    createdAt: Number(toBigInt(row.created_at)),
    row,
  };
}

export async function insertSmsMessage(
  tx: Tx,
  input: { id: string; purpose: string; sealed: Buffer; maskedTo: string; now: number },
): Promise<void> {
  await tx.run(
    `INSERT INTO sms_messages (id, purpose, state, message_sealed, masked_to, created_at)
     VALUES (?, ?, 'queued', ?, ?, ?)`,
    [input.id, input.purpose, input.sealed, input.maskedTo, input.now],
  );
}

export async function smsMessageById(db: Queryable, id: string): Promise<SmsMessageRow | undefined> {
  const row = await db.get('SELECT * FROM sms_messages WHERE id = ?', [id]);
  return row === undefined ? undefined : rowOf(row);
}

/** The gateway took it: its sealed content is no longer needed. Only from 'queued' (a receipt may come first). */
export async function markSmsSubmitted(
  db: Queryable,
  id: string,
  providerMessageId: string,
  now: number,
): Promise<number> {
  return db.run(
    `UPDATE sms_messages SET state = 'submitted', provider_message_id = ?, submitted_at = ?, message_sealed = NULL
      WHERE id = ? AND state = 'queued'`,
    [providerMessageId, now, id],
  );
}

/** A final state from any non-final one; erases the sealed content. Returns 1 when this call ended it. */
export async function finishSmsMessage(
  db: Queryable,
  id: string,
  input: { state: SmsMessageState; errorCode: string | null; providerMessageId?: string; now: number },
): Promise<number> {
  return db.run(
    `UPDATE sms_messages SET state = ?, error_code = ?, provider_message_id = COALESCE(provider_message_id, ?),
        final_at = ?, message_sealed = NULL
      WHERE id = ? AND state IN ('queued', 'submitted')`,
    [input.state, input.errorCode, input.providerMessageId ?? null, input.now, id],
  );
}

export async function smsMessageStates(
  db: Queryable,
  ids: readonly string[],
): Promise<Array<{ id: string; state: SmsMessageState }>> {
  if (ids.length === 0) return [];
  const rows = await db.all(
    `SELECT id, state FROM sms_messages WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`,
    [...ids],
  );
  return rows.map((row) => ({ id: row.id as string, state: row.state as SmsMessageState }));
}

/** Ends every message still queued since before `before` (dead-lettered or never attempted): erases its content. */
export async function expireQueuedSmsMessages(db: Queryable, before: number, now: number): Promise<number> {
  return db.run(
    `UPDATE sms_messages SET state = 'expired', error_code = 'stale', final_at = ?, message_sealed = NULL
      WHERE state = 'queued' AND created_at < ?`,
    [now, before],
  );
}
