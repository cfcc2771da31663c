// Requests for money (collect): a customer asks another for an amount; the payer approves it with a
// signed instruction (then it is paid like a transfer, src/flows/pay-collect-request.ts) or declines
// it. A pending request past its expiry reads as `expired` and can no longer be claimed.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { toBigInt, toNumber, type Queryable, type Row, type Tx } from '../store/index.ts';
import { countHit } from '../throttle/index.ts';
import { checkNote } from './customer-note.ts';
import type { PayingCustomer } from './payment-identity.ts';
import type { PaymentsContext } from './payments-context.ts';

export type CollectState = 'pending' | 'paying' | 'paid' | 'declined' | 'expired';

export interface CollectRequest {
  readonly id: string;
  readonly requesterId: string;
  readonly payerId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly note: string;
  readonly state: CollectState;
  readonly paymentId: string | null;
  readonly expiresAt: number;
  readonly createdAt: number;
}

function collectFromRow(r: Row, now: number): CollectRequest {
  const expiresAt = toNumber(r.expires_at);
  const stored = r.state as CollectState;
  return {
    id: r.id as string,
    requesterId: r.requester_id as string,
    payerId: r.payer_id as string,
    amount: toBigInt(r.amount),
    currency: r.currency as string,
    note: r.note as string,
    state: stored === 'pending' && expiresAt <= now ? 'expired' : stored,
    paymentId: (r.payment_id as string | null) ?? null,
    expiresAt,
    createdAt: toNumber(r.created_at),
  };
}

export async function collectRequestById(q: Queryable, id: string, now: number): Promise<CollectRequest | undefined> {
  const row = await q.get('SELECT * FROM collect_requests WHERE id = ?', [id]);
  return row === undefined ? undefined : collectFromRow(row, now);
}

/** Requests a customer made or received, newest first. */
export async function collectRequestsOf(
  q: Queryable,
  customerId: string,
  now: number,
  limit: number,
): Promise<CollectRequest[]> {
  const rows = await q.all(
    'SELECT * FROM collect_requests WHERE requester_id = ? OR payer_id = ? ORDER BY id DESC LIMIT ?',
    [customerId, customerId, limit],
  );
  return rows.map((r) => collectFromRow(r, now));
}

/** Audits a refused request for money (in its own transaction) and throws the refusal. */
async function refuseRequest(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  code: 'note_invalid',
  details: Record<string, unknown>,
  now: number,
): Promise<never> {
  await ctx.store.transaction((tx) =>
    appendAudit(
      tx,
      [
        {
          actorType: 'customer',
          actorId: principal.customerId,
          device: principal.deviceId,
          action: 'collect.request',
          target: null,
          outcome: 'denied',
          details: { code, ...details },
        },
      ],
      now,
    ),
  );
  throw new AnfuError(code);
}

export async function requestMoney(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  input: { payerId: string; amount: bigint; currency: string; note: string; ttlMs: number },
): Promise<CollectRequest> {
  if (input.payerId === principal.customerId) throw new AnfuError('payee_is_payer');
  if (input.amount <= 0n || input.amount > ctx.settings.amountMaxMinor) throw new AnfuError('invalid_amount');
  const now = ctx.clock();
  const note = checkNote(input.note);
  if (!note.ok) return refuseRequest(ctx, principal, 'note_invalid', { reason: note.reason }, now);
  const payer = await ctx.identity.customer(input.payerId);
  if (payer === undefined || payer.status !== 'active') throw new AnfuError('payee_not_found');
  const id = newId('col', now);
  const expiresAt = now + Math.min(Math.max(input.ttlMs, 60_000), ctx.settings.orderTtlMsMax);
  const allowed = await ctx.store.transaction(async (tx) => {
    const { hits } = await countHit(tx, `collect-request:${principal.customerId}`, 24 * 3600_000, now);
    if (hits > ctx.settings.collectRequestsPerDayMax) {
      await appendAudit(
        tx,
        [
          {
            actorType: 'customer',
            actorId: principal.customerId,
            device: principal.deviceId,
            action: 'collect.request',
            target: null,
            outcome: 'denied',
            details: { reason: 'throttled', payer: input.payerId, requestsToday: hits },
          },
        ],
        now,
      );
      return false;
    }
    await tx.run(
      "INSERT INTO collect_requests (id, requester_id, payer_id, amount, currency, note, state, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
      [id, principal.customerId, input.payerId, input.amount, input.currency, input.note, expiresAt, now],
    );
    await appendAudit(
      tx,
      [
        {
          actorType: 'customer',
          actorId: principal.customerId,
          device: principal.deviceId,
          action: 'collect.request',
          target: id,
          outcome: 'success',
          details: { payer: input.payerId, amount: input.amount.toString(), currency: input.currency },
        },
      ],
      now,
    );
    return true;
  });
  if (!allowed) throw new AnfuError('collect_request_throttled');
  const created = await collectRequestById(ctx.store, id, now);
  if (created === undefined) throw new Error('payments invariant: request for money vanished');
  return created;
}

export async function declineCollectRequest(
  ctx: PaymentsContext,
  principal: PayingCustomer,
  id: string,
): Promise<CollectRequest> {
  const now = ctx.clock();
  await ctx.store.transaction(async (tx) => {
    const changed = await tx.run(
      "UPDATE collect_requests SET state = 'declined' WHERE id = ? AND payer_id = ? AND state = 'pending' AND expires_at > ?",
      [id, principal.customerId, now],
    );
    if (changed !== 1) await refuseClaim(tx, id, principal.customerId, now);
    await appendAudit(
      tx,
      [
        {
          actorType: 'customer',
          actorId: principal.customerId,
          device: principal.deviceId,
          action: 'collect.decline',
          target: id,
          outcome: 'success',
          details: {},
        },
      ],
      now,
    );
  });
  const request = await collectRequestById(ctx.store, id, now);
  if (request === undefined) throw new Error('payments invariant: request for money vanished');
  return request;
}

/** Inside the paying transaction: pending and unexpired → paying, or a refusal. */
export async function claimCollectRequest(
  tx: Tx,
  id: string,
  payerId: string,
  paymentId: string,
  now: number,
): Promise<void> {
  const changed = await tx.run(
    "UPDATE collect_requests SET state = 'paying', payment_id = ? WHERE id = ? AND payer_id = ? AND state = 'pending' AND expires_at > ?",
    [paymentId, id, payerId, now],
  );
  if (changed !== 1) await refuseClaim(tx, id, payerId, now);
}

async function refuseClaim(tx: Tx, id: string, payerId: string, now: number): Promise<never> {
  const row = await collectRequestById(tx, id, now);
  if (row === undefined || row.payerId !== payerId) throw new AnfuError('collect_request_not_found');
  throw new AnfuError('collect_request_not_pending', `the request is ${row.state}`);
}
