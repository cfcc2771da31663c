// Screening one party — a customer at registration, a merchant at onboarding, a payee at payment —
// against the lists in force. A match at or above the block score refuses the action (the caller
// throws `sanctions_hit`) and opens a `sanctions_hit` case; matches between the near-hit score and
// the block score are recorded for review without blocking. Clear results are only counted.
import { createHash } from 'node:crypto';
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { openCase, type OpenCaseInput } from '../cases/index.ts';
import { clearKey, clearMemoOf } from './clear-memo.ts';
import type { ScreeningMatch } from './screening-index.ts';
import type { Sanctions } from './sanctions.ts';
import { clearedEntries, insertFreeze, insertMerchantFreeze, insertScreening } from './store.ts';
import { nameForm } from './normalise-name.ts';
import type { Queryable, Store } from '../store/index.ts';

export type ScreeningContext = 'registration' | 'payee' | 'merchant' | 'payment' | 'manual' | 'rescreen';

export interface ScreeningRequest {
  readonly context: ScreeningContext;
  readonly subject: { readonly type: string; readonly id: string };
  readonly name: string;
  readonly birthDate?: string | undefined;
  readonly country?: string | undefined;
  readonly customerId?: string | undefined;
  /** Who asked: an operator or 'system:<capability>'. */
  readonly actor: string;
}

export interface ScreeningVerdict {
  readonly outcome: 'clear' | 'near_hit' | 'hit' | 'unscreened';
  readonly matches: readonly ScreeningMatch[];
  readonly caseId?: string;
  readonly listVersions: string;
}

const matchesKept = 5;

function permille(score: number): number {
  return Math.max(0, Math.min(1000, Math.round(score * 1000)));
}

function hitCase(request: ScreeningRequest, found: Found, top: ScreeningMatch, label: string): OpenCaseInput {
  const { matches, nameKey } = found;
  return {
    kind: 'sanctions_hit',
    dedupeKey: `${request.context}:${request.subject.type}:${request.subject.id}:${top.entry.id}`,
    title: `Sanctions hit: ${top.matchedName} (${top.entry.id}, score ${permille(top.score)}‰)`,
    subject: request.subject,
    customerId: request.customerId,
    severity: 'critical',
    openedBy: request.actor,
    evidence: matches.map((m) => ({
      type: 'list_entry',
      ref: m.entry.id,
      note: `${permille(m.score)}‰ ${m.matchedName}`,
    })),
    details: {
      nameKey,
      context: request.context,
      entryId: top.entry.id,
      scorePermille: permille(top.score),
      listVersions: label,
    },
  };
}

/** A screened party across attempts, without keeping the name: normalised name and birth date, hashed. */
export function nameKeyOf(name: string, birthDate: string | undefined): string {
  return createHash('sha256')
    .update(`${nameForm(name).compactSorted}|${birthDate ?? ''}`)
    .digest('hex');
}

interface Found {
  readonly matches: readonly ScreeningMatch[];
  readonly blocks: (match: ScreeningMatch) => boolean;
  readonly nameKey: string;
}

/** What a freeze stops, as audited: a customer's outgoing money; a merchant's orders and money out. */
const customerFrozen = ['outgoing_payments', 'withdrawals'];
const merchantFrozenScope = ['orders', 'order_payments', 'refunds', 'settlement_payouts'];

/**
 * An existing party hit: where registration or onboarding would refuse, the party is frozen until the
 * case is decided. A customer hit on re-screening loses outgoing money (payments' identity port reads
 * it); a merchant hit on re-screening or by the payee screening at payment is frozen whole — no order,
 * payment to it, refund or settlement payout (merchantFrozen). Once per case, audited `sanctions.freeze`.
 */
async function freezeExistingParty(
  tx: Queryable,
  request: ScreeningRequest,
  caseId: string,
  now: number,
): Promise<void> {
  const { type, id } = request.subject;
  const customer = request.context === 'rescreen' && type === 'customer';
  const merchant = (request.context === 'rescreen' || request.context === 'payment') && type === 'merchant';
  if (!customer && !merchant) return;
  const froze = customer
    ? await insertFreeze(tx, { id: newId('sfz', now), caseId, customerId: id, now })
    : await insertMerchantFreeze(tx, { id: newId('smf', now), caseId, merchantId: id, now });
  if (!froze) return;
  const details = { caseId, frozen: customer ? customerFrozen : merchantFrozenScope };
  const event = { actorType: 'system' as const, actorId: request.actor, action: 'sanctions.freeze', target: id };
  await appendAudit(tx, [{ ...event, outcome: 'success', details }], now);
}

