// Registration with real-name verification (R3.1): the phone is proven by an SMS code, the name and
// resident ID number pass the format rules and the configured verification sources, whose count sets
// the wallet class (R6.2). One person may hold at most one wallet of each class. The customer is
// signed in on the registering device with two factors (password + SMS).
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { networksOf } from '../risk/index.ts';
import { auditCustomer } from './customer-audit.ts';
import { deviceFingerprint, deviceLabel, type DeviceAttributes } from './device-fingerprint.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { accountClassFor, type AccountClass, type IdentityClaim } from './identity-verification.ts';
import { parseLegalName } from './legal-name.ts';
import { hashPassword } from './password-hashing.ts';
import { checkPassword, passwordProblemText } from './password-policy.ts';
import { parsePhoneNumber } from './phone-number.ts';
import { adultAgeYears, ageOn, parseResidentId } from './resident-id.ts';
import { createSession, type IssuedSession } from './sessions.ts';
import { checkSmsCode } from './sms-codes.ts';
import { customerWhere, insertCustomer, insertDevice, insertLoginHistory, insertVerification } from './store.ts';

export interface RegistrationInput {
  readonly phone: string;
  readonly smsCodeId: string;
  readonly smsCode: string;
  readonly name: string;
  readonly idNumber: string;
  readonly password: string;
  readonly device: DeviceAttributes;
}

export interface Registered {
  readonly customerId: string;
  readonly accountClass: AccountClass;
  readonly verificationSources: readonly string[];
  readonly session: IssuedSession;
}

/** Format rules first: nothing is stored or spent for a request that is malformed. */
export function validateRegistration(input: RegistrationInput, now: number): { phone: string; name: string; idNumber: string; password: string } {
  const phone = parsePhoneNumber(input.phone);
  if (phone === undefined) throw new AnfuError('phone_number_invalid');
  const name = parseLegalName(input.name);
  if (name === undefined) throw new AnfuError('name_invalid', 'use the name as printed on the resident ID card');
  const id = parseResidentId(input.idNumber, now);
  if (typeof id === 'string') throw new AnfuError('id_number_invalid', `failed check: ${id}`);
  if (ageOn(id.birthDate, now) < adultAgeYears) throw new AnfuError('customer_underage');
  const verdict = checkPassword(input.password, { phone, idNumber: id.number });
  if (!verdict.ok) throw new AnfuError('password_rejected', passwordProblemText[verdict.problem], { reason: verdict.problem });
  return { phone, name, idNumber: id.number, password: verdict.password };
}

interface IdentityChecks {
  readonly verified: Array<{ source: string; reference: string }>;
  readonly refusals: Array<'mismatch' | 'no_record' | 'unavailable' | 'evidence_missing'>;
}

/** Runs the registration-stage sources (network calls: outside any transaction). */
async function verifyIdentity(identity: Identity, claim: IdentityClaim): Promise<IdentityChecks> {
  const checks: IdentityChecks = { verified: [], refusals: [] };
  for (const verifier of identity.verifiers.filter((v) => v.stage === 'registration')) {
    const result = await verifier.verify(claim);
    if (result.verified) checks.verified.push({ source: verifier.source, reference: result.reference });
    else checks.refusals.push(result.reason);
  }
  return checks;
}

type IdentityRefusal = 'identity_mismatch' | 'identity_verification_unavailable' | 'identity_not_verified';

/** A source contradicting the claim refuses it outright; otherwise too few sources: "not verified" or "try later". */
function identityRefusal(checks: IdentityChecks): IdentityRefusal | undefined {
  if (checks.refusals.includes('mismatch')) return 'identity_mismatch';
  if (accountClassFor(checks.verified.length) !== undefined) return undefined;
  return checks.refusals.includes('unavailable') ? 'identity_verification_unavailable' : 'identity_not_verified';
}

/** Sanctions screening (when wired): a hit refuses the registration, audited like other refusals. */
async function screenApplicant(identity: Identity, applicant: { customerId: string; name: string; idNumber: string },
  meta: RequestMeta, now: number): Promise<void> {
  if (identity.screenApplicant === undefined) return;
  const id = parseResidentId(applicant.idNumber, now);
  const b = typeof id === 'string' ? undefined : id.birthDate;
  const two = (n: number) => String(n).padStart(2, '0');
  const birthDate = b === undefined ? '' : `${b.year}-${two(b.month)}-${two(b.day)}`;
  try {
    await identity.screenApplicant({ registrationId: applicant.customerId, name: applicant.name, birthDate });
  } catch (error) {
    const reason = error instanceof AnfuError ? error.code : 'screening_failed';
    const denied = { action: 'customer.register', target: null, outcome: 'denied' as const, details: { reason } };
    await identity.store.transaction((tx) => auditCustomer(tx, null, meta, [denied], now));
    throw error;
  }
}

