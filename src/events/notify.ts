// Customers' notifications (payment received, refund issued …), written in the transaction of the
// change they announce and read by the wallet. They share identity's `customer_notices` table (005)
// with its security notices, so a customer has one list; it is append-only, hence no "read" flag.
// Delivery to a phone (SMS, push) goes through an outbox handler, not from here.
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Queryable, Tx } from '../store/index.ts';
import { toBigInt } from '../store/index.ts';

export const notificationMessageLengthMax = 500;
export const notificationKindPattern = /^[a-z][a-z0-9_.]{0,63}$/;

export interface Notification {
  readonly id: string;
  readonly customerId: string;
  readonly kind: string;
  readonly message: string | null;
  /** Whatever else the writer attached (identity's security notices put all their details here). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export interface NotificationInput {
  readonly customerId: string;
  readonly kind: string;
  /** Shown to the customer as is: no card numbers, no secrets. */
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export async function notify(tx: Tx, input: NotificationInput, now: number): Promise<string> {
  if (!notificationKindPattern.test(input.kind)) throw new Error(`invalid notification kind '${input.kind}'`);
  if (input.message.length === 0 || input.message.length > notificationMessageLengthMax) throw new Error(`a notification message has 1 to ${notificationMessageLengthMax} characters`);
  const id = newId('ntc', now);
  const details = JSON.stringify({ ...input.data, message: input.message });
  await tx.run('INSERT INTO customer_notices (id, customer_id, kind, details, created_at) VALUES (?, ?, ?, ?, ?)', [id, input.customerId, input.kind, details, now]);
  return id;
}

function notificationOf(row: Record<string, unknown>): Notification {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.details as string);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  } catch {
    // A writer that stored plain text: keep it as the message.
    data = { message: row.details };
  }
  const { message, ...rest } = data;
  return {
    id: row.id as string,
    customerId: row.customer_id as string,
    kind: row.kind as string,
    message: typeof message === 'string' ? message : null,
    data: rest,
    createdAt: Number(toBigInt(row.created_at)),
  };
}

/** A customer's notifications, newest first; `cursor` is the last id of the previous page. */
export async function listNotifications(db: Queryable, customerId: string, page: { cursor?: string | undefined; limit: number }): Promise<{ items: Notification[]; nextCursor: string | null }> {
  if (page.cursor !== undefined && !/^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$/.test(page.cursor)) throw new AnfuError('invalid_cursor');
  const rows = await db.all(
    `SELECT id, customer_id, kind, details, created_at FROM customer_notices
      WHERE customer_id = ? ${page.cursor === undefined ? '' : 'AND (created_at, id) < (SELECT created_at, id FROM customer_notices WHERE id = ?)'}
      ORDER BY created_at DESC, id DESC LIMIT ?`,
    [customerId, ...(page.cursor === undefined ? [] : [page.cursor]), page.limit + 1],
  );
  const items = rows.slice(0, page.limit).map(notificationOf);
  return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}
