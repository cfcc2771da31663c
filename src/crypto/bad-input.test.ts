// The "Bad input" rules, for both profiles: tampered ciphertext/tag/AAD, wrong key, truncated
// signature, malformed PEM, unknown algorithm → a typed CryptoError (or false from verify), never a
// crash and never part of a plaintext.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { cryptoProfile, CryptoError, profileNames } from './index.ts';
import type { CryptoErrorCode, PrivateKey, SecretKey } from './index.ts';
import { derToPem, encodeSequence, encodeTlv } from './der.ts';
import { sm2Curve } from './sm2-curve.ts';
import { isProblemCode } from '../errors.ts';

function throwsCode(operation: () => unknown, code: CryptoErrorCode): void {
  assert.throws(operation, (error: unknown) => error instanceof CryptoError && error.code === code);
}

function flip(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x80;
  return copy;
}

for (const name of profileNames) {
  const profile = cryptoProfile(name);
  const otherProfile = cryptoProfile(name === 'intl' ? 'gm' : 'intl');

  describe(`${name}: bad input`, () => {
    test('every single-byte change of a sealed value, its AAD, or its key fails to open as a typed error', () => {
      const key = profile.generateSealKey();
      const aad = Buffer.from('customer 7 / phone');
      const plaintext = Buffer.from('13800138000');
      const sealed = profile.seal(key, plaintext, aad);
      for (let index = 0; index < sealed.length; index += 1) {
        throwsCode(() => profile.open(key, flip(sealed, index), aad), index === 0 ? 'crypto_unknown_algorithm' : 'crypto_decrypt_failed');
      }
      throwsCode(() => profile.open(key, sealed, flip(aad, 3)), 'crypto_decrypt_failed');
      throwsCode(() => profile.open(key, sealed), 'crypto_decrypt_failed');
      throwsCode(() => profile.open(profile.generateSealKey(), sealed, aad), 'crypto_decrypt_failed');
      assert.deepEqual(profile.open(key, sealed, aad), plaintext);
    });

    test('truncated and empty sealed values fail; a value of the other profile is an unknown algorithm', () => {
      const key = profile.generateSealKey();
      const sealed = profile.seal(key, randomBytes(64));
      for (let length = 1; length < sealed.length; length += 1) {
        throwsCode(() => profile.open(key, sealed.subarray(0, length)), 'crypto_decrypt_failed');
      }
      throwsCode(() => profile.open(key, Buffer.alloc(0)), 'crypto_unknown_algorithm');
      throwsCode(() => profile.open(key, Buffer.from([0x7f, ...sealed.subarray(1)])), 'crypto_unknown_algorithm');
      throwsCode(() => profile.open(key, otherProfile.seal(otherProfile.generateSealKey(), Buffer.from('x'))), 'crypto_unknown_algorithm');
      throwsCode(() => profile.open(profile.generateMacKey(), sealed), 'crypto_key_mismatch');
      throwsCode(() => profile.seal(otherProfile.generateSealKey(), Buffer.from('x')), 'crypto_key_mismatch');
    });

    test('hybrid decryption: tampering, truncation, a wrong key and an unknown tag are typed errors', () => {
      const pair = profile.generateEncryptionKeyPair();
      const ciphertext = profile.encryptTo(pair.publicKey, Buffer.from('data key bytes'));
      for (const index of [1, 2, 40, 70, 80, ciphertext.length - 1]) {
        throwsCode(() => profile.decryptWith(pair.privateKey, flip(ciphertext, index)), 'crypto_decrypt_failed');
      }
      for (const length of [1, 2, 30, 66, 97, ciphertext.length - 1]) {
        throwsCode(() => profile.decryptWith(pair.privateKey, ciphertext.subarray(0, length)), 'crypto_decrypt_failed');
      }
      throwsCode(() => profile.decryptWith(profile.generateEncryptionKeyPair().privateKey, ciphertext), 'crypto_decrypt_failed');
      throwsCode(() => profile.decryptWith(pair.privateKey, Buffer.from([0x55, ...ciphertext.subarray(1)])), 'crypto_unknown_algorithm');
      assert.deepEqual(profile.decryptWith(pair.privateKey, ciphertext), Buffer.from('data key bytes'));
    });

    test('verify returns false for truncated, extended, garbage and empty signatures', () => {
      for (const algorithm of profile.signatureAlgorithms) {
        const pair = profile.generateSigningKeyPair(algorithm);
        const message = Buffer.from('statement line 1');
        const signature = profile.sign(pair.privateKey, message);
        for (let length = 0; length < signature.length; length += 1) {
          assert.equal(profile.verify(pair.publicKey, message, signature.subarray(0, length)), false, `${algorithm} prefix ${length}`);
        }
        assert.equal(profile.verify(pair.publicKey, message, Buffer.concat([signature, Buffer.from([0])])), false);
        for (let attempt = 0; attempt < 50; attempt += 1) {
          assert.equal(profile.verify(pair.publicKey, message, randomBytes(attempt + 8)), false);
        }
        assert.equal(profile.verify(pair.publicKey, message, flip(signature, signature.length - 1)), false);
        assert.equal(profile.verify(pair.publicKey, message, signature), true);
      }
    });

    test('malformed PEM and keys of other kinds are typed errors', () => {
      const pair = profile.generateSigningKeyPair();
      const goodPrivate = profile.exportPrivateKey(pair.privateKey);
      const goodPublic = profile.exportPublicKey(pair.publicKey);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      for (const bad of ['', 'not a key', goodPublic, goodPrivate.replace('M', '*'), goodPrivate.slice(0, 60) + '\n-----END PRIVATE KEY-----\n',
        derToPem(Buffer.from([0x30, 0x03, 0x02, 0x01]), 'PRIVATE KEY'), 42 as unknown as string]) {
        throwsCode(() => profile.importPrivateKey(bad), 'crypto_malformed_key');
      }
      throwsCode(() => profile.importPublicKey(goodPrivate), 'crypto_malformed_key');
      throwsCode(() => profile.importPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), 'crypto_unknown_algorithm');
      throwsCode(() => profile.importPublicKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string), 'crypto_unknown_algorithm');
      const foreign = otherProfile.generateSigningKeyPair();
      throwsCode(() => profile.importPrivateKey(otherProfile.exportPrivateKey(foreign.privateKey)), 'crypto_unknown_algorithm');
      throwsCode(() => profile.sign(foreign.privateKey, Buffer.from('x')), 'crypto_unknown_algorithm');
      throwsCode(() => profile.verify(foreign.publicKey, Buffer.from('x'), Buffer.from('y')), 'crypto_unknown_algorithm');
      throwsCode(() => profile.sign({ kind: 'p256', type: 'private' } as unknown as PrivateKey, Buffer.from('x')), 'crypto_key_mismatch');
    });

    test('secret keys: wrong length, wrong algorithm and forged handles are typed errors', () => {
      throwsCode(() => profile.importSecretKey(profile.sealAlgorithm, randomBytes(31)), 'crypto_malformed_key');
      throwsCode(() => profile.importSecretKey(otherProfile.sealAlgorithm, randomBytes(32)), 'crypto_unknown_algorithm');
      throwsCode(() => profile.mac({ algorithm: profile.macAlgorithm } as unknown as SecretKey, Buffer.from('x')), 'crypto_key_mismatch');
      const key = profile.generateMacKey();
      const tag = profile.mac(key, Buffer.from('x'));
      assert.equal(profile.macVerify(key, Buffer.from('x'), tag), true);
      assert.equal(profile.macVerify(key, Buffer.from('x'), tag.subarray(0, 16)), false);
      assert.equal(profile.macVerify(key, Buffer.from('y'), tag), false);
      assert.equal(profile.macVerify(key, Buffer.from('x'), flip(tag, 0)), false);
    });

    test('handles do not reveal key material to JSON or inspect', () => {
      const key = profile.generateSealKey();
      const raw = profile.exportSecretKey(key);
      const pair = profile.generateSigningKeyPair();
      const shown = JSON.stringify({ key, pair }) + inspect({ key, pair }, { depth: 5, showHidden: true });
      assert.ok(!shown.includes(raw.toString('hex')) && !shown.includes(raw.toString('base64')));
      assert.ok(!shown.includes('BEGIN'));
    });
  });
}

