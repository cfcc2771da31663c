// Changing the running rules is a maker–checker proposal (`risk.ruleset`): a risk analyst proposes a
// whole set against the version it was written from, a second operator approves it, and the new set
// becomes the next version in one transaction (every process picks it up at its next poll). A set that
// does not compile is refused at proposal; a proposal written from a version that is no longer the
// latest is refused at execution, so two concurrent edits never silently overwrite each other.
// Block and allow list entries (`risk.list`) follow the same four eyes.
import { versionedPayload, type ProposalExecutor } from '../access/index.ts';
import { appendAudit } from '../audit/index.ts';
import { compileRuleSet, type RuleSetDocument } from './ruleset.ts';
import {
  insertRuleSet,
  latestRuleSetVersion,
  listNames,
  putListEntry,
  removeListEntry,
  type ListName,
} from './store.ts';

export interface RuleSetProposal {
  readonly document: RuleSetDocument;
  readonly basedOn: number;
}

export function parseRuleSetProposal(payload: unknown): RuleSetProposal | undefined {
  const p = versionedPayload(payload, 'document', (value) => {
    const compiled = compileRuleSet(value);
    return compiled.ok ? compiled.set.document : undefined;
  });
  return p === undefined ? undefined : { document: p.value, basedOn: p.basedOn };
}

export const ruleSetExecutor: ProposalExecutor<RuleSetProposal> = {
  kind: 'risk.ruleset',
  proposerRoles: ['risk_analyst', 'administrator'],
  approverRoles: ['risk_analyst', 'administrator'],
  proposerNeedsSession: true,
  parse: parseRuleSetProposal,
  async check(q, payload) {
    return (await latestRuleSetVersion(q)) === payload.basedOn ? undefined : 'proposal_payload_invalid';
  },
  async inside(tx, payload, proposal, now) {
    const latest = await latestRuleSetVersion(tx);
    if (latest !== payload.basedOn)
      return { ok: false, code: 'risk_ruleset_stale', detail: `the running version is ${latest}` };
    const version = latest + 1;
    await insertRuleSet(
      tx,
      { version, document: payload.document, proposalId: proposal.id, approvedBy: proposal.decidedBy },
      now,
    );
    const active = payload.document.rules.filter((r) => r.mode !== 'shadow').length;
    await appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId: 'risk',
          action: 'risk.ruleset_activate',
          target: `ruleset:${version}`,
          outcome: 'success',
          details: {
            proposal: proposal.id,
            version,
            rules: active,
            shadow: payload.document.rules.length - active,
            typologies: payload.document.typologies.length,
          },
        },
      ],
      now,
    );
    return { ok: true, result: { version } };
  },
};

export interface ListChange {
  readonly list: ListName;
  readonly value: string;
  readonly effect: 'block' | 'allow' | 'remove';
  readonly note: string | null;
}

export function parseListChange(payload: unknown): ListChange | undefined {
  const p = payload as Partial<Record<keyof ListChange, unknown>> | null;
  if (p === null || typeof p !== 'object') return undefined;
  if (
    !listNames.includes(p.list as ListName) ||
    typeof p.value !== 'string' ||
    !/^[A-Za-z0-9_.:/-]{1,128}$/.test(p.value)
  )
    return undefined;
  if (p.effect !== 'block' && p.effect !== 'allow' && p.effect !== 'remove') return undefined;
  if (p.note !== undefined && p.note !== null && (typeof p.note !== 'string' || p.note.length > 200)) return undefined;
  return {
    list: p.list as ListName,
    value: p.value,
    effect: p.effect,
    note: (p.note as string | null | undefined) ?? null,
  };
}

export const listChangeExecutor: ProposalExecutor<ListChange> = {
  kind: 'risk.list',
  proposerRoles: ['risk_analyst', 'administrator', 'operations'],
  approverRoles: ['risk_analyst', 'administrator'],
  parse: parseListChange,
  async inside(tx, change, proposal, now) {
    if (change.effect === 'remove') await removeListEntry(tx, change.list, change.value);
    else
      await putListEntry(
        tx,
        {
          list: change.list,
          value: change.value,
          effect: change.effect,
          note: change.note,
          addedBy: proposal.proposedBy,
        },
        now,
      );
    await appendAudit(
      tx,
      [
        {
          actorType: 'system',
          actorId: 'risk',
          action: 'risk.list_change',
          target: `${change.list}:${change.value}`,
          outcome: 'success',
          details: { proposal: proposal.id, effect: change.effect },
        },
      ],
      now,
    );
    return { ok: true, result: { list: change.list, effect: change.effect } };
  },
};
