// Interoperability with the openssl command line (OpenSSL 3), both ways: what Anfu signs or encrypts,
// openssl verifies or decrypts, and the reverse. Files go to a fresh directory under os.tmpdir().
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoProfile } from './index.ts';
import type { CryptoProfile, SignatureAlgorithm } from './index.ts';
import { sm4CbcDecrypt, sm4CbcEncrypt } from './symmetric.ts';
import { sm2EncryptionTag } from './gm.ts';

const openssl = '/usr/bin/openssl';
const directory = mkdtempSync(join(tmpdir(), 'anfu-crypto-'));
after(() => rmSync(directory, { recursive: true, force: true }));
const intl = cryptoProfile('intl');
const gm = cryptoProfile('gm');
const message = Buffer.from('转账 100.00 CNY to merchant 8001 — interop check');
const distid = 'distid:1234567812345678';

function file(name: string, contents?: string | Buffer): string {
  const path = join(directory, name);
  if (contents !== undefined) writeFileSync(path, contents);
  return path;
}

function run(args: readonly string[]): Buffer {
  return execFileSync(openssl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** True when openssl exits 0; openssl signals a bad signature with a non-zero exit. */
function succeeds(args: readonly string[]): boolean {
  try {
    run(args);
    return true;
  } catch {
    return false;
  }
}

interface SignatureCase {
  readonly algorithm: SignatureAlgorithm;
  readonly profile: CryptoProfile;
  readonly genpkey: readonly string[];
  readonly signArgs: (key: string, input: string, out: string) => string[];
  readonly verifyArgs: (key: string, input: string, signature: string) => string[];
}

const signatureCases: readonly SignatureCase[] = [
  {
    algorithm: 'ecdsa-p256-sha256', profile: intl, genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    signArgs: (key, input, out) => ['dgst', '-sha256', '-sign', key, '-out', out, input],
    verifyArgs: (key, input, signature) => ['dgst', '-sha256', '-verify', key, '-signature', signature, input],
  },
  {
    algorithm: 'ed25519', profile: intl, genpkey: ['-algorithm', 'ED25519'],
    signArgs: (key, input, out) => ['pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', input, '-out', out],
    verifyArgs: (key, input, signature) => ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-in', input, '-sigfile', signature],
  },
  {
    algorithm: 'sm2-sm3', profile: gm, genpkey: ['-algorithm', 'SM2'],
    signArgs: (key, input, out) => ['pkeyutl', '-sign', '-inkey', key, '-rawin', '-digest', 'sm3', '-pkeyopt', distid, '-in', input, '-out', out],
    verifyArgs: (key, input, signature) =>
      ['pkeyutl', '-verify', '-pubin', '-inkey', key, '-rawin', '-digest', 'sm3', '-pkeyopt', distid, '-in', input, '-sigfile', signature],
  },
];

for (const scenario of signatureCases) {
  test(`${scenario.algorithm}: an Anfu signature verifies with openssl, and a tampered message does not`, () => {
    const pair = scenario.profile.generateSigningKeyPair(scenario.algorithm);
    const publicPem = file(`${scenario.algorithm}-anfu-pub.pem`, scenario.profile.exportPublicKey(pair.publicKey));
    const input = file(`${scenario.algorithm}-msg`, message);
    const signature = file(`${scenario.algorithm}-anfu.sig`, scenario.profile.sign(pair.privateKey, message));
    assert.equal(succeeds(scenario.verifyArgs(publicPem, input, signature)), true);
    const tampered = file(`${scenario.algorithm}-tampered`, Buffer.concat([message, Buffer.from('!')]));
    assert.equal(succeeds(scenario.verifyArgs(publicPem, tampered, signature)), false);
  });

  test(`${scenario.algorithm}: an openssl key and signature verify in Anfu; Anfu's exported private key signs in openssl`, () => {
    const privatePem = file(`${scenario.algorithm}-ossl.pem`);
    run(['genpkey', ...scenario.genpkey, '-out', privatePem]);
    const publicPem = file(`${scenario.algorithm}-ossl-pub.pem`);
    run(['pkey', '-in', privatePem, '-pubout', '-out', publicPem]);
    const input = file(`${scenario.algorithm}-msg2`, message);
    const signature = file(`${scenario.algorithm}-ossl.sig`);
    run(scenario.signArgs(privatePem, input, signature));
    const publicKey = scenario.profile.importPublicKey(readFileSync(publicPem, 'utf8'));
    assert.equal(scenario.profile.verify(publicKey, message, readFileSync(signature)), true);
    assert.equal(scenario.profile.verify(publicKey, Buffer.concat([message, Buffer.from('!')]), readFileSync(signature)), false);
    // The imported openssl private key signs in Anfu; openssl reads Anfu's PKCS#8 export of a fresh key.
    const imported = scenario.profile.importPrivateKey(readFileSync(privatePem, 'utf8'));
    file(`${scenario.algorithm}-imported.sig`, scenario.profile.sign(imported, message));
    assert.equal(succeeds(scenario.verifyArgs(publicPem, input, join(directory, `${scenario.algorithm}-imported.sig`))), true);
    const fresh = scenario.profile.generateSigningKeyPair(scenario.algorithm);
    const exported = file(`${scenario.algorithm}-exported.pem`, scenario.profile.exportPrivateKey(fresh.privateKey));
    run(scenario.signArgs(exported, input, signature));
    assert.equal(scenario.profile.verify(fresh.publicKey, message, readFileSync(signature)), true);
  });
}

test('SM2 signatures depend on the user ID: openssl with another distid rejects an Anfu signature', () => {
  const pair = gm.generateSigningKeyPair();
  const publicPem = file('sm2-id-pub.pem', gm.exportPublicKey(pair.publicKey));
  const input = file('sm2-id-msg', message);
  const signature = file('sm2-id.sig', gm.sign(pair.privateKey, message));
  const verifyWith = (id: string) => ['dgst', '-sm3', '-verify', publicPem, '-signature', signature, '-sigopt', id, input];
  assert.equal(succeeds(verifyWith(distid)), true);
  assert.equal(succeeds(verifyWith('distid:ALICE123@YAHOO.COM')), false);
});

test('SM2 encryption: Anfu ciphertext decrypts with openssl pkeyutl, and openssl ciphertext decrypts in Anfu', () => {
  const pair = gm.generateEncryptionKeyPair();
  const privatePem = file('sm2-enc.pem', gm.exportPrivateKey(pair.privateKey));
  const publicPem = file('sm2-enc-pub.pem', gm.exportPublicKey(pair.publicKey));
  const ours = gm.encryptTo(pair.publicKey, message);
  assert.equal(ours[0], sm2EncryptionTag);
  const ciphertext = file('sm2-anfu.ct', ours.subarray(1));
  assert.deepEqual(run(['pkeyutl', '-decrypt', '-inkey', privatePem, '-in', ciphertext]), message);
  const input = file('sm2-plain', message);
  const theirs = run(['pkeyutl', '-encrypt', '-pubin', '-inkey', publicPem, '-in', input]);
  assert.deepEqual(gm.decryptWith(pair.privateKey, Buffer.concat([Buffer.from([sm2EncryptionTag]), theirs])), message);
});

test('SM4-CBC: the sealed blob and the primitive decrypt with openssl enc, and openssl output decrypts in Anfu', () => {
  const key = gm.generateSealKey();
  const sm4Key = gm.exportSecretKey(key).subarray(16);
  const sealed = gm.seal(key, message);
  const iv = sealed.subarray(1, 17);
  const body = file('sm4-body', sealed.subarray(17, sealed.length - 32));
  const args = ['-K', sm4Key.toString('hex'), '-iv', iv.toString('hex')];
  assert.deepEqual(run(['enc', '-d', '-sm4-cbc', ...args, '-in', body]), message);
  const input = file('sm4-plain', message);
  const theirs = run(['enc', '-sm4-cbc', ...args, '-in', input]);
  assert.deepEqual(theirs, sm4CbcEncrypt(sm4Key, iv, message));
  assert.deepEqual(sm4CbcDecrypt(sm4Key, iv, theirs), message);
});

test('AES-256-GCM: the sealed ciphertext is AES-256-CTR from counter nonce‖00000002, which openssl enc reproduces and decrypts', () => {
  const key = intl.generateSealKey();
  const aesKey = intl.exportSecretKey(key);
  const sealed = intl.seal(key, message, Buffer.from('record 42'));
  const nonce = sealed.subarray(1, 13);
  const ciphertext = sealed.subarray(13, sealed.length - 16);
  const args = ['-aes-256-ctr', '-K', aesKey.toString('hex'), '-iv', Buffer.concat([nonce, Buffer.from('00000002', 'hex')]).toString('hex')];
  assert.deepEqual(run(['enc', '-d', ...args, '-in', file('gcm-body', ciphertext)]), message);
  assert.deepEqual(run(['enc', ...args, '-in', file('gcm-plain', message)]), ciphertext);
  assert.deepEqual(intl.open(key, sealed, Buffer.from('record 42')), message);
});
