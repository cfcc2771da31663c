// Runs every check against the live store and listener, places each row in its JR/T 0122 chapter,
// attaches the previous run's result per row, stores the run (audited) and returns it.
import { appendAudit } from '../audit/index.ts';
import { newId } from '../ids.ts';
import { attestationChecks } from './attestations.ts';
import { chapterTitleOf, compareChapters, standard } from './chapters.ts';
import { dependencyAdvisories, operatorsMfa, tokensNearExpiry } from './checks-access.ts';
import { backupFreshness, openIncidents, restoreTested } from './checks-continuity.ts';
import { auditChain, keyAges, ledgerIntegrity, signedCheckpoints } from './checks-data.ts';
import { productionSettings, rateLimits, tlsListener } from './checks-network.ts';
import { insertRun, latestRun } from './store.ts';
import {
  indicators,
  severityOf,
  type Assessment,
  type AssessmentProbes,
  type AssessmentRow,
  type CheckDefinition,
  type Finding,
  type Indicator,
  type Result,
} from './types.ts';

export const checks: readonly CheckDefinition[] = [
  tlsListener,
  rateLimits,
  productionSettings,
  operatorsMfa,
  tokensNearExpiry,
  dependencyAdvisories,
  auditChain,
  signedCheckpoints,
  keyAges,
  ledgerIntegrity,
  openIncidents,
  backupFreshness,
  restoreTested,
  ...attestationChecks,
];

/** A check that throws reports `unknown` with the reason: it never passes by failing to look. */
async function runCheck(check: CheckDefinition, probes: AssessmentProbes): Promise<Finding> {
  try {
    return await check.run(probes);
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
    return {
      result: 'unknown',
      evidence: `the check could not run: ${reason}`,
      advice: 'fix what stops the check, then run again',
    };
  }
}

export function summarise(rows: readonly Pick<AssessmentRow, 'indicator' | 'result'>[]): Record<Indicator, Result> {
  const summary = Object.fromEntries(indicators.map((i) => [i, 'pass'])) as Record<Indicator, Result>;
  for (const row of rows)
    if (severityOf[row.result] > severityOf[summary[row.indicator]]) summary[row.indicator] = row.result;
  return summary;
}

/** Who ran it: an operator (API) or the command line (`cli:<user>`). */
export interface AssessmentActor {
  readonly type: 'operator' | 'system';
  readonly id: string;
}

export async function runAssessment(probes: AssessmentProbes, actor: AssessmentActor): Promise<Assessment> {
  const previous = await latestRun(probes.store);
  const before = new Map(previous?.rows.map((r) => [r.id, r.result]) ?? []);
  const rows: AssessmentRow[] = [];
  for (const check of checks) {
    const finding = await runCheck(check, probes);
    const { id, chapter, indicator, requirement, control } = check;
    rows.push({
      id,
      chapter,
      chapterTitle: chapterTitleOf(chapter),
      indicator,
      requirement,
      control,
      ...finding,
      previous: before.get(id) ?? null,
    });
  }
  rows.sort((a, b) => compareChapters(a.chapter, b.chapter));
  const at = probes.clock();
  const assessment: Assessment = {
    id: newId('asr', at),
    at,
    actor: actor.id,
    standard,
    summary: summarise(rows),
    rows,
    previousRunId: previous?.id ?? null,
  };
  const failing = rows.filter((r) => r.result === 'fail').map((r) => r.id);
  await probes.store.transaction(async (tx) => {
    await insertRun(tx, assessment);
    const details = { run: assessment.id, summary: assessment.summary, failing };
    const entry = { actorType: actor.type, actorId: actor.id, action: 'assessment.run', target: assessment.id };
    await appendAudit(tx, [{ ...entry, outcome: 'success', details }], at);
  });
  return assessment;
}
