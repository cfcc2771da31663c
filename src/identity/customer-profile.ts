// What a signed-in customer sees of their own identity (masked), and the class upgrade by adding
// an independent verification source such as a bank-card four-element check (R6.2).
import { AnfuError } from '../errors.ts';
import { newId } from '../ids.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { accountClassFor, accountClasses, type AccountClass } from './identity-verification.ts';
import { maskLegalName } from './masked-name.ts';
import { recordNotice, noticesOf } from './notices.ts';
import { maskPhoneNumber } from './phone-number.ts';
import type { CustomerPrincipal } from './sessions.ts';
import { customerById, customerWhere, insertVerification, passkeysOf, unusedRecoveryCodes, updateCustomer, verificationSources } from './store.ts';

export interface CustomerProfile {
  readonly customerId: string;
  readonly phone: string;
  readonly name: string;
  readonly accountClass: AccountClass;
  readonly verificationSources: readonly string[];
  readonly factors: { readonly totp: boolean; readonly passkeys: number; readonly recoveryCodes: number };
}

export async function customerProfile(identity: Identity, principal: CustomerPrincipal): Promise<CustomerProfile> {
  const customer = await customerById(identity.store, principal.customerId);
  if (customer === undefined) throw new AnfuError('unauthenticated');
  const { phone, name } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone', 'name']);
  return {
    customerId: customer.id,
    phone: phone === undefined ? '' : maskPhoneNumber(phone),
    name: name === undefined ? '' : maskLegalName(name),
    accountClass: customer.accountClass,
    verificationSources: await verificationSources(identity.store, customer.id),
    factors: { totp: customer.totpState === 'active', passkeys: (await passkeysOf(identity.store, customer.id)).length, recoveryCodes: await unusedRecoveryCodes(identity.store, customer.id) },
  };
}

export async function addVerificationSource(identity: Identity, principal: CustomerPrincipal, input: { source: string; evidence: Record<string, string> }, meta: RequestMeta): Promise<CustomerProfile> {
  const now = identity.clock();
  const verifier = identity.verifiers.find((v) => v.source === input.source && v.stage === 'upgrade');
  if (verifier === undefined) throw new AnfuError('verification_source_unknown', `known: ${identity.verifiers.filter((v) => v.stage === 'upgrade').map((v) => v.source).join(', ')}`);
  const customer = await customerById(identity.store, principal.customerId);
  if (customer === undefined) throw new AnfuError('unauthenticated');
  const { phone, name, idNumber } = await identity.protection.revealCustomer(customer.id, customer.row, ['phone', 'name', 'idNumber']);
  const result = await verifier.verify({ phone: phone ?? '', name: name ?? '', idNumber: idNumber ?? '', evidence: input.evidence });
  const byIdNumber = await identity.protection.lookupCustomer('idNumber', idNumber ?? '');
  const audit = { ...meta, deviceId: principal.deviceId };
  const refused = await identity.store.transaction(async (tx) => {
    if (!result.verified) {
      await auditCustomer(tx, customer.id, audit, [{ action: 'customer.verification.add', target: customer.id, outcome: 'failure', details: { source: input.source, reason: result.reason } }], now);
      return 'verification_failed' as const;
    }
    await insertVerification(tx, { id: newId('ver', now), customerId: customer.id, source: verifier.source, reference: result.reference, now });
    const earned = accountClassFor((await verificationSources(tx, customer.id)).length) ?? customer.accountClass;
    const upgraded = accountClasses.indexOf(earned) > accountClasses.indexOf(customer.accountClass);
    if (upgraded && (await customerWhere(tx, { sql: `${byIdNumber.sql} AND account_class = ?`, params: [...byIdNumber.params, earned] })) !== undefined) return 'identity_already_registered' as const;
    if (upgraded) await updateCustomer(tx, customer.id, { account_class: earned }, now);
    await auditCustomer(tx, customer.id, audit, [{ action: 'customer.verification.add', target: customer.id, outcome: 'success', details: { source: verifier.source, accountClass: upgraded ? earned : customer.accountClass } }], now);
    if (upgraded) await recordNotice(tx, customer.id, 'account_class_changed', { from: customer.accountClass, to: earned }, now);
    return undefined;
  });
  if (refused !== undefined) throw new AnfuError(refused);
  return customerProfile(identity, principal);
}

export async function listNotices(identity: Identity, principal: CustomerPrincipal, limit: number) {
  return noticesOf(identity.store, principal.customerId, limit);
}

