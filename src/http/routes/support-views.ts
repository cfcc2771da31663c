// How customer-service tickets look on the API: the ticket with its case status, deadlines, the
// conversation and the attachments' metadata (never their content), and a dispute's state.
import { Type } from 'typebox';
import type { CaseRecord, CaseSla } from '../../cases/index.ts';
import type { AttachmentMeta, Dispute, Message, Ticket } from '../../support/index.ts';
import { Nullable } from '../schemas.ts';

const Timestamp = Type.String({ description: 'ISO 8601 time' });
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : iso(ms));

export const DisputeView = Type.Object({
  caseId: Type.String(),
  paymentId: Type.String(),
  merchantId: Type.String(),
  reason: Type.String(),
  status: Type.String({ enum: ['needs_response', 'under_review', 'won', 'lost'] }),
  respondBy: Timestamp,
  respondedAt: Nullable(Timestamp),
  merchantText: Nullable(Type.String()),
});

export const TicketView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  category: Type.String(),
  status: Type.String(),
  decision: Nullable(Type.String()),
  paymentIds: Type.Array(Type.String()),
  satisfaction: Nullable(Type.Integer()),
  createdAt: Timestamp,
  resolutionDueAt: Nullable(Timestamp),
  messages: Type.Array(Type.Object({ id: Type.String(), from: Type.String(), body: Type.String(), at: Timestamp })),
  attachments: Type.Array(
    Type.Object({
      id: Type.String(),
      from: Type.String(),
      mediaType: Type.String(),
      sizeBytes: Type.Integer(),
      sha256: Type.String(),
      at: Timestamp,
    }),
  ),
  dispute: Nullable(DisputeView),
  proposalId: Type.Optional(Nullable(Type.String())),
});

export function disputeView(d: Dispute) {
  return {
    caseId: d.caseId,
    paymentId: d.paymentId,
    merchantId: d.merchantId,
    reason: d.reason,
    status: d.status,
    respondBy: iso(d.respondBy),
    respondedAt: isoOrNull(d.respondedAt),
    merchantText: d.merchantText,
  };
}

export function ticketView(
  ticket: Ticket,
  record: CaseRecord,
  parts: {
    messages: readonly Message[];
    attachments: readonly AttachmentMeta[];
    dispute: Dispute | undefined;
    sla: CaseSla | undefined;
  },
) {
  return {
    id: record.id,
    kind: record.kind,
    category: ticket.category,
    status: record.status,
    decision: record.decision,
    paymentIds: [...ticket.paymentIds],
    satisfaction: ticket.satisfaction,
    createdAt: iso(record.createdAt),
    resolutionDueAt: isoOrNull(parts.sla?.resolution.dueAt),
    messages: parts.messages.map((m) => ({ id: m.id, from: m.authorType, body: m.body, at: iso(m.at) })),
    attachments: parts.attachments.map((a) => ({
      id: a.id,
      from: a.authorType,
      mediaType: a.mediaType,
      sizeBytes: a.sizeBytes,
      sha256: a.sha256,
      at: iso(a.at),
    })),
    dispute: parts.dispute === undefined ? null : disputeView(parts.dispute),
  };
}

export const OperatorTicketView = Type.Object({
  ...TicketView.properties,
  history: Type.Object({
    tickets: Type.Array(
      Type.Object({ id: Type.String(), category: Type.String(), status: Type.String(), createdAt: Timestamp }),
    ),
    payments: Type.Array(
      Type.Object({
        id: Type.String(),
        kind: Type.String(),
        state: Type.String(),
        amountMinor: Type.String(),
        currency: Type.String(),
        direction: Type.String({ enum: ['out', 'in'] }),
        counterparty: Type.String({ description: 'masked id' }),
        createdAt: Timestamp,
      }),
    ),
  }),
});
