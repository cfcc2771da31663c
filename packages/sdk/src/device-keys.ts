// Customer device keys and what they sign: payment instructions, canonicalised with RFC 8785 (JCS)
// exactly as the server re-canonicalises them (src/payments/verify-instruction.ts), and login
// challenges ("anfu-login-v1|<challengeId>|<nonce>"). Signatures are DER, sent in base64. This file
// holds the P-256 key (profile `intl`) on WebCrypto; the SM2 key (profile `gm`) is in ./sm2.ts.
import type { webcrypto } from 'node:crypto';
import canonicalize from 'canonicalize';

export interface DeviceKey {
  readonly profile: 'intl' | 'gm';
  /** SubjectPublicKeyInfo PEM, what `POST /v1/me/device-certificate` certifies. */
  publicKeyPem(): Promise<string>;
  /** A DER signature over `data`. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export type InstructionKind = 'transfer' | 'order_payment' | 'collect_payment' | 'top_up' | 'withdrawal';

/** A type (not an interface) so it fits the document's open `instruction` object. */
export type Instruction = {
  readonly version: 1;
  readonly kind: InstructionKind;
  readonly payer: string;
  readonly device: string;
  /** transfer: payee wallet; order_payment: order id; collect_payment: request id; top_up/withdrawal: card id. */
  readonly target: string;
  readonly amount: string;
  readonly currency: string;
  readonly nonce: string;
  readonly timestamp: number;
  readonly memo?: string;
};

export interface SignedInstruction {
  readonly instruction: Instruction;
  readonly signature: string;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const base64url = (bytes: Uint8Array) => toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

export function pem(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** RFC 8785 canonical JSON: what the device signs and the server verifies. */
export function canonicalJson(value: object): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('the value cannot be canonicalised');
  return text;
}

/** An instruction with a fresh nonce and the device's time; sign it with `signInstruction`. */
export function newInstruction(
  fields: Omit<Instruction, 'version' | 'nonce' | 'timestamp'> & { timestamp?: number },
): Instruction {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  return { version: 1, ...fields, nonce, timestamp: fields.timestamp ?? Date.now() };
}

export async function signInstruction(key: DeviceKey, instruction: Instruction): Promise<SignedInstruction> {
  const signature = await key.sign(new TextEncoder().encode(canonicalJson(instruction)));
  return { instruction, signature: toBase64(signature) };
}

/** The answer to a `device_signature` login challenge, base64. */
export async function signLoginChallenge(key: DeviceKey, challengeId: string, nonce: string): Promise<string> {
  return toBase64(await key.sign(new TextEncoder().encode(`anfu-login-v1|${challengeId}|${nonce}`)));
}

/** DER INTEGER of an unsigned big-endian value. */
function derInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.slice(start);
  const body = (trimmed[0] ?? 0) & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed;
  return Uint8Array.of(0x02, body.length, ...body);
}

/** r ‖ s (what WebCrypto returns) → DER SEQUENCE { r, s } (what the server reads). */
export function derSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const content = Uint8Array.of(...derInteger(r), ...derInteger(s));
  return Uint8Array.of(0x30, content.length, ...content);
}

/** A P-256 device key on WebCrypto; pass `extractable: false` where the key never leaves the device. */
export async function generateP256DeviceKey(options: { extractable?: boolean } = {}): Promise<DeviceKey> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, options.extractable ?? false, [
    'sign',
    'verify',
  ]);
  return p256DeviceKey(pair);
}

export function p256DeviceKey(pair: webcrypto.CryptoKeyPair): DeviceKey {
  return {
    profile: 'intl',
    async publicKeyPem() {
      return pem('PUBLIC KEY', new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey)));
    },
    async sign(data) {
      // A copy with its own ArrayBuffer: what the DOM's BufferSource type takes (the web app builds this too).
      const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array(data)));
      return derSignature(raw.slice(0, 32), raw.slice(32));
    },
  };
}
