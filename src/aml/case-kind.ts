// The `aml_alert` case kind: an analyst reviews what a monitor raised, then clears it or decides to
// report it to the China Anti-Money Laundering Monitoring and Analysis Center — the latter under four
// eyes, and the suspicious-transaction report is then exported from the case (export-suspicious-report.ts).
import type { CaseKindRegistration } from '../cases/index.ts';

const hourMs = 3600_000;
const businessDayMs = 9 * hourMs;

export const amlAlertKind: CaseKindRegistration = {
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
