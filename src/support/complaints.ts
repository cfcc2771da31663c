// Complaints and tickets: opened by a customer (their own payments only) or by a service operator on
// a customer's behalf, worked as `complaint` cases. Messages both ways (a customer's answer resumes
// a case waiting on them), attachments, and a satisfaction score once it is decided.
import { newId } from '../ids.ts';
import { actorIdOf, addNote, getCase, openCase, setWaiting, type CaseActor, type CaseRecord } from '../cases/index.ts';
import { paymentById } from '../payments/index.ts';
import { checkAttachment, openAttachment, sealAttachment } from './attachments.ts';
import { auditSupport, notifyCustomer, refuse, type SupportContext, type SupportOutcome } from './context.ts';
import {
  disputeByCase,
  insertAttachment,
  insertMessage,
  insertTicket,
  sealedAttachment,
  setSatisfaction,
  ticketByCase,
  type TicketCategory,
} from './store.ts';
import { sanitisedText } from './text.ts';

export interface ComplaintInput {
  readonly customerId: string;
  readonly category: TicketCategory;
  readonly paymentIds: readonly string[];
  readonly text: string;
}

/** A payment is the customer's when they paid it or received it. */
export async function ownedPayment(ctx: SupportContext, customerId: string, paymentId: string) {
  const payment = await paymentById(ctx.store, paymentId);
  return payment !== undefined && (payment.payerId === customerId || payment.payeeId === customerId)
    ? payment
    : undefined;
}

export async function openComplaint(
  ctx: SupportContext,
  actor: CaseActor,
  input: ComplaintInput,
): Promise<SupportOutcome<CaseRecord>> {
  const text = sanitisedText(input.text);
  if (text === undefined) return refuse(ctx, actor, 'complaint.open', null, 'validation_failed');
  const paymentIds = [...new Set(input.paymentIds)];
  for (const id of paymentIds) {
    if ((await ownedPayment(ctx, input.customerId, id)) === undefined) {
      return refuse(ctx, actor, 'complaint.open', id, 'payment_not_owned');
    }
  }
  const now = ctx.clock();
  const openedBy =
    actor.type === 'customer'
      ? `customer:${actor.id}`
      : ((actor.type === 'operator' ? actor.principal?.id : undefined) ?? 'system:support');
  const record = await ctx.store.transaction(async (tx) => {
    const opened = await openCase(
      tx,
      {
        kind: 'complaint',
        dedupeKey: newId('cmp', now),
        title: `Complaint: ${input.category}`,
        subject: { type: 'customer', id: input.customerId },
        customerId: input.customerId,
        severity: 'medium',
        openedBy,
        evidence: paymentIds.map((ref) => ({ type: 'payment', ref })),
        details: { category: input.category },
      },
      now,
    );
    await insertTicket(tx, {
      caseId: opened.id,
      customerId: input.customerId,
      category: input.category,
      paymentIds,
      createdAt: now,
    });
    const author =
      actor.type === 'customer'
        ? { type: 'customer' as const, id: actor.id }
        : { type: 'operator' as const, id: openedBy };
    await insertMessage(tx, opened.id, author, text, now);
    await notifyCustomer(tx, opened.id, 'received', now);
    await auditSupport(
      tx,
      actor,
      'complaint.open',
      opened.id,
      { category: input.category, payments: paymentIds.length },
      now,
    );
    return opened;
  });
  return { ok: true, value: record };
}

/** The case, when it is this customer's ticket; undefined otherwise (another's looks like none). */
export async function customerCase(ctx: SupportContext, customerId: string, caseId: string) {
  const ticket = await ticketByCase(ctx.store, caseId);
  if (ticket === undefined || ticket.customerId !== customerId) return undefined;
  return getCase(ctx.store, caseId);
}

export async function customerMessage(
  ctx: SupportContext,
  customerId: string,
  caseId: string,
  body: string,
): Promise<SupportOutcome<string>> {
  const actor: CaseActor = { type: 'customer', id: customerId };
  const record = await customerCase(ctx, customerId, caseId);
  if (record === undefined) return refuse(ctx, actor, 'message', caseId, 'case_not_found');
  if (record.status === 'closed') return refuse(ctx, actor, 'message', caseId, 'case_closed');
  const text = sanitisedText(body);
  if (text === undefined) return refuse(ctx, actor, 'message', caseId, 'validation_failed');
  const now = ctx.clock();
  const id = await ctx.store.transaction(async (tx) => {
    const messageId = await insertMessage(tx, caseId, { type: 'customer', id: customerId }, text, now);
    // The customer answered: the clock runs again.
    if (record.status === 'waiting') await setWaiting(tx, caseId, false, actor, now);
    await auditSupport(tx, actor, 'message', caseId, { message: messageId, length: text.length }, now);
    return messageId;
  });
  return { ok: true, value: id };
}

