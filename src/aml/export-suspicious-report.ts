// The suspicious-transaction report (可疑交易报告) exported from an AML or sanctions case: who, which
// movements, what pattern or list entry raised it, what the analysts wrote and decided, and when —
// the elements an analyst files with the China Anti-Money Laundering Monitoring and Analysis Center.
// Names are not written (the filing officer adds the identity from the sealed customer record). The
// customer's money-laundering risk rating in force at export is included with its factors.
import { appendAudit } from '../audit/index.ts';
import { caseEvidenceOf, caseNotesOf, caseTimeline, getCase } from '../cases/index.ts';
import { AnfuError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { storedRating } from './customer-rating-store.ts';
import type { RatingFactor, RiskLevel } from './customer-risk-rating.ts';
import { cstTime } from './report-day.ts';
import { movementsByIds } from './settled-money.ts';

export interface SuspiciousReport {
  readonly reportKind: 'suspicious_transaction';
  readonly caseId: string;
  readonly caseKind: string;
  readonly openedAt: string;
  readonly subject: { readonly type: string; readonly id: string };
  readonly customerId: string | null;
  readonly customerRiskRating: {
    readonly level: RiskLevel;
    readonly score: number;
    readonly factors: readonly RatingFactor[];
    readonly ratedAt: string;
  } | null;
  readonly characteristics: Record<string, unknown>;
  readonly decision: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  readonly transactions: ReadonlyArray<Record<string, string>>;
  readonly listEntries: readonly string[];
  readonly analysis: ReadonlyArray<{ readonly at: string; readonly by: string; readonly text: string }>;
  readonly timeline: ReadonlyArray<{ readonly at: string; readonly type: string; readonly actor: string }>;
  readonly exportedAt: string;
  readonly exportedBy: string;
}

const reportable = new Set(['aml_alert', 'sanctions_hit']);

export async function exportSuspiciousReport(
  store: Store,
  caseId: string,
  exportedBy: string,
  now: number,
): Promise<SuspiciousReport> {
  const found = await getCase(store, caseId);
  if (found === undefined || !reportable.has(found.kind)) throw new AnfuError('aml_case_not_reportable');
  const evidence = await caseEvidenceOf(store, caseId);
  const movements = await movementsByIds(
    store,
    evidence.filter((e) => e.type === 'payment').map((e) => e.ref),
  );
  const rating = found.customerId === null ? undefined : await storedRating(store, found.customerId);
  const report: SuspiciousReport = {
    reportKind: 'suspicious_transaction',
    caseId,
    caseKind: found.kind,
    openedAt: cstTime(found.createdAt),
    subject: found.subject,
    customerId: found.customerId,
    customerRiskRating:
      rating === undefined
        ? null
        : { level: rating.level, score: rating.score, factors: rating.factors, ratedAt: cstTime(rating.ratedAt) },
    characteristics: found.details,
    decision: found.decision,
    decidedBy: found.decidedBy,
    decidedAt: found.decidedAt === null ? null : cstTime(found.decidedAt),
    transactions: movements.map((m) => ({
      id: m.id,
      kind: m.kind,
      time: cstTime(m.at),
      payer: m.payerId,
      payerType: m.payerType,
      payee: m.payeeId,
      payeeType: m.payeeType,
      amountMinor: m.amount.toString(),
      currency: m.currency,
      device: m.deviceId ?? '',
    })),
    listEntries: evidence.filter((e) => e.type === 'list_entry').map((e) => e.ref),
    analysis: (await caseNotesOf(store, caseId)).map((n) => ({ at: cstTime(n.at), by: n.author, text: n.body })),
    timeline: (await caseTimeline(store, caseId)).map((e) => ({ at: cstTime(e.at), type: e.type, actor: e.actor })),
    exportedAt: cstTime(now),
    exportedBy,
  };
  await store.transaction((tx) =>
    appendAudit(
      tx,
      [
        {
          actorType: 'operator',
          actorId: exportedBy,
          action: 'aml.report.suspicious',
          target: caseId,
          outcome: 'success',
          details: { transactions: report.transactions.length, decision: report.decision },
        },
      ],
      now,
    ),
  );
  return report;
}
