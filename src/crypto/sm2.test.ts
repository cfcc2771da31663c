// Our SM2 code against an implementation nobody here wrote (sm-crypto, test-only): signatures and
// ciphertexts cross in both directions, on both of our verification paths (first use, and the
// per-key table), and tampering is rejected by both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sm2 as reference } from 'sm-crypto';
import { cryptoProfile } from './index.ts';
import { generateSm2PrivateState, sm2PublicState, sm2Sign, sm2Verify } from './sm2.ts';
import { decodeSm2Ciphertext, encodeSm2CiphertextRaw, sm2Decrypt, sm2Encrypt } from './sm2-encryption.ts';

const gm = cryptoProfile('gm');
const rounds = 12;

function flipByte(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

test('SM2 signatures cross with sm-crypto both ways (default user ID, DER)', () => {
  const key = generateSm2PrivateState();
  const publicHex = key.publicState.encoded.toString('hex');
  const shared = sm2PublicState(key.publicState.encoded);
  for (let round = 0; round < rounds; round += 1) {
    const message = randomBytes(round * 11);
    const ours = sm2Sign(key, message);
    assert.equal(reference.doVerifySignature([...message], ours.toString('hex'), publicHex, { der: true, hash: true }), true);
    const theirs = Buffer.from(reference.doSignature([...message], key.dBytes.toString('hex'), { der: true, hash: true, publicKey: publicHex }), 'hex');
    // A fresh handle takes the first-use path; `shared` switches to its table after its first verification.
    assert.equal(sm2Verify(sm2PublicState(key.publicState.encoded), message, theirs), true);
    assert.equal(sm2Verify(shared, message, theirs), true);
    const tampered = flipByte(theirs, 10);
    assert.equal(sm2Verify(shared, message, tampered), false);
    assert.equal(sm2Verify(sm2PublicState(key.publicState.encoded), message, tampered), false);
  }
});

test('SM2 verification rejects a valid signature under another key and for another user ID', () => {
  const signer = gm.generateSigningKeyPair();
  const other = gm.generateSigningKeyPair();
  const message = Buffer.from('pay 1 CNY');
  const signature = gm.sign(signer.privateKey, message);
  assert.equal(gm.verify(signer.publicKey, message, signature), true);
  assert.equal(gm.verify(other.publicKey, message, signature), false);
  const key = generateSm2PrivateState();
  const otherId = reference.doSignature([...message], key.dBytes.toString('hex'), {
    der: true, hash: true, publicKey: key.publicState.encoded.toString('hex'), userId: 'ALICE123@YAHOO.COM',
  });
  assert.equal(sm2Verify(key.publicState, message, Buffer.from(otherId, 'hex')), false);
});

test('SM2 encryption crosses with sm-crypto both ways (C1C3C2)', () => {
  const key = generateSm2PrivateState();
  for (let round = 0; round < 4; round += 1) {
    const message = randomBytes(1 + round * 40);
    const ours = encodeSm2CiphertextRaw(sm2Encrypt(key.publicState, message));
    const decrypted = reference.doDecrypt(ours.subarray(1).toString('hex'), key.dBytes.toString('hex'), 1, { output: 'array' });
    assert.deepEqual(Buffer.from(decrypted as unknown as number[]), message);
    const theirs = Buffer.from(`04${reference.doEncrypt([...message], key.publicState.encoded.toString('hex'), 1)}`, 'hex');
    assert.deepEqual(sm2Decrypt(key, decodeSm2Ciphertext(theirs)), message);
  }
});
