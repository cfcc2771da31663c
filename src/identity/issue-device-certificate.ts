// Device keys and certificates (R3.5): the device makes its key pair (P-256 under intl, SM2 under gm)
// and sends the public key; after a second factor the platform CA certifies it for this session's
// device. Payment instructions and step-up challenges are then signed by the device
// (`verifyDeviceSignature`), which refuses at once a revoked device or a certificate of another CA.
import { createPublicKey } from 'node:crypto';
import { AnfuError } from '../errors.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { recordFactorChange, requireFreshStepUp } from './factor-changes.ts';
import type { CustomerPrincipal } from './sessions.ts';
import { customerById, deviceById, setDeviceCertificate } from './store.ts';

export interface IssuedDeviceCertificate {
  readonly deviceId: string;
  readonly certificatePem: string;
  readonly caCertificatePem: string;
  readonly serial: string;
}

/** The SPKI DER of a PEM public key the profile can verify with; undefined for anything else. */
function deviceKeySpki(identity: Identity, publicKeyPem: string): Buffer | undefined {
  try {
    identity.profile.importPublicKey(publicKeyPem);
    return createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

export async function issueDeviceCertificate(identity: Identity, principal: CustomerPrincipal, publicKeyPem: string, meta: RequestMeta): Promise<IssuedDeviceCertificate> {
  await requireFreshStepUp(identity, principal, meta, 'device_certificate.add');
  const now = identity.clock();
  const spki = deviceKeySpki(identity, publicKeyPem);
  if (spki === undefined) throw new AnfuError('device_key_invalid', `send an SPKI PEM public key for ${identity.profile.signatureAlgorithms[0] ?? 'the profile'}`);
  const issued = await identity.ca.issue(principal.deviceId, spki, now);
  const changed = await identity.store.transaction(async (tx) => {
    const count = await setDeviceCertificate(tx, principal.deviceId, { publicKeyPem: identity.profile.exportPublicKey(identity.profile.importPublicKey(publicKeyPem)), certificatePem: issued.certificatePem, serial: issued.serial });
    await auditCustomer(tx, principal.customerId, { ...meta, deviceId: principal.deviceId }, [{ action: 'customer.device.certify', target: principal.deviceId, outcome: count === 1 ? 'success' : 'failure', details: { serial: issued.serial } }], now);
    if (count === 1) await recordNotice(tx, principal.customerId, 'factor_added', { factor: 'device_certificate', deviceId: principal.deviceId }, now);
    if (count === 1) await recordFactorChange(tx, principal, 2, now);
    return count;
  });
  if (changed !== 1) throw new AnfuError('device_revoked');
  const customer = await customerById(identity.store, principal.customerId);
  if (customer !== undefined) await deliverNotices(identity, customer, ['factor_added']);
  return { deviceId: principal.deviceId, certificatePem: issued.certificatePem, caCertificatePem: identity.ca.certificatePem, serial: issued.serial };
}

export type DeviceSignatureCheck = { readonly ok: true; readonly deviceId: string } | { readonly ok: false; readonly reason: 'unknown_device' | 'revoked' | 'foreign_certificate' | 'bad_signature' };

/**
 * Verifies a device signature over `data`. With a certificate, it must be ours (issued by the platform
 * CA, in validity) and name the device's current serial; the key used is the one on record.
 */
export async function verifyDeviceSignature(identity: Identity, input: { customerId: string; deviceId: string; data: Uint8Array; signature: Uint8Array; certificatePem?: string }): Promise<DeviceSignatureCheck> {
  const device = await deviceById(identity.store, input.deviceId);
  if (device === undefined || device.customerId !== input.customerId || device.publicKeyPem === null) return { ok: false, reason: 'unknown_device' };
  if (device.status !== 'active') return { ok: false, reason: 'revoked' };
  if (input.certificatePem !== undefined) {
    const issued = await identity.ca.issued(input.certificatePem, identity.clock());
    if (issued === undefined || issued.serial !== device.certificateSerial) return { ok: false, reason: 'foreign_certificate' };
  }
  const ok = identity.profile.verify(publicKeyOf(identity, device.publicKeyPem), input.data, input.signature);
  return ok ? { ok: true, deviceId: device.id } : { ok: false, reason: 'bad_signature' };
}

const publicKeys = new Map<string, ReturnType<Identity['profile']['importPublicKey']>>();

/** Parsed keys are cached by PEM: parsing costs more than verifying. */
function publicKeyOf(identity: Identity, pem: string): ReturnType<Identity['profile']['importPublicKey']> {
  let key = publicKeys.get(pem);
  if (key === undefined) {
    key = identity.profile.importPublicKey(pem);
    if (publicKeys.size > 10_000) publicKeys.clear();
    publicKeys.set(pem, key);
  }
  return key;
}
