// What customer service is given at wiring: the store, the ledger, the keyring (attachments), the
// case system, the clock, its settings and identity's session end (a claim's freeze). Also the few
// shared steps of its use cases: audit a support action or refusal, and post a customer-visible notice
// into the case's conversation.
import type { CaseActor, CasesContext } from '../cases/index.ts';
import { caseAuditEvent } from '../cases/index.ts';
import { appendAudit } from '../audit/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Queryable, Store, Tx } from '../store/index.ts';
import { insertMessage } from './store.ts';

export interface SupportSettings {
  /** Resolution deadline of complaints and claims (default 15 days, continuous). */
  readonly resolutionMs: number;
  /** How long a merchant has to answer a dispute (default 7 days). */
  readonly disputeResponseMs: number;
}

export const defaultSupportSettings: SupportSettings = {
  resolutionMs: 15 * 86_400_000,
  disputeResponseMs: 7 * 86_400_000,
};

export interface SupportContext {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly keyring: Keyring;
  readonly cases: CasesContext;
  readonly clock: () => number;
  readonly settings: SupportSettings;
  /** Identity's door, given at wiring: ends every live session of a customer in the caller's transaction. */
  readonly endCustomerSessions: (tx: Tx, customerId: string, reason: string, now: number) => Promise<number>;
}

export type SupportOutcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: string };

export async function auditSupport(
  tx: Queryable,
  actor: CaseActor,
  action: string,
  target: string | null,
  details: Record<string, unknown>,
  now: number,
): Promise<void> {
  await appendAudit(tx, [caseAuditEvent(actor, `support.${action}`, target, 'success', details)], now);
}

/** A refusal: audited in its own transaction, nothing else written. */
export async function refuse<T>(
  ctx: SupportContext,
  actor: CaseActor,
  action: string,
  target: string | null,
  code: string,
  details: Record<string, unknown> = {},
): Promise<SupportOutcome<T>> {
  const now = ctx.clock();
  await ctx.store.transaction((tx) =>
    appendAudit(tx, [caseAuditEvent(actor, `support.${action}`, target, 'denied', { ...details, reason: code })], now),
  );
  return { ok: false, code };
}

/** The customer's notice of a step, in the conversation they read (GET …/complaints/{id}). */
export async function notifyCustomer(tx: Queryable, caseId: string, step: string, now: number): Promise<void> {
  await insertMessage(tx, caseId, { type: 'system', id: `notice:${step}` }, noticeTexts[step] ?? step, now);
}

const noticeTexts: Readonly<Record<string, string>> = {
  received:
    '【安付】我们已收到您的投诉，将在规定时限内答复。We have your complaint and will answer within the deadline.',
  claim_received:
    '【安付】我们已收到您的未授权交易申诉，相关支付功能已冻结。Your claim is received; outgoing payments are frozen.',
  compensation_proposed:
    '【安付】该笔交易验证因素不足两种，已为您发起全额赔付，待复核。Full compensation has been proposed for review.',
  compensated: '【安付】赔付已入账。The compensation has been paid into your wallet.',
  claim_rejected: '【安付】经核查，您的申诉未获支持。Your claim was not upheld.',
  dispute_opened:
    '【安付】争议已提交，商户需在期限内答复。Your dispute is open; the merchant must answer by the deadline.',
  merchant_responded: '【安付】商户已提交答复，我们正在审核。The merchant answered; we are reviewing.',
  dispute_refunded:
    '【安付】争议已解决，款项已退回您的钱包。The dispute is resolved; the amount is back in your wallet.',
  dispute_rejected: '【安付】争议经审核未获支持。The dispute was not upheld.',
  operator_reply: '【安付】客服已回复您的工单。Customer service has replied.',
  decided: '【安付】您的工单已处理完毕，欢迎评价。Your ticket is resolved; please rate our service.',
};
