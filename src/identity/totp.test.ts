// TOTP: RFC 6238 Appendix B vectors, agreement with Debian's oathtool, the ±1 step window and no reuse.
import { skipUnless } from '../testing/required-tools.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as OTPAuth from 'otpauth';
import { checkTotp, newTotpSecret, totpCode, totpEnrolment, totpStep } from './totp.ts';

const base32 = (ascii: string) => new OTPAuth.Secret({ buffer: new Uint8Array(Buffer.from(ascii, 'ascii')).buffer }).base32;
const seeds = { SHA1: base32('12345678901234567890'), SHA256: base32('12345678901234567890123456789012'), SHA512: base32('1234567890123456789012345678901234567890123456789012345678901234') } as const;

// RFC 6238 Appendix B: time (s) → SHA1, SHA256, SHA512 (8 digits).
const vectors: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

test('RFC 6238 test vectors (SHA1, SHA256, SHA512; 8 digits)', () => {
  for (const [seconds, sha1, sha256, sha512] of vectors) {
    assert.equal(totpCode(seeds.SHA1, seconds * 1000, { digits: 8, algorithm: 'SHA1' }), sha1);
    assert.equal(totpCode(seeds.SHA256, seconds * 1000, { digits: 8, algorithm: 'SHA256' }), sha256);
    assert.equal(totpCode(seeds.SHA512, seconds * 1000, { digits: 8, algorithm: 'SHA512' }), sha512);
  }
});

test('agrees with oathtool --totp on fresh secrets and times', { skip: skipUnless(existsSync('/usr/bin/oathtool'), 'oathtool') }, () => {
  for (let i = 0; i < 20; i++) {
    const secret = newTotpSecret();
    const seconds = 1_600_000_000 + i * 7_777_777;
    const oathtool = execFileSync('/usr/bin/oathtool', ['--totp', '-b', secret, '-N', `@${seconds}`], { encoding: 'utf8' }).trim();
    assert.equal(totpCode(secret, seconds * 1000), oathtool);
  }
});

test('a code is accepted one step early or late, not two, and never twice', () => {
  const secret = newTotpSecret();
  const now = 1_700_000_015_000;
  const step = totpStep(now);
  for (const [offset, ok] of [[-2, false], [-1, true], [0, true], [1, true], [2, false]] as const) {
    const code = totpCode(secret, now + offset * 30_000);
    assert.equal(checkTotp(secret, code, now, 0).ok, ok, `offset ${offset}`);
  }
  const code = totpCode(secret, now);
  const first = checkTotp(secret, code, now, 0);
  assert.deepEqual(first, { ok: true, step });
  assert.deepEqual(checkTotp(secret, code, now + 1000, step), { ok: false, reason: 'reused' });
  // An earlier step's code is refused after a later one was accepted.
  assert.deepEqual(checkTotp(secret, totpCode(secret, now - 30_000), now, step), { ok: false, reason: 'reused' });
  for (const bad of ['', '12345', '1234567', 'abcdef', '１２３４５６']) assert.equal(checkTotp(secret, bad, now, 0).ok, false);
});

test('enrolment gives an otpauth URI and an SVG QR code without the full phone number', async () => {
  const enrolment = await totpEnrolment(newTotpSecret(), '+86139****5678');
  assert.match(enrolment.uri, /^otpauth:\/\/totp\/Anfu:%2B86139\*\*\*\*5678\?issuer=Anfu&secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30$/);
  assert.match(enrolment.qrSvg, /^<svg[^>]*>/);
});
