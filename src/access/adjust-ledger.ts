// Maker–checker kind `ledger.adjustment`: a manual correction is an ordinary transfer between a
// suspense account and another account, proposed by one operator and posted when another approves.
// The proposal id is the idempotency key, so however often execution is retried it posts once.
// This is the only way an operator moves money in or out of a customer's or merchant's account
// (src/access/platform-accounts.ts): maker and checker both in interactive sessions.
import type { Ledger } from '../ledger/index.ts';
import { parseMajor } from '../money/index.ts';
import type { ProposalExecutor } from './approvals.ts';

export interface Adjustment {
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** Minor units, as a decimal string (JSON has no bigint). */
  readonly amountMinor: string;
  readonly currency: string;
  readonly reference: string;
}

const accountIdPattern = /^acc_[0-9a-z]{26}$/;

function parseAdjustment(payload: unknown, amountMaxMinor: bigint): Adjustment | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  const allowed = new Set(['debitAccountId', 'creditAccountId', 'amount', 'amountMinor', 'currency', 'reference']);
  if (Object.keys(p).some((key) => !allowed.has(key))) return undefined;
  const { debitAccountId, creditAccountId, currency, reference } = p;
  if (typeof debitAccountId !== 'string' || typeof creditAccountId !== 'string' || !accountIdPattern.test(debitAccountId) || !accountIdPattern.test(creditAccountId)) return undefined;
  if (debitAccountId === creditAccountId || typeof currency !== 'string' || typeof reference !== 'string' || reference.length < 1 || reference.length > 140) return undefined;
  try {
    // Proposed in major units ("12.34"); stored normalised in minor units so the approver sees exactly what posts.
    const minor = typeof p.amountMinor === 'string' && /^[1-9][0-9]{0,17}$/.test(p.amountMinor) ? BigInt(p.amountMinor) : parseMajor(String(p.amount), currency, { maxMinor: amountMaxMinor }).minor;
    if (minor <= 0n || minor > amountMaxMinor) return undefined;
    return { debitAccountId, creditAccountId, amountMinor: minor.toString(), currency, reference };
  } catch {
    return undefined;
  }
}

export function ledgerAdjustment(ledger: Ledger, amountMaxMinor: bigint): ProposalExecutor<Adjustment> {
  return {
    kind: 'ledger.adjustment',
    proposerRoles: ['operations', 'administrator'],
    approverRoles: ['operations', 'administrator'],
    // Money in a customer's or merchant's account moves by hand only with two people who passed MFA.
    proposerNeedsSession: true,
    parse: (payload) => parseAdjustment(payload, amountMaxMinor),
    async check(_q, adjustment) {
      const [debit, credit] = await Promise.all([ledger.account(adjustment.debitAccountId), ledger.account(adjustment.creditAccountId)]);
      if (debit === undefined || credit === undefined) return 'proposal_payload_invalid';
      // Manual money movement always goes through suspense, so every correction stays visible there.
      if (debit.kind !== 'suspense' && credit.kind !== 'suspense') return 'proposal_payload_invalid';
      return undefined;
    },
    async outside(adjustment, proposal) {
      const outcome = await ledger.submit({
        kind: 'single', key: `proposal:${proposal.id}`, debitAccountId: adjustment.debitAccountId, creditAccountId: adjustment.creditAccountId,
        amount: BigInt(adjustment.amountMinor), currency: adjustment.currency, reference: adjustment.reference,
      });
      if (!outcome.ok) return { ok: false, code: outcome.code, detail: outcome.detail };
      return { ok: true, result: { transferSeq: outcome.transfer.seq.toString() } };
    },
  };
}
