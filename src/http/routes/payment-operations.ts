// Operations' view of payments: every payment (newest first) and one payment's timeline (its state
// transitions, the journal entries that carry its id and, for a role that may read the audit log, its
// audit entries); and withdrawals whose bank outcome is unknown (no final answer past
// ANFU_WITHDRAWAL_OUTCOME_UNKNOWN_AFTER_MS): operations ask the bank out of band, then propose
// `withdrawal.resolve` (paid → post, not paid → void), which a second operator approves.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { currencyOf, formatMajor } from '../../money/index.ts';
import { roleHolds } from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import { searchEntries } from '../../audit/index.ts';
import {
  listPayments,
  outcomeUnknownWithdrawals,
  paymentById,
  paymentStates,
  transitionsOf,
  type FundingPayment,
  type PaymentKind,
  type PaymentState,
} from '../../payments/index.ts';
import type { AppContext } from '../context.ts';
import { Id, Nullable, PageLimit, operatorSecurity, problemResponses } from '../schemas.ts';
import { EntryView, entryView } from './audit.ts';
import { TransferView, transferView } from './ledger-views.ts';
import { PaymentPage, PaymentView, paymentView } from './payment-views.ts';

/** A timeline shows at most this many journal entries and audit entries of one payment. */
const timelineEntriesMax = 200;
const read = { auth: 'operator' as const, permission: 'ledger.read' as const };
const TimelineView = Type.Object({
  payment: PaymentView,
  ledger: Type.Array(TransferView),
  audit: Nullable(Type.Array(EntryView, { description: 'null when the role may not read the audit log' })),
});

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

function operatorPaymentRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/operations/payments',
      {
        config: read,
        schema: {
          tags: ['payments'],
          security: operatorSecurity,
          summary: 'Every payment, newest first, by state, kind or party (payer or payee)',
          querystring: Type.Object(
            {
              state: Type.Optional(Type.String({ enum: [...paymentStates] })),
              kind: Type.Optional(Type.String({ enum: ['transfer', 'order_payment', 'collect_payment'] })),
              party: Type.Optional(Type.String({ maxLength: 64 })),
              cursor: Type.Optional(Id('pay', 'the previous nextCursor')),
              limit: PageLimit(200),
            },
            { additionalProperties: false },
          ),
          response: { 200: PaymentPage, ...problemResponses(400, 401, 403) },
        },
      },
      async (request) => {
        type Query = { state?: PaymentState; kind?: PaymentKind; party?: string; cursor?: string; limit?: string };
        const q = request.query as Query;
        const limit = q.limit === undefined ? 50 : Number(q.limit);
        const filter = { state: q.state, kind: q.kind, partyId: q.party, before: q.cursor, limit };
        const rows = await listPayments(context.store, filter);
        const items = rows.slice(0, limit);
        const last = items.at(-1);
        return { items: items.map((p) => paymentView(p)), nextCursor: rows.length > limit && last ? last.id : null };
      },
    );

    app.get(
      '/operations/payments/:paymentId',
      {
        config: read,
        schema: {
          tags: ['payments'],
          security: operatorSecurity,
          summary: "A payment's timeline: its transitions, its journal entries and its audit entries",
          params: Type.Object({ paymentId: Id('pay') }),
          response: { 200: TimelineView, ...problemResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const id = (request.params as { paymentId: string }).paymentId;
        const payment = await paymentById(context.store, id);
        if (payment === undefined) throw new AnfuError('payment_not_found');
        const mayReadAudit = request.principal !== undefined && roleHolds(request.principal.role, 'audit.read');
        const audit = mayReadAudit
          ? (await searchEntries(context.store, { target: id }, { limit: timelineEntriesMax })).items.map(entryView)
          : null;
        return {
          payment: paymentView(payment, await transitionsOf(context.store, id)),
          ledger: (await context.ledger.transfersByReference(id, timelineEntriesMax)).map(transferView),
          audit,
        };
      },
    );
  };
}

export function paymentOperationsRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    await app.register(operatorPaymentRoutes(context));
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
