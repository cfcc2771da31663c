// Merchant settlement, T+N: each merchant's balance in the partner's currency, less what arrived in the
// last N days (not yet settled funds) and less the partner's payout fee, is paid to the merchant's
// bank account (sealed at onboarding, revealed only to write the message). Each payout is a clearing
// instruction like a withdrawal, and leaves a settlement report (JSON and CSV) per merchant.
import { newId } from '../ids.ts';
import type { Queryable } from '../store/index.ts';
import { ClearingRefused, isoDate, type ClearingContext } from './context.ts';
import { requestTransferOut, type Instruction } from './instructions.ts';
import { requirePartner } from './partners.ts';

export interface SettlementOutcome {
  readonly merchantId: string;
  readonly instruction: Instruction | undefined;
  readonly gross: bigint;
  readonly fee: bigint;
  readonly net: bigint;
  readonly skipped?: 'nothing_due' | 'no_bank_account';
}

const day = 86_400_000;

async function eligibleOf(
  q: Queryable,
  accountId: string,
  cutoff: number,
): Promise<{ balance: bigint; recent: bigint; payments: number }> {
  const account = await q.get<{ credits_posted: unknown; debits_posted: unknown; debits_pending: unknown }>(
    'SELECT credits_posted, debits_posted, debits_pending FROM ledger_accounts WHERE id = ?',
    [accountId],
  );
  const recent = await q.get<{ total: unknown }>(
    "SELECT COALESCE(SUM(amount), 0) AS total FROM ledger_transfers WHERE credit_account_id = ? AND " +
      "created_at > ? AND kind IN ('single', 'post')",
    [accountId, cutoff],
  );
  const count = await q.get<{ n: unknown }>(
    "SELECT COUNT(*) AS n FROM ledger_transfers WHERE credit_account_id = ? AND created_at <= ? AND kind " +
      "IN ('single', 'post')",
    [accountId, cutoff],
  );
  const balance =
    BigInt((account?.credits_posted ?? 0) as bigint) -
    BigInt((account?.debits_posted ?? 0) as bigint) -
    BigInt((account?.debits_pending ?? 0) as bigint);
  return { balance, recent: BigInt((recent?.total ?? 0) as bigint), payments: Number(count?.n ?? 0) };
}

/** Pays out every merchant with settled funds in the partner's currency; idempotent per merchant and day. */
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
  const outcomes: SettlementOutcome[] = [];
  for (const a of accounts) {
    const { balance, recent, payments } = await eligibleOf(ctx.store, a.id, cutoff);
    const gross = balance - recent;
    const fee = partner.feePerInstruction;
    const net = gross - fee;
    if (net <= 0n) {
      outcomes.push({ merchantId: a.owner_id, instruction: undefined, gross, fee, net, skipped: 'nothing_due' });
      continue;
    }
    const bankAccount = await ctx.merchantAccount(a.owner_id);
    if (bankAccount === undefined) {
      outcomes.push({ merchantId: a.owner_id, instruction: undefined, gross, fee, net, skipped: 'no_bank_account' });
      continue;
    }
    const instruction = await requestTransferOut(ctx, {
      kind: 'merchant_settlement',
      partnerId,
      ownerId: a.owner_id,
      sourceAccountId: a.id,
      amount: net,
      fee,
      creditorName: a.name,
      creditorAccount: bankAccount,
      creditorAgent: 'NOTPROVIDED',
      key: `settle:${a.owner_id}:${partner.currency}:${isoDate(now)}`,
      actorId,
    });
    await ctx.store.run(
      `INSERT INTO settlement_reports (id, merchant_id, instruction_id, currency, gross, fee, net, payments,
        period_end, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM settlement_reports WHERE instruction_id
         = ?)`,
      [
        newId('srp', now),
        a.owner_id,
        instruction.id,
        partner.currency,
        gross,
        fee,
        net,
        payments,
        cutoff,
        now,
        instruction.id,
      ],
    );
    outcomes.push({ merchantId: a.owner_id, instruction, gross, fee, net });
  }
  return outcomes;
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
