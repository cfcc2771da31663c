// Maker–checker kind `reconciliation.resolve_break`: one operator proposes correcting a break, a second
// (both in password + TOTP sessions) approves, and only then the adjustment posts (idempotent on the
// break) and the break closes. The case system's `post_adjustment` decision calls the same resolution.
import type { ProposalExecutor } from '../access/index.ts';
import type { Ledger } from '../ledger/index.ts';
import { requirePartner } from '../clearing/index.ts';
import { breakById, resolveBreak } from './breaks.ts';

export function breakResolutionExecutor(
  ledger: Ledger,
  clock: () => number = Date.now,
): ProposalExecutor<{ breakId: string }> {
  return {
    kind: 'reconciliation.resolve_break',
    proposerRoles: ['operations', 'administrator'],
    approverRoles: ['operations', 'administrator'],
    proposerNeedsSession: true,
    parse(payload) {
      const p = payload as { breakId?: unknown } | null;
      if (
        typeof p !== 'object' ||
        p === null ||
        Object.keys(p).length !== 1 ||
        typeof p.breakId !== 'string' ||
        !/^rbk_[0-9a-z]{26}$/.test(p.breakId)
      )
        return undefined;
      return { breakId: p.breakId };
    },
    async check(q, payload) {
      const b = await breakById(q, payload.breakId);
      return b === undefined || b.state !== 'open' ? 'proposal_payload_invalid' : undefined;
    },
    async outside(payload, proposal) {
      const outcome = await resolveBreak(
        ledger.store,
        ledger,
        (id) => requirePartner(ledger.store, id),
        payload.breakId,
        `proposal:${proposal.id}`,
        clock(),
      );
      return outcome.ok
        ? { ok: true, result: { adjustmentSeq: outcome.seq?.toString() ?? null } }
        : { ok: false, code: outcome.code };
    },
  };
}
