// Wycheproof (C2SP) vectors, read at test time from ../shared/vectors/wycheproof beside the repository.
// Every 'valid' vector must pass and every 'invalid' one must fail; 'acceptable' may go either way.
// Each check goes through the functions the profiles use, not straight to node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cryptoProfile } from './index.ts';
import { verifyIntlSignature } from './intl.ts';
import { aesGcmDecrypt, aesGcmEncrypt, equalBytes, hmac } from './symmetric.ts';
import { CryptoError } from './errors.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const vectorDirectory = resolve(repoRoot, '..', 'shared', 'vectors', 'wycheproof');
const intl = cryptoProfile('intl');

interface Vector {
  readonly tcId: number;
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly [field: string]: unknown;
}
interface Group {
  readonly tests: readonly Vector[];
  readonly [field: string]: unknown;
}

function load(file: string): readonly Group[] {
  return (JSON.parse(readFileSync(resolve(vectorDirectory, file), 'utf8')) as { testGroups: Group[] }).testGroups;
}

const bytes = (value: unknown) => Buffer.from(String(value), 'hex');

/** Runs every vector; returns the tcIds whose outcome contradicts their result. */
function mismatches(groups: readonly Group[], outcome: (group: Group, vector: Vector) => boolean): number[] {
  const wrong: number[] = [];
  let checked = 0;
  for (const group of groups) {
    for (const vector of group.tests) {
      if (vector.result === 'acceptable') continue;
      checked += 1;
      if (outcome(group, vector) !== (vector.result === 'valid')) wrong.push(vector.tcId);
    }
  }
  assert.ok(checked > 100, `only ${checked} vectors were checked`);
  return wrong;
}

function signatureVectors(file: string, encoding: 'der' | 'ieee-p1363') {
  return mismatches(load(file), (group, vector) => {
    const publicKey = intl.importPublicKey(String(group.publicKeyPem));
    const message = bytes(vector.msg);
    const signature = bytes(vector.sig);
    return encoding === 'der' ? intl.verify(publicKey, message, signature) : verifyIntlSignature(publicKey, message, signature, encoding);
  });
}

test('Wycheproof ECDSA P-256 SHA-256, DER signatures, through intl.verify', () => {
  assert.deepEqual(signatureVectors('ecdsa_secp256r1_sha256_test.json', 'der'), []);
});

test('Wycheproof ECDSA P-256 SHA-256, IEEE P1363 signatures, through the verification intl.verify uses', () => {
  assert.deepEqual(signatureVectors('ecdsa_secp256r1_sha256_p1363_test.json', 'ieee-p1363'), []);
});

test('Wycheproof Ed25519 through intl.verify', () => {
  assert.deepEqual(signatureVectors('ed25519_test.json', 'der'), []);
});

test('Wycheproof HMAC-SHA-256 through intl.mac / intl.macVerify (truncated tags compared by prefix)', () => {
  const wrong = mismatches(load('hmac_sha256_test.json'), (group, vector) => {
    const tag = bytes(vector.tag);
    const keyBytes = bytes(vector.key);
    // Our MAC keys are 32 bytes by design; other key sizes go through the same HMAC function intl.mac calls.
    if (keyBytes.length !== 32) return equalBytes(hmac('sha256', keyBytes, bytes(vector.msg)).subarray(0, tag.length), tag);
    const key = intl.importSecretKey('hmac-sha256', keyBytes);
    if (Number(group.tagSize) === 256) return intl.macVerify(key, bytes(vector.msg), tag);
    return equalBytes(intl.mac(key, bytes(vector.msg)).subarray(0, Number(group.tagSize) / 8), tag);
  });
  assert.deepEqual(wrong, []);
});

// Node/OpenSSL refuse GCM IVs longer than 128 bytes; these three 'valid' vectors use a 257-byte IV.
// Our seal uses 12-byte nonces only; for these the primitive must refuse with a typed error. (Empty-IV
// vectors are 'invalid' and are refused the same way.)
const longIvVectors = new Set([268, 272, 276]);

test('Wycheproof AES-GCM through aesGcmEncrypt/aesGcmDecrypt (the functions seal/open use)', () => {
  const refused: number[] = [];
  const wrong = mismatches(load('aes_gcm_test.json'), (_group, vector) => {
    const [key, iv, aad, msg, ct, tag] = ['key', 'iv', 'aad', 'msg', 'ct', 'tag'].map((field) => bytes(vector[field])) as Buffer[];
    if (!key || !iv || !aad || !msg || !ct || !tag) return false;
    try {
      const plaintext = aesGcmDecrypt(key, iv, ct, tag, aad);
      const sealed = aesGcmEncrypt(key, iv, msg, aad);
      return plaintext.equals(msg) && sealed.ciphertext.equals(ct) && sealed.tag.equals(tag);
    } catch (error) {
      assert.ok(error instanceof CryptoError, `tcId ${vector.tcId} threw ${String(error)}`);
      if (error.code === 'crypto_unsupported_parameter' && vector.result === 'valid') refused.push(vector.tcId);
      return longIvVectors.has(vector.tcId) && error.code === 'crypto_unsupported_parameter' ? vector.result === 'valid' : false;
    }
  });
  assert.deepEqual(wrong, []);
  assert.deepEqual(refused.filter((id) => !longIvVectors.has(id)), [], 'no valid vector but the 257-byte-IV ones may be refused');
});
