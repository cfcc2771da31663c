// How a case looks on the operator API: amounts as decimal strings in major units, times as ISO 8601,
// and for one case its evidence, notes, timeline and SLA clocks.
import { Type } from 'typebox';
import type { CaseDetail, CaseRecord, CaseSla, SlaClock } from '../../cases/index.ts';
import { findCurrency, formatMajor } from '../../money/index.ts';
import { Nullable } from '../schemas.ts';

const Timestamp = Type.String({ description: 'ISO 8601 time' });
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const Json = Type.Record(Type.String(), Type.Unknown());

const caseFields = {
  id: Type.String(),
  kind: Type.String(),
  queue: Type.String(),
  title: Type.String(),
  dedupeKey: Type.String(),
  subject: Type.Object({ type: Type.String(), id: Type.String() }),
  customerId: Nullable(Type.String()),
  severity: Type.String(),
  amount: Nullable(Type.Object({ value: Type.String(), currency: Type.String() })),
  status: Type.String(),
  assignee: Nullable(Type.String()),
  openedBy: Type.String(),
  details: Json,
  decision: Nullable(Type.String()),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Timestamp),
  pendingProposalId: Nullable(Type.String()),
  breached: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
export const CaseSummaryView = Type.Object(caseFields);

const ClockView = Type.Object({
  limitMs: Type.Integer(),
  elapsedMs: Type.Integer(),
  dueAt: Nullable(Timestamp),
  stopped: Type.Boolean(),
  breached: Type.Boolean(),
});
const SlaView = Nullable(
  Type.Object({
    calendar: Type.String(),
    paused: Type.Boolean(),
    firstResponse: ClockView,
    resolution: ClockView,
    update: Type.Optional(ClockView),
  }),
);
export const CaseView = Type.Object({
  ...caseFields,
  evidence: Type.Array(
    Type.Object({
      id: Type.String(),
      type: Type.String(),
      ref: Type.String(),
      note: Nullable(Type.String()),
      addedBy: Type.String(),
      addedAt: Timestamp,
    }),
  ),
  notes: Type.Array(Type.Object({ id: Type.String(), author: Type.String(), body: Type.String(), at: Timestamp })),
  timeline: Type.Array(
    Type.Object({ seq: Type.Integer(), type: Type.String(), actor: Type.String(), at: Timestamp, details: Json }),
  ),
  sla: SlaView,
});

export function caseSummaryView(c: CaseRecord) {
  const currency = c.amount === null ? undefined : findCurrency(c.amount.currency);
  const amount =
    c.amount === null
      ? null
      : {
          value: currency === undefined ? c.amount.minor.toString() : formatMajor(c.amount.minor, currency),
          currency: c.amount.currency,
        };
  return {
    id: c.id,
    kind: c.kind,
    queue: c.queue,
    title: c.title,
    dedupeKey: c.dedupeKey,
    subject: c.subject,
    customerId: c.customerId,
    severity: c.severity,
    amount,
    status: c.status,
    assignee: c.assignee,
    openedBy: c.openedBy,
    details: c.details,
    decision: c.decision,
    decidedBy: c.decidedBy,
    decidedAt: isoOrNull(c.decidedAt),
    pendingProposalId: c.pendingProposalId,
    breached: [...c.breached],
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}

const clockView = (clock: SlaClock) => ({ ...clock, dueAt: isoOrNull(clock.dueAt) });
const slaView = (sla: CaseSla | undefined) =>
  sla === undefined
    ? null
    : {
        calendar: sla.calendar,
        paused: sla.paused,
        firstResponse: clockView(sla.firstResponse),
        resolution: clockView(sla.resolution),
        ...(sla.update === undefined ? {} : { update: clockView(sla.update) }),
      };

export function caseView(detail: CaseDetail) {
  return {
    ...caseSummaryView(detail.case),
    evidence: detail.evidence.map((e) => ({ ...e, addedAt: iso(e.addedAt) })),
    notes: detail.notes.map((n) => ({ ...n, at: iso(n.at) })),
    timeline: detail.timeline.map((e) => ({
      seq: e.seq,
      type: e.type,
      actor: e.actor,
      at: iso(e.at),
      details: e.details,
    })),
    sla: slaView(detail.sla),
  };
}
