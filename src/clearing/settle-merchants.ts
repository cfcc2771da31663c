// Merchant settlement, T+N: each merchant's balance in the partner's currency, less what arrived in the
// last N days (not yet settled funds) and less the partner's payout fee, is paid to the merchant's
// bank account (sealed at onboarding, revealed only to write the message). Each payout is a clearing
// instruction like a withdrawal, and leaves a settlement report (JSON and CSV) per merchant. A merchant
// frozen by a sanctions hit is not paid: its payout is held (`skipped: 'sanctions_freeze'`, audited
// `clearing.settlement_held`) and the money stays in its merchant account until the case is decided.
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import { accountSideSource } from '../ledger/index.ts';
import { frozenMerchants } from '../sanctions/index.ts';
import type { Queryable, Store, Tx } from '../store/index.ts';
import { ClearingRefused, isoDate, withinLedger, type ClearingContext } from './context.ts';
import {
  instructionById, prepareTransferOut, writeTransferOut, type Instruction, type PreparedTransferOut,
} from './instructions.ts';
import { requirePartner, type Partner } from './partners.ts';

export interface SettlementOutcome {
  readonly merchantId: string;
  readonly instruction: Instruction | undefined;
  readonly gross: bigint;
  readonly fee: bigint;
  readonly net: bigint;
  /** Why nothing was paid: nothing settled is due, no bank account, or a sanctions freeze holds the payout. */
  readonly skipped?: 'nothing_due' | 'no_bank_account' | 'sanctions_freeze';
}

const day = 86_400_000;

async function eligibleOf(
  store: Store,
  accountId: string,
  cutoff: number,
): Promise<{ balance: bigint; recent: bigint; payments: number }> {
  const account = await store.get<{ credits_posted: unknown; debits_posted: unknown; debits_pending: unknown }>(
    'SELECT credits_posted, debits_posted, debits_pending FROM ledger_accounts WHERE id = ?',
    [accountId],
  );
  const credits = accountSideSource(store.dialect, 'credit');
  const recent = await store.get<{ total: unknown }>(
    `SELECT COALESCE(SUM(amount), 0) AS total FROM ${credits} l WHERE created_at > ? AND kind IN ('single', 'post')`,
    [accountId, cutoff],
  );
  const count = await store.get<{ n: unknown }>(
    `SELECT COUNT(*) AS n FROM ${credits} l WHERE created_at <= ? AND kind IN ('single', 'post')`,
    [accountId, cutoff],
  );
  const balance =
    BigInt((account?.credits_posted ?? 0) as bigint) -
    BigInt((account?.debits_posted ?? 0) as bigint) -
    BigInt((account?.debits_pending ?? 0) as bigint);
  return { balance, recent: BigInt((recent?.total ?? 0) as bigint), payments: Number(count?.n ?? 0) };
}

interface Due {
  readonly outcome: SettlementOutcome;
  readonly prepared?: PreparedTransferOut;
  readonly payments: number;
}

/** What one merchant is due, checked and sealed (reads only). */
async function dueOf(
  ctx: ClearingContext, partner: Partner, a: { id: string; owner_id: string; name: string }, cutoff: number,
  actorId: string, frozen: boolean,
): Promise<Due> {
  const { balance, recent, payments } = await eligibleOf(ctx.store, a.id, cutoff);
  const gross = balance - recent;
  const fee = partner.feePerInstruction;
  const net = gross - fee;
  const base = { merchantId: a.owner_id, instruction: undefined, gross, fee, net };
  if (net <= 0n) return { outcome: { ...base, skipped: 'nothing_due' }, payments };
  if (frozen) return { outcome: { ...base, skipped: 'sanctions_freeze' }, payments };
  const bankAccount = await ctx.merchantAccount(a.owner_id);
  if (bankAccount === undefined) return { outcome: { ...base, skipped: 'no_bank_account' }, payments };
  const prepared = await prepareTransferOut(ctx, {
    kind: 'merchant_settlement', partnerId: partner.id, ownerId: a.owner_id, sourceAccountId: a.id,
    amount: net, fee, creditorName: a.name, creditorAccount: bankAccount, creditorAgent: 'NOTPROVIDED',
    key: `settle:${a.owner_id}:${partner.currency}:${isoDate(ctx.clock())}`, actorId,
  });
  if (!('input' in prepared)) return { outcome: { ...base, instruction: prepared }, payments };
  return { outcome: base, prepared, payments };
}

/**
 * A payout due to a frozen merchant is held, audited once per run and merchant. The freezes are read
 * again in the run's transaction: a merchant frozen after its payout was prepared is held too.
 */
