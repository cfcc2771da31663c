// The device key is taken from the certificate Node already parsed instead of being exported as SPKI PEM and
// imported again (the payments CPU profile of 2026-12-03). These properties pin that the outcome of
// verifying an instruction is exactly what the PEM round trip gave: same key, same accept and refuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { CryptoError, cryptoProfile } from '../crypto/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer, type TestIdentity } from './testing.ts';
import { verifyInstruction, type InstructionContext } from './verify-instruction.ts';

const intl = cryptoProfile('intl');

/** The pre-2026-12-03 path: SPKI PEM exported from the certificate's key, then imported by the profile. */
function keyByPemRoundTrip(certificatePem: string) {
  return intl.importPublicKey(new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'pem' }) as string);
}

async function setUp(): Promise<{ identity: TestIdentity; customers: TestCustomer[]; caPem: string }> {
  const identity = await createTestIdentity('intl');
  const customers: TestCustomer[] = [];
  for (let i = 0; i < 4; i += 1) customers.push(await identity.addCustomer());
  return { identity, customers, caPem: await identity.deviceCaCertificatePem() };
}

function contextFor(who: TestCustomer, caPem: string, now: number): InstructionContext {
  return { profile: 'intl', timestampWindowMs: 300_000, now, device: who.device, caCertificatePem: caPem };
}

describe('device keys from the parsed certificate', () => {
  test('the KeyObject import is the same key as the PEM round trip, and verifies exactly the same signatures', async () => {
    const { customers } = await setUp();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 200 }), fc.boolean(),
      async (signerIndex, keyIndex, data, flip) => {
        const signer = customers[signerIndex]!;
        const pem = customers[keyIndex]!.device.certificatePem!;
        const direct = intl.importPublicKeyObject(new X509Certificate(pem).publicKey);
        const roundTrip = keyByPemRoundTrip(pem);
        assert.equal(intl.exportPublicKey(direct), intl.exportPublicKey(roundTrip));
        const signature = intl.sign(signer.privateKey, data);
        if (flip) signature[signature.length - 1]! ^= 1;
        const expected = intl.verify(roundTrip, data, signature);
        assert.equal(intl.verify(direct, data, signature), expected);
        assert.equal(expected, !flip && signerIndex === keyIndex);
      }), { numRuns: 60 });
  });

  test('the kind checks are those of importPublicKey: Ed25519 is intl, P-256 is not gm, a private key is refused', () => {
    const ed = generateKeyPairSync('ed25519');
    assert.equal(intl.exportPublicKey(intl.importPublicKeyObject(ed.publicKey)), intl.exportPublicKey(intl.importPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }) as string)));
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => cryptoProfile('gm').importPublicKeyObject(p256.publicKey), (e: unknown) => e instanceof CryptoError && e.code === 'crypto_unknown_algorithm');
    assert.throws(() => cryptoProfile('gm').importPublicKey(p256.publicKey.export({ type: 'spki', format: 'pem' }) as string), (e: unknown) => e instanceof CryptoError && e.code === 'crypto_unknown_algorithm');
    assert.throws(() => intl.importPublicKeyObject(p256.privateKey), (e: unknown) => e instanceof CryptoError && e.code === 'crypto_malformed_key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => intl.importPublicKeyObject(rsa.publicKey), (e: unknown) => e instanceof CryptoError && e.code === 'crypto_unknown_algorithm');
  });

  test('verifyInstruction accepts and refuses as the PEM-imported key decides, for honest, tampered and foreign signatures', async () => {
    const { customers, caPem } = await setUp();
    const now = Date.now();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('honest', 'tampered', 'foreign'), fc.integer({ min: 1, max: 99_999 }),
      async (payerIndex, otherIndex, mode, cents) => {
        const payer = customers[payerIndex]!;
        const instruction = instructionFor(payer, { kind: 'transfer', target: customers[otherIndex]!.customer.id, amount: (cents / 100).toFixed(2) }, now);
        const signer = mode === 'foreign' ? customers[(payerIndex + 1) % 4]! : payer;
        const signed = mode === 'tampered' ? { ...instruction, amount: `${instruction.amount}1` } : instruction;
        const signature = signInstruction('intl', signer, signed);
        const check = verifyInstruction(instruction, signature, contextFor(payer, caPem, now));
        const expected = intl.verify(keyByPemRoundTrip(payer.device.certificatePem!), Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(instruction).sort(([a], [b]) => (a < b ? -1 : 1)))), 'utf8'), Buffer.from(signature, 'base64'));
        assert.equal(check.ok, expected);
        assert.equal(check.ok, mode === 'honest');
        if (!check.ok) assert.equal(check.code, 'signature_invalid');
      }), { numRuns: 60 });
  });

  test('a certificate from another CA stays device_certificate_invalid and an expired one certificate_expired', async () => {
    const { customers, caPem } = await setUp();
    const stranger = (await setUp()).customers[0]!;
    const now = Date.now();
    const who = { ...customers[0]!, device: { ...customers[0]!.device, certificatePem: stranger.device.certificatePem } };
    const instruction = instructionFor(who, { kind: 'transfer', target: customers[1]!.customer.id, amount: '1.00' }, now);
    const forged = verifyInstruction(instruction, signInstruction('intl', stranger, instruction), contextFor(who, caPem, now));
    assert.deepEqual(forged.ok ? 'ok' : forged.code, 'device_certificate_invalid');
    const later = now + 2 * 365 * 86_400_000;
    const late = instructionFor(customers[2]!, { kind: 'transfer', target: customers[1]!.customer.id, amount: '1.00' }, later);
    const expired = verifyInstruction(late, signInstruction('intl', customers[2]!, late), contextFor(customers[2]!, caPem, later));
    assert.deepEqual(expired.ok ? 'ok' : expired.code, 'certificate_expired');
  });
});
