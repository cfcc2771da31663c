// The AML monitors' level factors (docs/aml.md "Suspicious-pattern monitors") change at run time under
// maker–checker (`aml.monitor_level_factors`): a risk analyst proposes a whole table against the version it
// was written from, a second operator approves it with MFA, and it is stored as the next version in the
// transaction that executes the proposal. Every monitor run reads the version in force (one row), so every
// process uses it from its next run without restart; with none stored, ANFU_AML_MONITOR_LEVEL_FACTORS (or
// AML's defaults) is the start value. A table is checked by the one check the variable uses (config.ts).
import { versionedPayload, type ProposalExecutor } from '../access/index.ts';
import { appendAudit } from '../audit/index.ts';
import { checkAmlLevelFactors } from '../config.ts';
import type { Queryable } from '../store/index.ts';
import { insertLevelFactors, latestLevelFactors } from './level-factors-store.ts';
import {
  defaultLevelFactorsPercent,
  monitorSettingsWith,
  type LevelFactorsPercent,
  type MonitorSettings,
} from './thresholds.ts';

export interface LevelFactorsInForce {
  /** 0: the start value (nothing approved since). */
  readonly version: number;
  readonly factors: LevelFactorsPercent;
  readonly source: 'default' | 'configuration' | 'approved';
  readonly approval: { readonly proposalId: string; readonly approvedBy: string; readonly approvedAt: number } | null;
}

/** The factors in force: the latest approved version, else the start value (`startValue` undefined: the defaults). */
export async function levelFactorsInForce(
  q: Queryable,
  startValue: LevelFactorsPercent | undefined,
): Promise<LevelFactorsInForce> {
  const stored = await latestLevelFactors(q);
  if (stored === undefined) {
    const source = startValue === undefined ? 'default' : 'configuration';
    return { version: 0, factors: startValue ?? defaultLevelFactorsPercent, source, approval: null };
  }
  const checked = checkAmlLevelFactors(stored.factors);
  if (!checked.ok) throw new Error(`aml invariant: level factors version ${stored.version} do not check`);
  const { proposalId, approvedBy, approvedAt } = stored;
  const approval = { proposalId, approvedBy, approvedAt };
  return { version: stored.version, factors: checked.factors, source: 'approved', approval };
}

/** The monitor settings of a run about to start, with the factors in force now. */
export async function monitorSettingsIn(
  q: Queryable,
  startValue: LevelFactorsPercent | undefined,
): Promise<MonitorSettings> {
  return monitorSettingsWith((await levelFactorsInForce(q, startValue)).factors);
}

export interface LevelFactorsProposal {
  readonly factors: LevelFactorsPercent;
  /** The version the table was written from: approved on top of another one, it is refused as stale. */
  readonly basedOn: number;
}

export function parseLevelFactorsProposal(payload: unknown): LevelFactorsProposal | undefined {
  const p = versionedPayload(payload, 'factors', (value) => {
    const checked = checkAmlLevelFactors(value);
    return checked.ok ? checked.factors : undefined;
  });
  return p === undefined ? undefined : { factors: p.value, basedOn: p.basedOn };
}

/** The executor, given the start value so the audit entry names what the table replaced. */
export function levelFactorsExecutor(
  startValue: LevelFactorsPercent | undefined,
): ProposalExecutor<LevelFactorsProposal> {
  return {
    kind: 'aml.monitor_level_factors',
    proposerRoles: ['risk_analyst', 'administrator'],
    approverRoles: ['risk_analyst', 'administrator'],
    proposerNeedsSession: true,
    parse: parseLevelFactorsProposal,
    async check(q, payload) {
      const inForce = await levelFactorsInForce(q, startValue);
      return inForce.version === payload.basedOn ? undefined : 'proposal_payload_invalid';
    },
    async inside(tx, payload, proposal, now) {
      const before = await levelFactorsInForce(tx, startValue);
      if (before.version !== payload.basedOn)
        return { ok: false, code: 'aml_level_factors_stale', detail: `the version in force is ${before.version}` };
      const version = before.version + 1;
      const { proposedBy, decidedBy: approvedBy } = proposal;
      if (approvedBy === null) throw new Error(`aml invariant: proposal ${proposal.id} executed unapproved`);
      const { factors } = payload;
      const approval = { proposalId: proposal.id, proposedBy, approvedBy, approvedAt: now };
      await insertLevelFactors(tx, { version, factors, ...approval });
      const details = { proposal: proposal.id, proposedBy, approvedBy, version, from: before.factors, to: factors };
      const entry = { actorType: 'system' as const, actorId: 'aml', action: 'aml.monitor_level_factors' };
      await appendAudit(tx, [{ ...entry, target: `aml-level-factors:${version}`, outcome: 'success', details }], now);
      return { ok: true, result: { version } };
    },
  };
}