async function holdFrozen(
  tx: Tx, dues: readonly Due[], partner: Partner, actorId: string, now: number,
): Promise<Set<string>> {
  const frozen = await frozenMerchants(tx);
  const held = new Set<string>();
  for (const d of dues) {
    const o = d.outcome;
    if (o.skipped !== 'sanctions_freeze' && (d.prepared === undefined || !frozen.has(o.merchantId))) continue;
    held.add(o.merchantId);
    const details = {
      partnerId: partner.id, currency: partner.currency, gross: o.gross.toString(), reason: 'sanctions_freeze',
    };
    const actorType = actorId.startsWith('system:') ? ('system' as const) : ('operator' as const);
    await appendAudit(
      tx,
      [{ actorType, actorId, action: 'clearing.settlement_held', target: o.merchantId, outcome: 'denied', details }],
      now,
    );
  }
  return held;
}

/**
 * Pays out every merchant with settled funds in the partner's currency; idempotent per merchant and day.
 * All payouts of a run, their reservations and reports are written in one transaction: a refusal for any
 * merchant leaves none paid. A frozen merchant's payout is held (holdFrozen) while the others are paid.
 */
export async function settleMerchants(
  ctx: ClearingContext,
  partnerId: string,
  actorId = 'system:settlement',
): Promise<SettlementOutcome[]> {
  const partner = await requirePartner(ctx.store, partnerId);
  const now = ctx.clock();
  const cutoff = now - partner.settlementDays * day;
  const accounts = await ctx.store.all<{ id: string; owner_id: string; name: string }>(
    "SELECT a.id, a.owner_id, m.name FROM ledger_accounts a JOIN merchants m ON m.id = a.owner_id WHERE " +
      "a.kind = 'merchant' AND a.currency = ? ORDER BY a.id",
    [partner.currency],
  );
  const frozen = await frozenMerchants(ctx.store);
  const dues: Due[] = [];
  for (const a of accounts) dues.push(await dueOf(ctx, partner, a, cutoff, actorId, frozen.has(a.owner_id)));
  const held = await withinLedger(ctx.store, async (tx, ledgerTx) => {
    const heldInRun = await holdFrozen(tx, dues, partner, actorId, now);
    for (const d of dues) {
      if (d.prepared === undefined || heldInRun.has(d.outcome.merchantId)) continue;
      await writeTransferOut(ctx, tx, ledgerTx, d.prepared, now);
      const o = d.outcome;
      await tx.run(
        `INSERT INTO settlement_reports (id, merchant_id, instruction_id, currency, gross, fee, net, payments,
          period_end, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [newId('srp', now), o.merchantId, d.prepared.id, partner.currency, o.gross, o.fee, o.net, d.payments, cutoff,
          now],
      );
    }
    return heldInRun;
  });
  const out: SettlementOutcome[] = [];
  for (const d of dues) {
    if (held.has(d.outcome.merchantId)) {
      out.push({ ...d.outcome, instruction: undefined, skipped: 'sanctions_freeze' });
      continue;
    }
    const written = d.prepared === undefined ? undefined : await instructionById(ctx.store, d.prepared.id);
    out.push({ ...d.outcome, instruction: written ?? d.outcome.instruction });
  }
  return out;
}

export interface SettlementReportRow {
  readonly reportId: string;
  readonly instructionId: string;
  readonly currency: string;
  readonly gross: string;
  readonly fee: string;
  readonly net: string;
  readonly payments: number;
  readonly periodEnd: string;
  readonly state: string;
  readonly createdAt: string;
}

/** A merchant's settlements, as JSON rows or CSV (amounts in minor units). */
export async function settlementReport(
  q: Queryable,
  merchantId: string,
  format: 'json' | 'csv',
): Promise<SettlementReportRow[] | string> {
  if (!/^[a-z]{2,8}_[0-9a-z]{26}$/.test(merchantId))
    throw new ClearingRefused('clearing_instruction_invalid', 'not a merchant id');
  const rows = await q.all(
    `SELECT r.id, r.instruction_id, r.currency, r.gross, r.fee, r.net, r.payments, r.period_end, r.created_at, i.state
       FROM settlement_reports r JOIN clearing_instructions i ON i.id = r.instruction_id WHERE r.merchant_id = ?
         ORDER BY r.created_at, r.id`,
    [merchantId],
  );
  const out: SettlementReportRow[] = rows.map((r) => ({
    reportId: r.id as string,
    instructionId: r.instruction_id as string,
    currency: r.currency as string,
    gross: String(r.gross),
    fee: String(r.fee),
    net: String(r.net),
    payments: Number(r.payments),
    periodEnd: new Date(Number(r.period_end)).toISOString(),
    state: r.state as string,
    createdAt: new Date(Number(r.created_at)).toISOString(),
  }));
  if (format === 'json') return out;
  const header =
    'report_id,instruction_id,currency,gross_minor,fee_minor,net_minor,payments,period_end,state,created_at';
  return (
    [
      header,
      ...out.map((r) =>
        [
          r.reportId,
          r.instructionId,
          r.currency,
          r.gross,
          r.fee,
          r.net,
          r.payments,
          r.periodEnd,
          r.state,
          r.createdAt,
        ].join(','),
      ),
    ].join('\n') + '\n'
  );
}