test('SM2 PKCS#8 with d = 0 or d = n − 1, and an SPKI point off the curve, are malformed keys', () => {
  const gm = cryptoProfile('gm');
  const algorithm = Buffer.from('301306072a8648ce3d020106082a811ccf5501822d', 'hex');
  const pkcs8 = (d: bigint) => derToPem(encodeSequence([Buffer.from('020100', 'hex'), algorithm,
    encodeTlv(0x04, encodeSequence([Buffer.from('020101', 'hex'), encodeTlv(0x04, Buffer.from(d.toString(16).padStart(64, '0'), 'hex'))]))]), 'PRIVATE KEY');
  throwsCode(() => gm.importPrivateKey(pkcs8(0n)), 'crypto_malformed_key');
  throwsCode(() => gm.importPrivateKey(pkcs8(sm2Curve.n - 1n)), 'crypto_malformed_key');
  assert.equal(gm.importPrivateKey(pkcs8(7n)).kind, 'sm2');
  const offCurve = Buffer.concat([Buffer.from([0, 4]), Buffer.alloc(31), Buffer.from([1]), Buffer.alloc(31), Buffer.from([2])]);
  throwsCode(() => gm.importPublicKey(derToPem(encodeSequence([algorithm, encodeTlv(0x03, offCurve)]), 'PUBLIC KEY')), 'crypto_malformed_key');
});

test('an unknown profile name is a typed error, and every crypto code is registered', () => {
  throwsCode(() => cryptoProfile('rsa'), 'crypto_unknown_algorithm');
  const codes: CryptoErrorCode[] = ['crypto_decrypt_failed', 'crypto_malformed_key', 'crypto_unknown_algorithm', 'crypto_key_mismatch', 'crypto_unsupported_parameter'];
  for (const code of codes) assert.equal(isProblemCode(code), true, code);
});
