// Operations' view of payments that wait for a person: withdrawals whose bank outcome is unknown
// (no final answer past ANFU_WITHDRAWAL_OUTCOME_UNKNOWN_AFTER_MS). Operations ask the bank out of band,
// then propose `withdrawal.resolve` (paid → post, not paid → void), which a second operator approves.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { currencyOf, formatMajor } from '../../money/index.ts';
import { outcomeUnknownWithdrawals, type FundingPayment } from '../../payments/index.ts';
import type { AppContext } from '../context.ts';
import { Nullable, PageLimit, operatorSecurity, problemResponses } from '../schemas.ts';

const OutcomeUnknownView = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  cardId: Type.String(),
  amount: Type.String(),
  currency: Type.String(),
  state: Type.String(),
  statusAttempts: Type.Integer(),
  retrievalReference: Nullable(Type.String()),
  createdAt: Type.String(),
  outcomeUnknownAt: Type.String(),
});

const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();

function outcomeUnknownView(f: FundingPayment) {
  return {
    id: f.id,
    customerId: f.customerId,
    cardId: f.cardId,
    amount: formatMajor(f.amount, currencyOf(f.currency)),
    currency: f.currency,
    state: f.state,
    statusAttempts: f.statusAttempts,
    retrievalReference: f.exchange.retrievalReference,
    createdAt: iso(f.createdAt),
    outcomeUnknownAt: iso(f.outcomeUnknownAt),
  };
}

export function paymentOperationsRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/operations/withdrawals/outcome-unknown',
      {
        config: { auth: 'operator' as const, permission: 'ledger.read' as const },
        schema: {
          tags: ['payments'],
          security: operatorSecurity,
          summary:
            'Withdrawals whose bank outcome is unknown, oldest first (resolve with a withdrawal.resolve proposal)',
          querystring: Type.Object({ limit: PageLimit(200) }, { additionalProperties: false }),
          response: { 200: Type.Object({ items: Type.Array(OutcomeUnknownView) }), ...problemResponses(401, 403) },
        },
      },
      async (request) => {
        const { limit } = request.query as { limit?: string };
        const rows = await outcomeUnknownWithdrawals(context.store, limit === undefined ? 50 : Number(limit));
        return { items: rows.map(outcomeUnknownView) };
      },
    );
  };
}
