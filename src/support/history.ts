// The customer's history at hand for the service operator working a ticket, masked: their earlier
// tickets (category, status) and recent payments (kind, state, amount, direction, the counterparty's
// id shortened to its prefix and last four characters) — enough to see a pattern, no personal data.
import { listPayments } from '../payments/index.ts';
import { getCase } from '../cases/index.ts';
import type { SupportContext } from './context.ts';
import { ticketsOf } from './store.ts';

export interface CustomerHistory {
  readonly tickets: readonly { id: string; category: string; status: string; createdAt: number }[];
  readonly payments: readonly {
    id: string;
    kind: string;
    state: string;
    amountMinor: string;
    currency: string;
    direction: 'out' | 'in';
    counterparty: string;
    createdAt: number;
  }[];
}

export const maskedId = (id: string) => `${id.slice(0, 4)}…${id.slice(-4)}`;

export async function customerHistory(ctx: SupportContext, customerId: string): Promise<CustomerHistory> {
  const tickets = [];
  for (const ticket of await ticketsOf(ctx.store, customerId, 20)) {
    const record = await getCase(ctx.store, ticket.caseId);
    tickets.push({
      id: ticket.caseId,
      category: ticket.category,
      status: record?.status ?? 'open',
      createdAt: ticket.createdAt,
    });
  }
  const payments = (await listPayments(ctx.store, { partyId: customerId, limit: 20 })).map((p) => {
    const out = p.payerId === customerId;
    return {
      id: p.id,
      kind: p.kind,
      state: p.state,
      amountMinor: p.amount.toString(),
      currency: p.currency,
      direction: out ? ('out' as const) : ('in' as const),
      counterparty: maskedId(out ? p.payeeId : p.payerId),
      createdAt: p.createdAt,
    };
  });
  return { tickets, payments };
}
