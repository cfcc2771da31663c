// SMS one-time codes (R3.3): 6 digits, valid `smsCodeTtlMs`, spent after `smsCodeAttemptsMax` wrong
// entries, at most one per `smsResendIntervalMs` and `smsCodesPerHourMax` per hour for a number and
// purpose. Codes are kept only as a hash bound to their id. For purposes other than registration the
// reply is the same whether or not the number belongs to a customer (no enumeration).
import { randomInt, timingSafeEqual } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Tx } from '../store/index.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { parsePhoneNumber } from './phone-number.ts';
import { countSmsAttempt, consumeSmsCode, customerWhere, insertSmsCode, recentSmsCodes, smsCodeById } from './store.ts';

export const smsCodesPerHourMax = 5;
export type SmsPurpose = 'registration' | 'login' | 'password_reset';

const messages: Readonly<Record<SmsPurpose, string>> = {
  registration: '【安付】注册验证码 {code}，5分钟内有效。请勿告诉他人。',
  login: '【安付】登录验证码 {code}，5分钟内有效。如非本人操作请忽略并修改密码。',
  password_reset: '【安付】重置密码验证码 {code}，5分钟内有效。请勿告诉他人。',
};

export function smsCodeHash(identity: Pick<Identity, 'profile'>, id: string, code: string): Buffer {
  return identity.profile.hash(Buffer.from(`anfu sms v1|${id}|${code}`, 'utf8'));
}

export interface SentSmsCode {
  readonly codeId: string;
  readonly expiresAt: number;
}

/** Issues a code to `phoneIndex` (the blind index); `deliver` false keeps the reply but sends nothing. */
export async function issueSmsCode(identity: Identity, input: { phone: string; phoneIndex: Buffer; purpose: SmsPurpose; deliver: boolean; customerId: string | null }, meta: RequestMeta): Promise<SentSmsCode> {
  const { config, store } = identity;
  const now = identity.clock();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const codeId = newId('sms', now);
  const refused = await store.transaction(async (tx) => {
    const recent = await recentSmsCodes(tx, [input.phoneIndex], input.purpose, now - 3600_000);
    const last = recent[0];
    if ((last !== undefined && now - last.createdAt < config.smsResendIntervalMs) || recent.length >= smsCodesPerHourMax) {
      await auditCustomer(tx, input.customerId, meta, [{ action: 'customer.sms_code.send', target: null, outcome: 'denied', details: { purpose: input.purpose, reason: 'throttled' } }], now);
      return { retryAfterMs: last === undefined ? 3600_000 : Math.max(1000, config.smsResendIntervalMs - (now - last.createdAt)) };
    }
    await insertSmsCode(tx, { id: codeId, purpose: input.purpose, phoneIndex: input.phoneIndex, codeHash: smsCodeHash(identity, codeId, code), createdAt: now, expiresAt: now + config.smsCodeTtlMs });
    await auditCustomer(tx, input.customerId, meta, [{ action: 'customer.sms_code.send', target: codeId, outcome: 'success', details: { purpose: input.purpose } }], now);
    return undefined;
  });
  if (refused !== undefined) throw new AnfuError('sms_throttled', undefined, { retryAfterSeconds: Math.ceil(refused.retryAfterMs / 1000) });
  if (input.deliver) await identity.sms.send({ to: input.phone, text: messages[input.purpose].replace('{code}', code), purpose: input.purpose });
  return { codeId, expiresAt: now + config.smsCodeTtlMs };
}

export type SmsCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'spent' | 'wrong' };

/**
 * Checks and spends a code in `tx`. A wrong code counts an attempt; the caller must commit that even
 * when it then refuses the request (so it returns the outcome rather than throwing).
 */
export async function checkSmsCode(identity: Identity, tx: Tx, input: { codeId: string; phoneIndexes: readonly Buffer[]; purpose: SmsPurpose; code: string }, now: number): Promise<SmsCheck> {
  const row = await smsCodeById(tx, input.codeId);
  if (row === undefined || row.purpose !== input.purpose || !input.phoneIndexes.some((index) => index.equals(row.phoneIndex))) return { ok: false, reason: 'unknown' };
  if (row.consumedAt !== null || row.attempts >= identity.config.smsCodeAttemptsMax) return { ok: false, reason: 'spent' };
  if (row.expiresAt <= now) return { ok: false, reason: 'expired' };
  const expected = smsCodeHash(identity, row.id, input.code);
  if (!/^[0-9]{6}$/.test(input.code) || !timingSafeEqual(expected, row.codeHash)) {
    await countSmsAttempt(tx, row.id);
    return { ok: false, reason: 'wrong' };
  }
  return (await consumeSmsCode(tx, row.id, now)) === 1 ? { ok: true } : { ok: false, reason: 'spent' };
}

/** POST /v1/sms-codes: the phone is validated; for login and reset the reply never says whether it is known. */
export async function requestSmsCode(identity: Identity, input: { phone: string; purpose: 'registration' | 'password_reset' }, meta: RequestMeta): Promise<SentSmsCode> {
  const phone = parsePhoneNumber(input.phone);
  if (phone === undefined) throw new AnfuError('phone_number_invalid');
  const phoneIndex = await identity.protection.phoneIndex(phone);
  const known = input.purpose === 'registration' ? undefined : await customerWhere(identity.store, await identity.protection.lookupCustomer('phone', phone));
  const customerId = known?.id ?? null;
  return issueSmsCode(identity, { phone, phoneIndex, purpose: input.purpose, deliver: input.purpose === 'registration' || customerId !== null, customerId }, meta);
}
