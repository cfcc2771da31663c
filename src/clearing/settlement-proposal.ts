// Maker–checker kind `clearing.settle_merchants`: a merchant settlement run from the operator API. Paying
// out every merchant's settled balance moves real money to bank accounts, so one operations officer
// proposes the run for a partner and a second, in a password + TOTP session, approves; only then are the
// payouts created (all in one transaction, idempotent per merchant and day, see settle-merchants.ts).
import type { ProposalExecutor } from '../access/index.ts';
import { AnfuError } from '../errors.ts';
import type { ClearingContext } from './context.ts';
import { settleMerchants } from './settle-merchants.ts';

const roles = ['operations', 'administrator'] as const;

export function settleMerchantsExecutor(ctx: ClearingContext): ProposalExecutor<{ partnerId: string }> {
  return {
    kind: 'clearing.settle_merchants',
    proposerRoles: roles,
    approverRoles: roles,
    proposerNeedsSession: true,
    parse(payload) {
      const p = payload as { partnerId?: unknown } | null;
      if (typeof p !== 'object' || p === null || Object.keys(p).length !== 1) return undefined;
      if (typeof p.partnerId !== 'string' || !/^ptn_[0-9a-z]{26}$/.test(p.partnerId)) return undefined;
      return { partnerId: p.partnerId };
    },
    async check(q, payload) {
      const found = await q.get<{ status: string }>('SELECT status FROM clearing_partners WHERE id = ?', [
        payload.partnerId,
      ]);
      return found?.status === 'active' ? undefined : 'proposal_payload_invalid';
    },
    async outside(payload, proposal) {
      try {
        const outcomes = await settleMerchants(ctx, payload.partnerId, `proposal:${proposal.id}`);
        const paid = outcomes.filter((o) => o.instruction !== undefined);
        return {
          ok: true,
          result: {
            partnerId: payload.partnerId,
            instructions: paid.map((o) => o.instruction?.id),
            net: paid.reduce((sum, o) => sum + o.net, 0n).toString(),
            skipped: outcomes.length - paid.length,
            // Held by a sanctions freeze: the money stays in the merchant's account until the case is decided.
            held: outcomes
              .filter((o) => o.skipped === 'sanctions_freeze')
              .map((o) => ({ merchantId: o.merchantId, gross: o.gross.toString(), reason: 'sanctions_freeze' })),
          },
        };
      } catch (error) {
        if (error instanceof AnfuError) return { ok: false, code: error.code, detail: error.detail };
        throw error;
      }
    },
  };
}