/** An operator's reply: visible to the customer, a note on the case (the first response), optionally waiting on
 * them. */
export async function operatorReply(
  ctx: SupportContext,
  actor: CaseActor & { type: 'operator' | 'system' },
  caseId: string,
  body: string,
  waitForCustomer: boolean,
): Promise<SupportOutcome<string>> {
  const text = sanitisedText(body);
  if (text === undefined) return refuse(ctx, actor, 'reply', caseId, 'validation_failed');
  const ticket = await ticketByCase(ctx.store, caseId);
  if (ticket === undefined) return refuse(ctx, actor, 'reply', caseId, 'case_not_found');
  const now = ctx.clock();
  return ctx.store.transaction(async (tx) => {
    const messageId = await insertMessage(
      tx,
      caseId,
      { type: 'operator', id: actor.principal?.id ?? 'system' },
      text,
      now,
    );
    const noted = await addNote(tx, caseId, `reply ${messageId}`, actor, now);
    if (!noted.ok) throw new Error(noted.code);
    if (waitForCustomer) await setWaiting(tx, caseId, true, actor, now);
    await notifyCustomer(tx, caseId, 'operator_reply', now);
    await auditSupport(tx, actor, 'reply', caseId, { message: messageId, waiting: waitForCustomer }, now);
    return { ok: true, value: messageId } as const;
  });
}

export async function addAttachment(
  ctx: SupportContext,
  actor: CaseActor,
  caseId: string,
  upload: { mediaType: string; contentBase64: string },
): Promise<SupportOutcome<string>> {
  if (actor.type === 'customer' && (await customerCase(ctx, actor.id, caseId)) === undefined) {
    return refuse(ctx, actor, 'attachment', caseId, 'case_not_found');
  }
  if (actor.type === 'merchant' && (await disputeByCase(ctx.store, caseId))?.merchantId !== actor.id) {
    return refuse(ctx, actor, 'attachment', caseId, 'dispute_not_found');
  }
  const checked = checkAttachment(upload.mediaType, upload.contentBase64);
  if (!checked.ok)
    return refuse(ctx, actor, 'attachment', caseId, checked.code, { declared: upload.mediaType.slice(0, 64) });
  const now = ctx.clock();
  const id = newId('att', now);
  const { sealed, sha256 } = await sealAttachment(ctx.keyring, id, checked.bytes);
  const authorId = actorIdOf(actor);
  await ctx.store.transaction(async (tx) => {
    await insertAttachment(tx, {
      id,
      caseId,
      authorType: actor.type,
      authorId,
      mediaType: checked.type,
      sizeBytes: checked.bytes.length,
      sha256,
      sealed,
      at: now,
    });
    await auditSupport(
      tx,
      actor,
      'attachment',
      caseId,
      { attachment: id, type: checked.type, size: checked.bytes.length },
      now,
    );
  });
  return { ok: true, value: id };
}

export async function rateSatisfaction(
  ctx: SupportContext,
  customerId: string,
  caseId: string,
  score: number,
): Promise<SupportOutcome<number>> {
  const actor: CaseActor = { type: 'customer', id: customerId };
  const record = await customerCase(ctx, customerId, caseId);
  if (record === undefined) return refuse(ctx, actor, 'satisfaction', caseId, 'case_not_found');
  if (record.status !== 'decided' && record.status !== 'closed')
    return refuse(ctx, actor, 'satisfaction', caseId, 'case_not_decided');
  const now = ctx.clock();
  const rated = await ctx.store.transaction(async (tx) => {
    if (!(await setSatisfaction(tx, caseId, score))) return false;
    await auditSupport(tx, actor, 'satisfaction', caseId, { score }, now);
    return true;
  });
  return rated ? { ok: true, value: score } : refuse(ctx, actor, 'satisfaction', caseId, 'satisfaction_recorded');
}

/** An operator reads an attachment: decrypted for them, and the read is audited. */
export async function readAttachment(
  ctx: SupportContext,
  actor: CaseActor,
  caseId: string,
  attachmentId: string,
): Promise<SupportOutcome<{ mediaType: string; bytes: Buffer }>> {
  const stored = await sealedAttachment(ctx.store, caseId, attachmentId);
  if (stored === undefined) return refuse(ctx, actor, 'attachment.read', caseId, 'attachment_not_found');
  const bytes = await openAttachment(ctx.keyring, attachmentId, stored.sealed);
  const now = ctx.clock();
  await ctx.store.transaction((tx) =>
    auditSupport(tx, actor, 'attachment.read', caseId, { attachment: attachmentId }, now),
  );
  return { ok: true, value: { mediaType: stored.mediaType, bytes } };
}
