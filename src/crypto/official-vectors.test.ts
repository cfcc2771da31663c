// Known answers from the standards themselves: SM3 (GB/T 32905 appendix A), SM4 (GB/T 32907 appendix A),
// SM2 signature (GM/T 0003.2 appendix A on the 256-bit test curve, ID ALICE123@YAHOO.COM; GM/T 0003.5 /
// GB/T 32918.5 appendix on the recommended curve, default ID) and SM2 encryption (GM/T 0003.5, the
// ciphertext as OpenSSL's sm2_internal_test encodes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { cryptoProfile } from './index.ts';
import type { Curve } from './sm2-curve.ts';
import { multiply, sm2Curve } from './sm2-curve.ts';
import {
  encodeSm2Signature, plainSumOfMultiples, sm2Digest, sm2PrivateState, sm2SignatureFromNonce, sm2SignWithNonceForTest,
  sm2Verify, sm2VerifyDigest, sm2Z,
} from './sm2.ts';
import { decodeSm2Ciphertext, encodeSm2CiphertextDer, sm2Decrypt, sm2Encrypt } from './sm2-encryption.ts';

const gm = cryptoProfile('gm');
const hex = (value: string) => Buffer.from(value, 'hex');
const big = (value: string) => BigInt(`0x${value}`);

test('SM3 of "abc" and of "abcd"×16 (GB/T 32905 A.1, A.2)', () => {
  assert.equal(gm.hash(Buffer.from('abc')).toString('hex'), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.equal(
    gm.hash(Buffer.from('abcd'.repeat(16))).toString('hex'),
    'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732',
  );
});

test('SM4 single block and 1,000,000 rounds (GB/T 32907 A.1, A.2)', () => {
  const key = hex('0123456789abcdeffedcba9876543210');
  const cipher = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  let block = cipher.update(key);
  assert.equal(block.toString('hex'), '681edf34d206965e86b3e94f536e4246');
  for (let round = 1; round < 1_000_000; round += 1) block = cipher.update(block);
  assert.equal(block.toString('hex'), '595298c7c6fd271f0402f804c33d3f66');
});

// GM/T 0003.2-2012 appendix A: a 256-bit prime test curve, not the recommended curve.
const testCurve: Curve = {
  p: big('8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3'),
  a: big('787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498'),
  b: big('63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A'),
  gx: big('421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D'),
  gy: big('0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2'),
  n: big('8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7'),
};

test('SM2 signature, GM/T 0003.2 appendix A (ID ALICE123@YAHOO.COM, test curve): key, e, sign with k, verify', () => {
  const d = big('128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263');
  const publicPoint = multiply(testCurve, d, { x: testCurve.gx, y: testCurve.gy });
  assert.deepEqual(publicPoint, {
    x: big('0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A'),
    y: big('7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857'),
  });
  assert.ok(publicPoint);
  const id = Buffer.from('ALICE123@YAHOO.COM');
  const message = Buffer.from('message digest');
  assert.equal(sm2Z(testCurve, publicPoint, id).toString('hex').toUpperCase(), 'F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A');
  const e = sm2Digest(testCurve, publicPoint, message, id);
  assert.equal(e, big('B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76'));
  const k = big('6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F');
  const kG = multiply(testCurve, k, { x: testCurve.gx, y: testCurve.gy });
  assert.ok(kG);
  const signature = sm2SignatureFromNonce(testCurve, d, e, k, kG.x);
  const expected = { r: big('40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1'), s: big('6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7') };
  assert.deepEqual(signature, expected);
  assert.equal(sm2VerifyDigest(testCurve, e, expected, plainSumOfMultiples(testCurve, publicPoint)), true);
  assert.equal(sm2VerifyDigest(testCurve, e + 1n, expected, plainSumOfMultiples(testCurve, publicPoint)), false);
  assert.equal(sm2VerifyDigest(testCurve, e, { r: expected.r, s: expected.s + 1n }, plainSumOfMultiples(testCurve, publicPoint)), false);
});

const recommendedExample = {
  d: '3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8',
  publicKey: '0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13',
  k: big('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21'),
  e: big('F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640'),
  r: big('F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3'),
  s: big('B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA'),
};

test('SM2 signature, GM/T 0003.5 example (recommended curve, default ID): production path signs with k and verifies', () => {
  const state = sm2PrivateState(hex(recommendedExample.d));
  assert.equal(state.publicState.encoded.toString('hex').toUpperCase(), recommendedExample.publicKey);
  const message = Buffer.from('message digest');
  assert.equal(sm2Digest(sm2Curve, state.publicState.point, message), recommendedExample.e);
  assert.deepEqual(sm2SignWithNonceForTest(state, message, recommendedExample.k), { r: recommendedExample.r, s: recommendedExample.s });
  const der = encodeSm2Signature({ r: recommendedExample.r, s: recommendedExample.s });
  // Three times: the first uses plain multiplication, later ones the key's precomputed table.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    assert.equal(sm2Verify(state.publicState, message, der), true);
    assert.equal(sm2Verify(state.publicState, Buffer.from('message digesT'), der), false);
  }
});

test('SM2 encryption, GM/T 0003.5 example ("encryption standard"): fixed k gives the published ciphertext; it decrypts', () => {
  const state = sm2PrivateState(hex(recommendedExample.d));
  const published = hex(
    '307C022004EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73022100E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0042059983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766041321886CA989CA9C7D58087307CA93092D651EFA',
  );
  const plaintext = Buffer.from('encryption standard');
  assert.deepEqual(encodeSm2CiphertextDer(sm2Encrypt(state.publicState, plaintext, recommendedExample.k)), published);
  assert.equal(sm2Decrypt(state, decodeSm2Ciphertext(published)).toString(), 'encryption standard');
});
