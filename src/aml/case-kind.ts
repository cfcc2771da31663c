// The `aml_alert` case kind: an analyst reviews what a monitor raised, then clears it or decides to
// report it to the China Anti-Money Laundering Monitoring and Analysis Center — the latter under four
// eyes, and the suspicious-transaction report is then exported from the case (export-suspicious-report.ts).
// Either decision re-rates the customer's money-laundering risk in the transaction that decides the case.
import type { CaseDecisionHandler, CaseKindRegistration } from '../cases/index.ts';
import { rateCustomer } from './rate-customer.ts';

const hourMs = 3600_000;
const businessDayMs = 9 * hourMs;

const rerateOnDecision: CaseDecisionHandler = async (tx, record, decision, _actor, now) => {
  if (record.customerId !== null && record.customerId.startsWith('cus_'))
    await rateCustomer(tx, record.customerId, 'aml_case_decided', now, { decidingCase: { id: record.id, decision } });
  return { ok: true };
};

export const amlAlertKind: CaseKindRegistration = {
  handler: rerateOnDecision,
  definition: {
    kind: 'aml_alert',
    queue: 'compliance',
    // PBOC wants a suspicion reported promptly once established; the house target is 5 business days.
    sla: { firstResponse: businessDayMs, resolution: 5 * businessDayMs, calendar: 'business' },
    decisions: {
      cleared: { fourEyes: false },
      report_suspicious: { fourEyes: true },
    },
    roles: { work: ['risk_analyst', 'administrator'], decide: ['risk_analyst', 'administrator'] },
  },
};
