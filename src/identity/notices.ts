// Security notices to the customer (R3.8, guideline §3.3.4): stored for the API, and sent by SMS
// after the transaction commits. Other capabilities (payments: large payments) record theirs here.
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { insertNotice, noticesOf } from './store.ts';
export { noticesOf };

export const noticeKinds = ['new_device_login', 'password_changed', 'factor_added', 'factor_removed', 'device_revoked', 'session_reuse_detected', 'large_payment', 'account_class_changed', 'step_up_locked', 'sessions_ended'] as const;
export type NoticeKind = (typeof noticeKinds)[number];

export const noticeTexts: Readonly<Record<NoticeKind, string>> = {
  new_device_login: '【安付】您的账户在新设备上登录。如非本人操作，请立即修改密码并撤销该设备。',
  password_changed: '【安付】您的登录密码已修改。如非本人操作，请立即联系客服。',
  factor_added: '【安付】您的账户添加了新的验证方式。如非本人操作，请立即联系客服。',
  factor_removed: '【安付】您的账户移除了一种验证方式。如非本人操作，请立即联系客服。',
  device_revoked: '【安付】您的一台设备已被撤销，该设备上的登录已失效。',
  session_reuse_detected: '【安付】检测到登录凭证被重复使用，相关会话已注销。请检查您的设备安全。',
  large_payment: '【安付】您的账户发生一笔大额支付。如非本人操作，请立即联系客服。',
  account_class_changed: '【安付】您的支付账户类别已变更。',
  step_up_locked: '【安付】一笔支付的验证码多次输入错误，该笔支付已取消。如非本人操作，请立即修改密码并联系客服。',
  sessions_ended: '【安付】为保护您的账户，您在所有设备上的登录已注销，请重新登录。',
};

/** Records a notice in `tx`; returns the kind so the caller can send the SMS after commit. */
export async function recordNotice(tx: Tx, customerId: string, kind: NoticeKind, details: Record<string, unknown>, now: number): Promise<NoticeKind> {
  await insertNotice(tx, { id: newId('ntc', now), customerId, kind, details, now });
  return kind;
}

/** After commit: the SMS copy of each notice. A failed send is logged by the caller, never undone. */
export async function deliverNotices(identity: Pick<import('./identity.ts').Identity, 'sms' | 'protection'>, customer: import('./store.ts').CustomerRow, kinds: readonly NoticeKind[]): Promise<void> {
  if (kinds.length === 0) return;
  const { phone } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone']);
  if (phone === undefined) return;
  for (const kind of kinds) await identity.sms.send({ to: phone, text: noticeTexts[kind], purpose: `notice:${kind}` });
}
