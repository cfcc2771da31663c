// Risk reviews in the shared case system (src/cases): a decision of `review` opens one `risk_review`
// case (deduplicated by the decision) with the payment, device and decision as evidence, in the same
// transaction that stores the decision. A reviewed payment is held (payments/review-holds.ts), and so
// is a reviewed top-up or withdrawal, before it reaches the bank (flows/hold-funding-for-review.ts); the
// analysts' decisions: `release_hold` (four eyes: the hold is posted or the request sent on; labels the
// decision legitimate), `reject_payment` (four eyes: the hold is voided, the money back; no label),
// `confirm_fraud` (four eyes: voided too, labelled fraud, the device blocked) and `clear` (nothing
// held — a login, card binding or factor change review — labelled legitimate). The money step of those
// decisions is wired at the flows (flows/review-hold-case.ts); the labels feed back-testing.
import { appendAudit } from '../audit/index.ts';
import { actorIdOf, openCase, type CaseDecisionHandler, type CaseKindDefinition } from '../cases/index.ts';
import type { Tx } from '../store/index.ts';
import type { MoneyAssessment } from './assess.ts';
import { labelDecision, putListEntry } from './store.ts';

const hour = 3_600_000;

export const riskReviewKind: CaseKindDefinition = {
  kind: 'risk_review',
  queue: 'risk',
  sla: { firstResponse: 4 * hour, resolution: 2 * 9 * hour, calendar: 'business' },
  decisions: {
    clear: { fourEyes: false },
    release_hold: { fourEyes: true },
    reject_payment: { fourEyes: true },
    confirm_fraud: { fourEyes: true },
  },
};

/** Opens the review case of every assessment that decided `review` (idempotent by decision id). */
export async function openReviewCases(tx: Tx, assessments: readonly MoneyAssessment[], now: number): Promise<void> {
  for (const { decision, record, event } of assessments) {
    if (decision.decision !== 'review') continue;
    await openCase(
      tx,
      {
        kind: 'risk_review',
        dedupeKey: record.id,
        title: `Risk review: ${decision.reasons.slice(0, 3).join(', ')}`.slice(0, 200),
        subject: { type: 'payment', id: record.subjectRef ?? record.id },
        customerId: event.customerId,
        severity: decision.score >= 80 ? 'high' : 'medium',
        amount: { minor: event.amount.minor, currency: event.amount.currency },
        evidence: [
          { type: 'decision', ref: record.id },
          { type: 'device', ref: event.deviceId },
          ...(record.subjectRef === null ? [] : [{ type: 'payment', ref: record.subjectRef }]),
        ],
        openedBy: 'system:risk',
        details: {
          decisionId: record.id,
          deviceId: event.deviceId,
          score: decision.score,
          rules: decision.hits.map((h) => h.rule),
        },
      },
      now,
    );
  }
}

/** The effect of an analyst's decision on a risk review (the clock is the app's). */
export const riskReviewHandler =
  (clock: () => number): CaseDecisionHandler =>
  async (tx, caseRecord, decision, actor) => {
    const decisionId = caseRecord.details.decisionId;
    const deviceId = caseRecord.details.deviceId;
    if (typeof decisionId !== 'string') return { ok: false, code: 'risk_decision_not_found' };
    const now = clock();
    // A rejection is not a finding: the decision stays unlabelled for back-testing.
    const label = decision === 'confirm_fraud' ? 'fraud' : 'legitimate';
    if (decision !== 'reject_payment') await labelDecision(tx, decisionId, label);
    if (decision === 'confirm_fraud' && typeof deviceId === 'string') {
      const note = `confirmed fraud in case ${caseRecord.id}`;
      await putListEntry(
        tx,
        { list: 'device', value: deviceId, effect: 'block', note, addedBy: actorIdOf(actor) },
        now,
      );
      await appendAudit(
        tx,
        [
          {
            actorType: 'system',
            actorId: 'risk',
            action: 'risk.list_change',
            target: `device:${deviceId}`,
            outcome: 'success',
            details: { case: caseRecord.id, effect: 'block' },
          },
        ],
        now,
      );
    }
    return { ok: true };
  };
