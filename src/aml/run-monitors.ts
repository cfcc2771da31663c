// The scheduled AML monitor: reads the last window of settled money, runs the pattern detectors, and
// for each new hit records an alert and opens an `aml_alert` case in the same transaction (one alert
// per pattern, subject and day, so a re-run finds what it raised before and opens nothing twice).
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import { openCase } from '../cases/index.ts';
import type { Store } from '../store/index.ts';
import { levelsInForce } from './customer-rating-store.ts';
import { customersIn, detectPatterns, dormancyCandidates, dormantWake, type PatternHit } from './detect-patterns.ts';
import { dayOf } from './report-day.ts';
import { customerSince, lastActivityBefore, settledMovements } from './settled-money.ts';
import type { MonitorSettings } from './thresholds.ts';
import { rateCustomer } from './rate-customer.ts';

export interface MonitorRun {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly movements: number;
  readonly hits: number;
  readonly opened: ReadonlyArray<{ readonly pattern: string; readonly subjectId: string; readonly caseId: string }>;
}

const severity: Record<PatternHit['pattern'], 'medium' | 'high'> = {
  structuring: 'high',
  rapid_in_out: 'high',
  fan_in: 'medium',
  fan_out: 'medium',
  device_payees: 'medium',
  dormant_wake: 'medium',
};

async function dormantHits(
  store: Store,
  movements: Parameters<typeof dormancyCandidates>[0],
  s: MonitorSettings,
  start: number,
) {
  const hits: PatternHit[] = [];
  for (const [customerId, list] of dormancyCandidates(movements, s)) {
    const last = (await lastActivityBefore(store, customerId, start)) ?? (await customerSince(store, customerId));
    if (last === undefined) continue;
    const silentMs = (list[0]?.at ?? start) - last;
    if (silentMs >= s.dormantDays * 86_400_000) hits.push(dormantWake(customerId, list, silentMs, s));
  }
  return hits;
}

async function raise(store: Store, hit: PatternHit, day: string, now: number): Promise<string | undefined> {
  return store.transaction(async (tx) => {
    const id = newId('aml', now);
    const inserted = await tx.run(
      `INSERT INTO aml_alerts (id, pattern, subject_type, subject_id, window_day, amount, currency, transaction_count,
         details, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pattern, subject_id, window_day) DO NOTHING`,
      [
        id,
        hit.pattern,
        hit.subjectType,
        hit.subjectId,
        day,
        hit.amount,
        hit.currency,
        hit.movementIds.length,
        JSON.stringify(hit.details),
        now,
      ],
    );
    if (inserted === 0) return undefined;
    const opened = await openCase(
      tx,
      {
        kind: 'aml_alert',
        dedupeKey: `${hit.pattern}:${hit.subjectId}:${day}`,
        title: `AML ${hit.pattern.replace(/_/gu, ' ')}: ${hit.movementIds.length} movements`,
        subject: { type: hit.subjectType, id: hit.subjectId },
        customerId: hit.customerId || undefined,
        severity: severity[hit.pattern],
        amount: { minor: hit.amount, currency: hit.currency },
        openedBy: 'system:aml',
        evidence: hit.movementIds.slice(0, 50).map((ref) => ({ type: 'payment', ref })),
        details: { pattern: hit.pattern, alertId: id, day, ...hit.details },
      },
      now,
    );
    await tx.run('UPDATE aml_alerts SET case_id = ? WHERE id = ?', [opened.id, id]);
    await appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId: 'system:aml',
          action: 'aml.alert',
          target: hit.subjectId,
          outcome: 'success',
          details: { pattern: hit.pattern, alertId: id, caseId: opened.id, movements: hit.movementIds.length },
        },
      ],
      now,
    );
    // A new alert is a new fact about the customer: re-rated in the alert's transaction.
    if (hit.customerId.startsWith('cus_')) await rateCustomer(tx, hit.customerId, 'aml_case_opened', now);
    return opened.id;
  });
}

export async function runMonitors(store: Store, settings: MonitorSettings, now: number): Promise<MonitorRun> {
  const windowStart = now - settings.windowMs;
  const movements = await settledMovements(store, windowStart, now);
  // Each customer's level in force now (an override included): the thresholds it is watched at.
  const levels = await levelsInForce(store, customersIn(movements));
  const hits = [
    ...detectPatterns(movements, settings, levels),
    ...(await dormantHits(store, movements, settings, windowStart)),
  ];
  const day = dayOf(now);
  const opened: Array<{ pattern: string; subjectId: string; caseId: string }> = [];
  for (const hit of hits) {
    const caseId = await raise(store, hit, day, now);
    if (caseId !== undefined) opened.push({ pattern: hit.pattern, subjectId: hit.subjectId, caseId });
  }
  return { windowStart, windowEnd: now, movements: movements.length, hits: hits.length, opened };
}
