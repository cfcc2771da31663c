// Signed payment instructions (R8.2): the instruction object is canonicalised with RFC 8785 (JCS), so
// the order of its fields does not matter; the device signature over those bytes is checked with the
// public key of the device certificate, which must be issued by the platform device CA, valid now,
// name the device, and belong to the payer. Timestamps outside the window are stale. The nonce is
// checked later, in the payment's own transaction (instruction_nonces' primary key).
import { X509Certificate, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import * as x509 from '@peculiar/x509';
import { cryptoProfile, type PublicKey } from '../crypto/index.ts';
import type { PaymentDevice } from './payment-identity.ts';

export const instructionKinds = ['transfer', 'order_payment', 'collect_payment', 'top_up', 'withdrawal'] as const;
export type InstructionKind = (typeof instructionKinds)[number];

export interface Instruction {
  readonly version: 1;
  readonly kind: InstructionKind;
  readonly payer: string;
  readonly device: string;
  /** transfer: the payee's wallet (customer id); order_payment: the order id; collect_payment: the request id; top_up and withdrawal: the card id. */
  readonly target: string;
  readonly amount: string;
  readonly currency: string;
  readonly nonce: string;
  /** Milliseconds since the epoch when the device signed. */
  readonly timestamp: number;
  readonly memo?: string;
}

export interface VerifiedInstruction {
  readonly instruction: Instruction;
  readonly canonicalJson: string;
  readonly signature: Buffer;
  readonly deviceCertificatePem: string;
  readonly caCertificatePem: string;
  /** When the signing device was enrolled (the device read for the check, kept so risk need not read it again). */
  readonly deviceEnrolledAt: number;
}

export type InstructionRefusal = 'instruction_invalid' | 'instruction_stale' | 'signature_invalid' | 'device_revoked' | 'device_certificate_invalid' | 'certificate_expired';

export type InstructionCheck = { readonly ok: true; readonly verified: VerifiedInstruction } | { readonly ok: false; readonly code: InstructionRefusal; readonly detail: string };

const noncePattern = /^[A-Za-z0-9_-]{16,64}$/;
const idPattern = /^[a-z]{2,8}_[0-9a-z]{26}$/;

/** Shape check of the parsed body (the HTTP schema does the same; the domain does not trust it). */
export function parseInstruction(value: unknown): Instruction | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const allowed = new Set(['version', 'kind', 'payer', 'device', 'target', 'amount', 'currency', 'nonce', 'timestamp', 'memo']);
  if (Object.keys(v).some((key) => !allowed.has(key))) return undefined;
  if (v.version !== 1 || !(instructionKinds as readonly unknown[]).includes(v.kind)) return undefined;
  for (const key of ['payer', 'device', 'target'] as const) if (typeof v[key] !== 'string' || !idPattern.test(v[key])) return undefined;
  if (typeof v.amount !== 'string' || v.amount.length > 40 || typeof v.currency !== 'string' || !/^[A-Z]{3}$/.test(v.currency)) return undefined;
  if (typeof v.nonce !== 'string' || !noncePattern.test(v.nonce)) return undefined;
  if (typeof v.timestamp !== 'number' || !Number.isSafeInteger(v.timestamp) || v.timestamp < 0) return undefined;
  if (v.memo !== undefined && (typeof v.memo !== 'string' || v.memo.length > 140)) return undefined;
  return v as unknown as Instruction;
}

export function canonicalJsonOf(instruction: object): string {
  const text = canonicalize(instruction);
  if (text === undefined) throw new Error('instruction cannot be canonicalised');
  return text;
}

