// Customer service's case kinds, given to the case system at wiring: complaints, unauthorised-payment
// claims and merchant disputes — their queue, SLA (first response in business hours; resolution by
// default 15 business days), decisions (money-moving ones under four eyes) and what a decision does.
import type { CaseKindRegistration } from '../cases/index.ts';
import type { SupportContext } from './context.ts';
import { notifyCustomer } from './context.ts';
import { notifyMerchant } from './disputes.ts';
import { supportMoney } from './money.ts';
import { disputeByCase, liftFreezes, setDisputeStatus } from './store.ts';

const hour = 3_600_000;
/** A business day of the default calendar (09:00–18:00). */
const businessDay = 9 * hour;

export function supportCaseKinds(ctx: () => SupportContext, resolutionBusinessDays = 15): CaseKindRegistration[] {
  const sla = {
    firstResponse: 4 * hour,
    update: businessDay,
    resolution: resolutionBusinessDays * businessDay,
    calendar: 'business' as const,
  };
  const work = ['administrator', 'operations', 'customer_service'] as const;
  const money = supportMoney(ctx);
  return [
    {
      definition: {
        kind: 'complaint',
        queue: 'customer_service',
        sla,
        decisions: { resolved: { fourEyes: false }, not_upheld: { fourEyes: false } },
        roles: { work: [...work], decide: [...work] },
      },
      handler: async (tx, record) => notifyCustomer(tx, record.id, 'decided', ctx().clock()),
    },
    {
      definition: {
        kind: 'unauthorised_claim',
        queue: 'customer_service',
        sla,
        decisions: { compensate: { fourEyes: true }, reject: { fourEyes: true } },
        roles: {
          work: [...work, 'risk_analyst'],
          decide: [...work, 'risk_analyst'],
          approve: ['administrator', 'operations', 'risk_analyst'],
        },
      },
      money,
      async handler(tx, record, decision) {
        const now = ctx().clock();
        await liftFreezes(tx, record.id, now);
        await notifyCustomer(tx, record.id, decision === 'compensate' ? 'compensated' : 'claim_rejected', now);
      },
    },
    {
      definition: {
        kind: 'merchant_dispute',
        queue: 'customer_service',
        sla,
        decisions: { refund_customer: { fourEyes: true }, reject: { fourEyes: false } },
        roles: { work: [...work], decide: [...work], approve: ['administrator', 'operations'] },
      },
      money,
      async handler(tx, record, decision) {
        const now = ctx().clock();
        const dispute = await disputeByCase(tx, record.id);
        if (dispute === undefined) return { ok: false, code: 'dispute_not_found' };
        const status = decision === 'refund_customer' ? 'lost' : 'won';
        if (!(await setDisputeStatus(tx, record.id, status, now))) return { ok: false, code: 'case_status_invalid' };
        await notifyMerchant(tx, { ...dispute, status }, 'dispute.closed', now);
        await notifyCustomer(
          tx,
          record.id,
          decision === 'refund_customer' ? 'dispute_refunded' : 'dispute_rejected',
          now,
        );
        return { ok: true };
      },
    },
  ];
}
