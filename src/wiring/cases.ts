// The case system of one app: each capability's case kinds (definition + decision handler) listed
// here, the business calendar from the configuration, the `case.decide` executor, the SLA breach
// sweep (one process at a time, under a lease) and the backlog/breach gauges on /metrics.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Gauge } from 'prom-client';
import type { ProposalRegistry } from '../access/index.ts';
import {
  caseCounts,
  caseDecisionExecutor,
  checkCalendar,
  createCases,
  sweepCaseSla,
  type CaseKindRegistration,
  type CasesContext,
} from '../cases/index.ts';
import type { Config } from '../config.ts';
import { riskReviewHandler, riskReviewKind } from '../risk/index.ts';
import { amlAlertKind } from '../aml/index.ts';
import { sanctionsHitKind } from '../sanctions/index.ts';
import type { Metrics } from '../http/metrics.ts';
import type { Store } from '../store/index.ts';
import type { PaymentsContext } from '../payments/index.ts';
import { riskReviewCaseKind } from '../flows/review-hold-case.ts';
import { reconciliationCaseKind } from '../reconciliation/index.ts';
import { clearingHoldKind } from '../clearing/index.ts';

/**
 * Every capability's case kinds. Add yours here (one line): risk, aml, clearing, support … With the
 * payments context, a risk review's decisions also move the money of the payment it holds.
 */
export function caseKindRegistrations(
  clock: () => number = Date.now,
  payments?: PaymentsContext,
): CaseKindRegistration[] {
  const risk = payments === undefined
    ? { definition: riskReviewKind, handler: riskReviewHandler(clock) }
    : riskReviewCaseKind(payments);
  return [risk, sanctionsHitKind, amlAlertKind, reconciliationCaseKind(), clearingHoldKind];
}

const sweepMs = 60_000;

export function wireCases(parts: {
  readonly config: Config;
  readonly store: Store;
  readonly clock: () => number;
  readonly registry: ProposalRegistry;
  readonly metrics: Metrics;
  readonly kinds: readonly CaseKindRegistration[];
  readonly onError?: (error: unknown) => void;
  /** Stops other background work tied to the cases (customer service's debt recovery). */
  readonly onClose?: () => void;
}): CasesContext {
  const calendar = parts.config.casesCalendar;
  checkCalendar(calendar);
  const sweep: { timer?: NodeJS.Timeout } = {};
  const cases = createCases({
    store: parts.store,
    clock: parts.clock,
    kinds: parts.kinds,
    proposalTtlMs: parts.config.proposalTtlMs,
    calendar,
    onClose: () => {
      clearInterval(sweep.timer);
      parts.onClose?.();
    },
  });
  parts.registry.register(caseDecisionExecutor(cases));
  new Gauge({
    name: 'anfu_cases',
    help: 'Cases by kind and status, and how many of them breached an SLA clock',
    labelNames: ['kind', 'status', 'breached'] as const,
    registers: [parts.metrics.registry],
    async collect() {
      this.reset();
      for (const row of await caseCounts(parts.store)) {
        this.set({ kind: row.kind, status: row.status, breached: 'false' }, row.count - row.breached);
        this.set({ kind: row.kind, status: row.status, breached: 'true' }, row.breached);
      }
    },
  });
  const holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  sweep.timer = setInterval(() => {
    sweepCaseSla(cases, { holder, leaseMs: sweepMs * 2 }).catch((error: unknown) => parts.onError?.(error));
  }, sweepMs);
  sweep.timer.unref();
  return cases;
}