/** The hit's case (for a hit), every match above the near-hit score, and the audit entry: one transaction. */
async function recordMatches(
  sanctions: Sanctions,
  request: ScreeningRequest,
  found: Found,
  label: string,
): Promise<string | undefined> {
  const now = sanctions.clock();
  const { matches, blocks } = found;
  const blocking = matches.find(blocks);
  const top = blocking ?? (matches[0] as ScreeningMatch);
  const outcome = blocking === undefined ? 'near_hit' : 'hit';
  return sanctions.store.transaction(async (tx) => {
    const opened = outcome === 'hit' ? (await openCase(tx, hitCase(request, found, top, label), now)).id : undefined;
    if (opened !== undefined) await freezeExistingParty(tx, request, opened, now);
    for (const match of matches) {
      await insertScreening(tx, {
        id: newId('scr', now),
        context: request.context,
        subjectType: request.subject.type,
        subjectId: request.subject.id,
        outcome: blocks(match) ? 'hit' : 'near_hit',
        entryId: match.entry.id,
        matchedName: match.matchedName,
        scorePermille: permille(match.score),
        listVersions: label,
        caseId: match === top ? (opened ?? null) : null,
        screenedAt: now,
      });
    }
    const details = {
      context: request.context,
      outcome,
      entryId: top.entry.id,
      scorePermille: permille(top.score),
      caseId: opened ?? null,
    };
    const actorType = request.actor.startsWith('system:') ? ('system' as const) : ('operator' as const);
    await appendAudit(
      tx,
      [
        {
          actorType,
          actorId: request.actor,
          action: 'sanctions.screen',
          target: request.subject.id,
          outcome: outcome === 'hit' ? 'denied' : 'success',
          details,
        },
      ],
      now,
    );
    return opened;
  });
}

export async function screenParty(sanctions: Sanctions, request: ScreeningRequest): Promise<ScreeningVerdict> {
  const lists = await sanctions.lists.current();
  if (lists === undefined) {
    sanctions.counts.unscreened += 1;
    return { outcome: 'unscreened', matches: [], listVersions: '' };
  }
  const { blockScore, nearHitScore } = sanctions.settings;
  const facts = { birthDate: request.birthDate, country: request.country };
  const memo = clearMemoOf(lists.index);
  const key = clearKey(request.name, facts, nearHitScore);
  const matches = memo.has(key) ? [] : lists.index.search(request.name, facts, nearHitScore, matchesKept);
  const top = matches[0];
  if (top === undefined) {
    memo.add(key);
    sanctions.counts.clear += 1;
    return { outcome: 'clear', matches, listVersions: lists.label };
  }
  const nameKey = nameKeyOf(request.name, request.birthDate);
  const cleared = await clearedEntries(
    sanctions.store,
    nameKey,
    matches.map((m) => m.entry.id),
  );
  const blocks = (m: ScreeningMatch) => m.score >= blockScore && !cleared.has(m.entry.id);
  const outcome = matches.some(blocks) ? 'hit' : 'near_hit';
  sanctions.counts[outcome] += 1;
  const caseId = await recordMatches(sanctions, request, { matches, blocks, nameKey }, lists.label);
  return { outcome, matches, listVersions: lists.label, ...(caseId === undefined ? {} : { caseId }) };
}

/** The verdict as the caller acts on it: a hit refuses; no lists refuses only where lists are required. */
export function requireNoHit(sanctions: Sanctions, verdict: ScreeningVerdict): void {
  if (verdict.outcome === 'hit') throw new AnfuError('sanctions_hit', undefined, { caseId: verdict.caseId ?? null });
  if (verdict.outcome === 'unscreened' && sanctions.settings.requireLists)
    throw new AnfuError('sanctions_lists_unavailable');
}

/** An operator's ad-hoc search is audited (who, when, how many matches; never the name searched). */
export async function recordSearch(store: Store, operatorId: string, matches: number, now: number): Promise<void> {
  await store.transaction((tx) =>
    appendAudit(
      tx,
      [
        {
          actorType: 'operator',
          actorId: operatorId,
          action: 'sanctions.search',
          target: null,
          outcome: 'success',
          details: { matches },
        },
      ],
      now,
    ),
  );
}

/** An operator's lookup in the lists in force (nothing recorded here); undefined while no list is loaded. */
export async function searchLists(
  sanctions: Sanctions,
  name: string,
  facts: { birthDate?: string | undefined; country?: string | undefined },
): Promise<{ listVersions: string; matches: ScreeningMatch[] } | undefined> {
  const lists = await sanctions.lists.current();
  if (lists === undefined) return undefined;
  return { listVersions: lists.label, matches: lists.index.search(name, facts, operatorSearchFloor, 20) };
}

/** Operators see weaker matches than screening records. */
export const operatorSearchFloor = 0.8;

/** Screening of a merchant payee at payment: a hit refuses the payment (and opens a case). */
export function payeeScreeningOf(sanctions: Sanctions) {
  return async (payee: { readonly id: string; readonly name: string }): Promise<void> => {
    const verdict = await screenParty(sanctions, {
      context: 'payment',
      subject: { type: 'merchant', id: payee.id },
      name: payee.name,
      actor: 'system:payments',
    });
    requireNoHit(sanctions, verdict);
  };
}