/** SubjectPublicKeyInfo of a certificate as PEM (works for SM2 keys, which Node's KeyObject may not take). */
export function publicKeyPemOf(certificatePem: string): string {
  const der = Buffer.from(new x509.X509Certificate(certificatePem).publicKey.rawData);
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

/** What a certificate check learns that does not depend on the clock: parsed once per certificate. */
interface CheckedCertificate {
  readonly devicePem: string;
  readonly caPem: string;
  readonly profile: 'intl' | 'gm';
  /** Chain or subject refusal (not time-dependent), or undefined when the certificate is good. */
  readonly refusal: Refused | undefined;
  readonly validFromMs: number;
  readonly validToMs: number;
  readonly publicKey: PublicKey | undefined;
}

/**
 * Parsing a certificate, checking its chain and importing its key cost more than the signature check
 * itself, and a device sends many instructions with one certificate. Entries are keyed by device id
 * and reused only for the very same certificate and CA text (a reissued or rotated one is parsed
 * anew); revocation is the device's status, checked on every instruction; validity, on every use.
 */
const checkedCertificates = new Map<string, CheckedCertificate>();
const checkedCertificatesMax = 100_000;

/**
 * The certificate's key: for intl, the KeyObject Node parsed with the certificate (exporting it as SPKI PEM
 * and importing that again cost more than the chain check, in the payments profile of 2026-12-03); for
 * SM2, which Node's KeyObject may not take, the SPKI from @peculiar/x509 (slower, pure JS) as PEM.
 */
function publicKeyOf(profileName: 'intl' | 'gm', certificate: X509Certificate, devicePem: string): PublicKey | undefined {
  try {
    const profile = cryptoProfile(profileName);
    return profileName === 'intl' ? profile.importPublicKeyObject(certificate.publicKey) : profile.importPublicKey(publicKeyPemOf(devicePem));
  } catch {
    return undefined;
  }
}

/** The platform device CA, parsed once per PEM text (it changes only when the CA is rotated). */
let parsedCa: { readonly pem: string; readonly certificate: X509Certificate; readonly publicKey: KeyObject } | undefined;

function caCertificateOf(caPem: string): { readonly certificate: X509Certificate; readonly publicKey: KeyObject } {
  if (parsedCa?.pem !== caPem) {
    const certificate = new X509Certificate(caPem);
    parsedCa = { pem: caPem, certificate, publicKey: certificate.publicKey };
  }
  return parsedCa;
}

function checkCertificate(devicePem: string, caPem: string, deviceId: string, profileName: 'intl' | 'gm'): CheckedCertificate {
  const base = { devicePem, caPem, profile: profileName, validFromMs: 0, validToMs: 0, publicKey: undefined };
  let certificate: X509Certificate;
  let ca: { readonly certificate: X509Certificate; readonly publicKey: KeyObject };
  try {
    certificate = new X509Certificate(devicePem);
    ca = caCertificateOf(caPem);
  } catch {
    return { ...base, refusal: { ok: false, code: 'device_certificate_invalid', detail: 'the device certificate does not parse' } };
  }
  if (!certificate.checkIssued(ca.certificate) || !certificate.verify(ca.publicKey)) return { ...base, refusal: { ok: false, code: 'device_certificate_invalid', detail: 'the device certificate is not issued by the platform device CA' } };
  if (!certificate.subject.split('\n').includes(`CN=${deviceId}`)) return { ...base, refusal: { ok: false, code: 'device_certificate_invalid', detail: 'the device certificate names another device' } };
  return { ...base, refusal: undefined, validFromMs: Date.parse(certificate.validFrom), validToMs: Date.parse(certificate.validTo), publicKey: publicKeyOf(profileName, certificate, devicePem) };
}

function checkedCertificateOf(devicePem: string, caPem: string, deviceId: string, profileName: 'intl' | 'gm'): CheckedCertificate {
  const cached = checkedCertificates.get(deviceId);
  if (cached !== undefined && cached.devicePem === devicePem && cached.caPem === caPem && cached.profile === profileName) return cached;
  const checked = checkCertificate(devicePem, caPem, deviceId, profileName);
  if (checkedCertificates.size >= checkedCertificatesMax) checkedCertificates.clear();
  checkedCertificates.set(deviceId, checked);
  return checked;
}

export interface InstructionContext {
  readonly profile: 'intl' | 'gm';
  readonly timestampWindowMs: number;
  readonly now: number;
  readonly device: PaymentDevice | undefined;
  readonly caCertificatePem: string;
}

type Refused = Extract<InstructionCheck, { readonly ok: false }>;

/**
 * The CPU-heavy part of the check (certificate, validity, freshness, signature): plain data in and out,
 * nothing from the store, so it can run on a worker thread (signature-check-pool.ts) as well as here.
 */
export interface SignatureCheckRequest {
  readonly instruction: Instruction;
  readonly signatureBase64: string;
  readonly deviceId: string;
  readonly deviceCertificatePem: string;
  readonly caCertificatePem: string;
  readonly profile: 'intl' | 'gm';
  readonly timestampWindowMs: number;
  readonly now: number;
}

export type SignatureCheck = { readonly ok: true; readonly canonicalJson: string } | Refused;

/** Certificate (chain, subject, validity), freshness, then the signature over the canonical instruction. */
export function checkInstructionSignature(request: SignatureCheckRequest): SignatureCheck {
  const { instruction, now, timestampWindowMs } = request;
  const { deviceCertificatePem, caCertificatePem, deviceId, profile } = request;
  const certificate = checkedCertificateOf(deviceCertificatePem, caCertificatePem, deviceId, profile);
  if (certificate.refusal !== undefined) return certificate.refusal;
  if (now < certificate.validFromMs || now > certificate.validToMs) {
    return { ok: false, code: 'certificate_expired', detail: 'the device certificate is outside its validity period' };
  }
  if (Math.abs(now - instruction.timestamp) > timestampWindowMs) {
    return { ok: false, code: 'instruction_stale', detail: `the timestamp is more than ${timestampWindowMs} ms from the server clock` };
  }
  const signature = signatureBytesOf(request.signatureBase64);
  const canonicalJson = canonicalJsonOf(instruction);
  let valid = false;
  try {
    const key = certificate.publicKey;
    valid = signature.length > 0 && key !== undefined && cryptoProfile(profile).verify(key, Buffer.from(canonicalJson, 'utf8'), signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    return { ok: false, code: 'signature_invalid', detail: 'the signature does not verify over the canonical instruction' };
  }
  return { ok: true, canonicalJson };
}

function signatureBytesOf(signatureBase64: string): Buffer {
  const wellFormed = /^[A-Za-z0-9+/]{16,400}={0,2}$/.test(signatureBase64);
  return wellFormed ? Buffer.from(signatureBase64, 'base64') : Buffer.alloc(0);
}

/** What the main thread checks before the signature: shape, and the device read from the store (status, payer). */
export type PreparedCheck =
  | { readonly ok: true; readonly request: SignatureCheckRequest; readonly deviceEnrolledAt: number }
  | Refused;

export function prepareInstructionCheck(body: unknown, signatureBase64: string, context: InstructionContext): PreparedCheck {
  const instruction = parseInstruction(body);
  if (instruction === undefined) {
    return { ok: false, code: 'instruction_invalid', detail: 'the instruction does not have the documented shape' };
  }
  const { device } = context;
  if (device === undefined || device.id !== instruction.device || device.customerId !== instruction.payer) {
    return { ok: false, code: 'device_certificate_invalid', detail: 'no enrolled device of the payer has this id' };
  }
  if (device.status !== 'active') return { ok: false, code: 'device_revoked', detail: 'the device is revoked' };
  if (device.certificatePem === null) {
    return { ok: false, code: 'device_certificate_invalid', detail: 'the device holds no certificate' };
  }
  const request = {
    instruction, signatureBase64, deviceId: device.id, deviceCertificatePem: device.certificatePem,
    caCertificatePem: context.caCertificatePem, profile: context.profile, timestampWindowMs: context.timestampWindowMs,
    now: context.now,
  };
  return { ok: true, request, deviceEnrolledAt: device.createdAt };
}

/** The verdict from the prepared check and the signature check's outcome (wherever that ran). */
export function instructionCheckOf(
  prepared: Extract<PreparedCheck, { ok: true }>, check: SignatureCheck,
): InstructionCheck {
  if (!check.ok) return check;
  const { request } = prepared;
  const verified = {
    instruction: request.instruction, canonicalJson: check.canonicalJson,
    signature: signatureBytesOf(request.signatureBase64),
    deviceCertificatePem: request.deviceCertificatePem, caCertificatePem: request.caCertificatePem,
  };
  return { ok: true, verified: { ...verified, deviceEnrolledAt: prepared.deviceEnrolledAt } };
}

/** Verifies shape, device, certificate, freshness and signature; the nonce is the caller's (transactional) check. */
export function verifyInstruction(
  body: unknown, signatureBase64: string, context: InstructionContext,
): InstructionCheck {
  const prepared = prepareInstructionCheck(body, signatureBase64, context);
  return prepared.ok ? instructionCheckOf(prepared, checkInstructionSignature(prepared.request)) : prepared;
}

/** Checks the signature where `checks` runs it (a worker pool), or on this thread without one: the same verdicts. */
export async function verifyInstructionWith(
  checks: { check(request: SignatureCheckRequest): Promise<SignatureCheck> } | undefined,
  body: unknown, signatureBase64: string, context: InstructionContext,
): Promise<InstructionCheck> {
  if (checks === undefined) return verifyInstruction(body, signatureBase64, context);
  const prepared = prepareInstructionCheck(body, signatureBase64, context);
  return prepared.ok ? instructionCheckOf(prepared, await checks.check(prepared.request)) : prepared;
}
