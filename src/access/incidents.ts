// Incident response (R7.5, §7.3): an incident is opened with a classification, severity and
// affected scope; security events are linked to it; its timeline records what happened, what was
// done and who was notified; it closes with a post-incident review. Every step is audited, and the
// timeline is append-only in the database.
import { newId } from '../ids.ts';
import type { Store, Tx } from '../store/index.ts';
import { audit, type Actor } from './actor.ts';
import {
  closeIncidentRow, incidentEntries, incidentEventIds, incidentRowById, insertIncident, insertIncidentEntry, linkIncidentEvent, listIncidentRows, securityEventById,
  type IncidentEntryRow, type IncidentRow, type Severity,
} from './store.ts';

export const incidentClassifications = ['unauthorised_access', 'fraud', 'data_breach', 'service_outage', 'integrity', 'malware', 'other'] as const;
export type IncidentClassification = (typeof incidentClassifications)[number];
export const incidentEntryKinds = ['timeline', 'action', 'notification', 'note'] as const;

/** The first steps of each playbook, shown with the incident so the responder does not start from a blank page. */
export const playbooks: Readonly<Record<IncidentClassification, readonly string[]>> = {
  unauthorised_access: ['Revoke the sessions and tokens involved', 'Lock the affected accounts', 'Preserve and verify the audit log', 'Review operator actions in the window'],
  fraud: ['Freeze the affected wallets', 'Hold pending withdrawals', 'Notify the partner banks', 'File a suspicious-transaction report if required'],
  data_breach: ['Contain the leak', 'Rotate the affected keys', 'Assess which personal data was exposed', 'Notify the regulator and data subjects within the legal deadline'],
  service_outage: ['Fail over or restore service', 'Reconcile the ledger after recovery', 'Inform customers and merchants'],
  integrity: ['Run ledger and audit verification', 'Restore from a verified backup if needed', 'Identify the altered records'],
  malware: ['Isolate the affected hosts', 'Rotate credentials used on them', 'Rebuild from known-good images'],
  other: ['Assess impact and scope', 'Assign an owner'],
};

export interface IncidentDetail extends IncidentRow {
  readonly securityEventIds: readonly string[];
  readonly entries: readonly IncidentEntryRow[];
  readonly playbook: readonly string[];
}

export type IncidentOutcome = { readonly ok: true; readonly incident: IncidentDetail } | { readonly ok: false; readonly code: 'incident_not_found' | 'incident_closed' | 'security_event_not_found' };

export async function incidentDetail(q: Store | Tx, id: string): Promise<IncidentDetail | undefined> {
  const incident = await incidentRowById(q, id);
  if (incident === undefined) return undefined;
  return { ...incident, securityEventIds: await incidentEventIds(q, id), entries: await incidentEntries(q, id), playbook: playbooks[incident.classification as IncidentClassification] ?? [] };
}

export async function listIncidents(store: Store, state: 'open' | 'closed' | undefined, limit: number): Promise<IncidentRow[]> {
  return listIncidentRows(store, state, limit);
}

export interface OpenIncidentInput {
  readonly title: string;
  readonly classification: IncidentClassification;
  readonly severity: Severity;
  readonly scope: string;
  readonly securityEventIds?: readonly string[] | undefined;
}

export async function openIncident(store: Store, actor: Actor, input: OpenIncidentInput, now: number): Promise<IncidentOutcome> {
  const by = actor.principal?.id ?? 'system';
  return store.transaction(async (tx) => {
    const id = newId('inc', now);
    await insertIncident(tx, { id, title: input.title, classification: input.classification, severity: input.severity, scope: input.scope, openedBy: by, openedAt: now });
    await audit(tx, actor, [{ action: 'incident.open', target: id, outcome: 'success', details: { classification: input.classification, severity: input.severity } }], now);
    for (const eventId of input.securityEventIds ?? []) {
      if ((await securityEventById(tx, eventId)) === undefined) throw new IncidentRefused('security_event_not_found');
      await linkIncidentEvent(tx, id, eventId, by, now);
    }
    return { ok: true as const, incident: (await incidentDetail(tx, id)) as IncidentDetail };
  }).catch((error: unknown) => refusedOutcome(store, actor, 'incident.open', null, error, now));
}

/** Thrown inside a transaction to roll back a half-done change; turned into an audited refusal. */
class IncidentRefused extends Error {
  constructor(readonly code: 'incident_not_found' | 'incident_closed' | 'security_event_not_found') {
    super(code);
  }
}

async function refusedOutcome(store: Store, actor: Actor, action: string, target: string | null, error: unknown, now: number): Promise<IncidentOutcome> {
  if (!(error instanceof IncidentRefused)) throw error;
  await store.transaction((tx) => audit(tx, actor, [{ action, target, outcome: 'failure', details: { reason: error.code } }], now));
  return { ok: false, code: error.code };
}

/** Runs a change to an open incident: refused (and audited) if it does not exist or is closed. */
async function changeOpenIncident(store: Store, actor: Actor, id: string, action: string, now: number, change: (tx: Tx, incident: IncidentRow) => Promise<Record<string, unknown>>): Promise<IncidentOutcome> {
  return store.transaction(async (tx) => {
    const incident = await incidentRowById(tx, id);
    if (incident === undefined) throw new IncidentRefused('incident_not_found');
    if (incident.state !== 'open') throw new IncidentRefused('incident_closed');
    const details = await change(tx, incident);
    await audit(tx, actor, [{ action, target: id, outcome: 'success', details }], now);
    return { ok: true as const, incident: (await incidentDetail(tx, id)) as IncidentDetail };
  }).catch((error: unknown) => refusedOutcome(store, actor, action, id, error, now));
}

export async function linkSecurityEvent(store: Store, actor: Actor, incidentId: string, eventId: string, now: number): Promise<IncidentOutcome> {
  return changeOpenIncident(store, actor, incidentId, 'incident.link_event', now, async (tx) => {
    if ((await securityEventById(tx, eventId)) === undefined) throw new IncidentRefused('security_event_not_found');
    const linked = await linkIncidentEvent(tx, incidentId, eventId, actor.principal?.id ?? 'system', now);
    return { securityEventId: eventId, alreadyLinked: !linked };
  });
}

export interface IncidentEntryInput {
  readonly kind: (typeof incidentEntryKinds)[number];
  readonly text: string;
  /** For notifications: who was told and how (a regulator, "affected customers"), never personal data. */
  readonly details?: Record<string, string> | undefined;
}

export async function recordIncidentEntry(store: Store, actor: Actor, incidentId: string, input: IncidentEntryInput, now: number): Promise<IncidentOutcome> {
  return changeOpenIncident(store, actor, incidentId, `incident.${input.kind}`, now, async (tx) => {
    const entryId = newId('ine', now);
    await insertIncidentEntry(tx, incidentId, { id: entryId, kind: input.kind, text: input.text, details: input.details ?? {}, recordedBy: actor.principal?.id ?? 'system', recordedAt: now });
    return { entryId };
  });
}

export interface PostIncidentReview {
  readonly summary: string;
  readonly rootCause: string;
  readonly impact: string;
  readonly lessonsLearned: string;
  readonly followUpActions: readonly string[];
}

export async function closeIncident(store: Store, actor: Actor, incidentId: string, review: PostIncidentReview, now: number): Promise<IncidentOutcome> {
  return changeOpenIncident(store, actor, incidentId, 'incident.close', now, async (tx) => {
    if (!(await closeIncidentRow(tx, incidentId, actor.principal?.id ?? 'system', { ...review }, now))) throw new IncidentRefused('incident_closed');
    return { followUpActions: review.followUpActions.length };
  });
}