/** Risk's block list by ID-number hash (when wired): a listed number opens no wallet, audited like refusals. */
async function refuseBlockedIdNumber(identity: Identity, indexes: readonly Buffer[], meta: RequestMeta, now: number) {
  if (identity.idNumberBlocked === undefined) return;
  if (!(await identity.idNumberBlocked(indexes.map((index) => index.toString('hex'))))) return;
  const details = { reason: 'risk_denied' };
  const denied = { action: 'customer.register', target: null, outcome: 'denied' as const, details };
  await identity.store.transaction((tx) => auditCustomer(tx, null, meta, [denied], now));
  throw new AnfuError('risk_denied', 'this registration was refused; contact customer service');
}

export async function registerCustomer(identity: Identity, input: RegistrationInput, meta: RequestMeta): Promise<Registered> {
  const now = identity.clock();
  const valid = validateRegistration(input, now);
  const phoneIndexes = await identity.protection.phoneIndexCandidates(valid.phone);
  const sms = await identity.store.transaction(async (tx) => {
    const check = await checkSmsCode(identity, tx, { codeId: input.smsCodeId, phoneIndexes, purpose: 'registration', code: input.smsCode }, now);
    if (!check.ok) await auditCustomer(tx, null, meta, [{ action: 'customer.register', target: null, outcome: 'failure', details: { reason: `sms_code_${check.reason}` } }], now);
    return check;
  });
  if (!sms.ok) throw new AnfuError('code_invalid');
  const checks = await verifyIdentity(identity, { name: valid.name, idNumber: valid.idNumber, phone: valid.phone });
  const sources = checks.verified;
  const accountClass = accountClassFor(sources.length);
  const refusal = identityRefusal(checks);
  if (refusal !== undefined || accountClass === undefined) {
    const reason = refusal ?? 'identity_not_verified';
    const denied = { action: 'customer.register', target: null, outcome: 'denied' as const, details: { reason } };
    await identity.store.transaction((tx) => auditCustomer(tx, null, meta, [denied], now));
    throw new AnfuError(reason);
  }
  const customerId = newId('cus', now);
  await screenApplicant(identity, { customerId, name: valid.name, idNumber: valid.idNumber }, meta, now);
  const sealed = await identity.protection.protectCustomer(customerId, { phone: valid.phone, name: valid.name, idNumber: valid.idNumber });
  const byPhone = await identity.protection.lookupCustomer('phone', valid.phone);
  const byIdNumber = await identity.protection.lookupCustomer('idNumber', valid.idNumber);
  await refuseBlockedIdNumber(identity, byIdNumber.params, meta, now);
  const passwordHash = await hashPassword(valid.password, identity.argon2);
  const outcome = await identity.store.transaction(async (tx) => {
    if ((await customerWhere(tx, byPhone)) !== undefined) return 'phone_already_registered' as const;
    if ((await customerWhere(tx, { sql: `${byIdNumber.sql} AND account_class = ?`, params: [...byIdNumber.params, accountClass] })) !== undefined) return 'identity_already_registered' as const;
    await insertCustomer(tx, { id: customerId, sealed, accountClass, passwordHash, now });
    for (const source of sources) await insertVerification(tx, { id: newId('ver', now), customerId, source: source.source, reference: source.reference, now });
    await identity.rateRegistered?.(tx, { customerId, idNumber: valid.idNumber, now });
    const deviceId = newId('dev', now);
    await insertDevice(tx, { id: deviceId, customerId, fingerprintHash: deviceFingerprint(identity.profile, input.device, meta.userAgent), label: deviceLabel(meta.userAgent, input.device), now });
    const networks = networksOf(meta.ip);
    await insertLoginHistory(tx, { customerId, deviceId, ip: meta.ip, network: networks === undefined ? null : `${networks.network} ${networks.region}`, outcome: 'success', at: now });
    const session = await createSession(identity, tx, { customerId, deviceId, factors: ['password', 'sms'], deviceSigned: false, ip: meta.ip }, now);
    await auditCustomer(tx, customerId, { ...meta, deviceId }, [
      { action: 'customer.register', target: customerId, outcome: 'success', details: { accountClass, sources: sources.map((s) => s.source) } },
      { action: 'customer.session.create', target: session.sessionId, outcome: 'success', details: { factors: session.factors } },
    ], now);
    return session;
  });
  if (typeof outcome === 'string') {
    await identity.store.transaction((tx) => auditCustomer(tx, null, meta, [{ action: 'customer.register', target: null, outcome: 'denied', details: { reason: outcome } }], now));
    throw new AnfuError(outcome);
  }
  return { customerId, accountClass, verificationSources: sources.map((s) => s.source), session: outcome };
}
