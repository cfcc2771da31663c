// The device key is taken from the certificate Node already parsed instead of being exported as SPKI PEM
// and imported again (the payments CPU profile of 2026-12-03). These properties pin that the outcome of
// verifying an instruction is exactly what the PEM round trip gave: same key, same accept and refuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { CryptoError, cryptoProfile } from '../crypto/index.ts';
import { createTestIdentity, instructionFor, signInstruction } from './testing.ts';
import type { TestCustomer } from './testing.ts';
import { verifyInstruction, type InstructionContext } from './verify-instruction.ts';

const intl = cryptoProfile('intl');
const spkiPem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;
const refusedWith = (code: string) => (e: unknown) => e instanceof CryptoError && e.code === code;

/** The pre-2026-12-03 path: SPKI PEM exported from the certificate's key, then imported by the profile. */
function keyByPemRoundTrip(certificatePem: string) {
  return intl.importPublicKey(spkiPem(new X509Certificate(certificatePem).publicKey));
}

async function setUp(): Promise<{ customers: TestCustomer[]; caPem: string }> {
  const identity = await createTestIdentity('intl');
  const customers: TestCustomer[] = [];
  for (let i = 0; i < 4; i += 1) customers.push(await identity.addCustomer());
  return { customers, caPem: await identity.deviceCaCertificatePem() };
}

function contextFor(who: TestCustomer, caPem: string, now: number): InstructionContext {
  return { profile: 'intl', timestampWindowMs: 300_000, now, device: who.device, caCertificatePem: caPem };
}

/** JCS of a flat object of strings and integers: keys in code-unit order, JSON values. */
function sortedJson(value: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))));
}

const index = fc.integer({ min: 0, max: 3 });

describe('device keys from the parsed certificate', () => {
  test('the KeyObject import is the PEM round trip\'s key and verifies exactly the same signatures', async () => {
    const { customers } = await setUp();
    await fc.assert(fc.asyncProperty(index, index, fc.uint8Array({ maxLength: 200 }), fc.boolean(),
      async (signerIndex, keyIndex, data, flip) => {
        const pem = customers[keyIndex]!.device.certificatePem!;
        const direct = intl.importPublicKeyObject(new X509Certificate(pem).publicKey);
        const roundTrip = keyByPemRoundTrip(pem);
        assert.equal(intl.exportPublicKey(direct), intl.exportPublicKey(roundTrip));
        const signature = intl.sign(customers[signerIndex]!.privateKey, data);
        if (flip) signature[signature.length - 1]! ^= 1;
        const expected = intl.verify(roundTrip, data, signature);
        assert.equal(intl.verify(direct, data, signature), expected);
        assert.equal(expected, !flip && signerIndex === keyIndex);
      }), { numRuns: 60 });
  });

  test('kind checks as importPublicKey: Ed25519 is intl, P-256 is not gm, private and RSA keys are refused', () => {
    const ed = generateKeyPairSync('ed25519');
    const edDirect = intl.exportPublicKey(intl.importPublicKeyObject(ed.publicKey));
    assert.equal(edDirect, intl.exportPublicKey(intl.importPublicKey(spkiPem(ed.publicKey))));
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const gm = cryptoProfile('gm');
    assert.throws(() => gm.importPublicKeyObject(p256.publicKey), refusedWith('crypto_unknown_algorithm'));
    assert.throws(() => gm.importPublicKey(spkiPem(p256.publicKey)), refusedWith('crypto_unknown_algorithm'));
    assert.throws(() => intl.importPublicKeyObject(p256.privateKey), refusedWith('crypto_malformed_key'));
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => intl.importPublicKeyObject(rsa.publicKey), refusedWith('crypto_unknown_algorithm'));
  });

  test('verifyInstruction decides as the PEM-imported key (honest, tampered, foreign)', async () => {
    const { customers, caPem } = await setUp();
    const now = Date.now();
    const modes = fc.constantFrom('honest', 'tampered', 'foreign');
    await fc.assert(fc.asyncProperty(index, index, modes, fc.integer({ min: 1, max: 99_999 }),
      async (payerIndex, otherIndex, mode, cents) => {
        const payer = customers[payerIndex]!;
        const target = customers[otherIndex]!.customer.id;
        const fields = { kind: 'transfer', target, amount: (cents / 100).toFixed(2) } as const;
        const instruction = instructionFor(payer, fields, now);
        const signer = mode === 'foreign' ? customers[(payerIndex + 1) % 4]! : payer;
        const signed = mode === 'tampered' ? { ...instruction, amount: `${instruction.amount}1` } : instruction;
        const signature = signInstruction('intl', signer, signed);
        const check = verifyInstruction(instruction, signature, contextFor(payer, caPem, now));
        const key = keyByPemRoundTrip(payer.device.certificatePem!);
        const canonical = Buffer.from(sortedJson(instruction), 'utf8');
        const expected = intl.verify(key, canonical, Buffer.from(signature, 'base64'));
        assert.equal(check.ok, expected);
        assert.equal(check.ok, mode === 'honest');
        if (!check.ok) assert.equal(check.code, 'signature_invalid');
      }), { numRuns: 60 });
  });

  test('another CA is device_certificate_invalid, an expired one certificate_expired', async () => {
    const { customers, caPem } = await setUp();
    const stranger = (await setUp()).customers[0]!;
    const now = Date.now();
    const device = { ...customers[0]!.device, certificatePem: stranger.device.certificatePem };
    const who = { ...customers[0]!, device };
    const payee = customers[1]!.customer.id;
    const instruction = instructionFor(who, { kind: 'transfer', target: payee, amount: '1.00' }, now);
    const forgedSignature = signInstruction('intl', stranger, instruction);
    const forged = verifyInstruction(instruction, forgedSignature, contextFor(who, caPem, now));
    assert.equal(forged.ok ? 'ok' : forged.code, 'device_certificate_invalid');
    const later = now + 2 * 365 * 86_400_000;
    const late = instructionFor(customers[2]!, { kind: 'transfer', target: payee, amount: '1.00' }, later);
    const lateSignature = signInstruction('intl', customers[2]!, late);
    const expired = verifyInstruction(late, lateSignature, contextFor(customers[2]!, caPem, later));
    assert.equal(expired.ok ? 'ok' : expired.code, 'certificate_expired');
  });
});
