// The signature scheme a merchant verifies, attacked: tampered body, wrong secret, stale or future
// timestamp, malformed headers; plus the pure retry schedule and the SSRF guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkTargetUrl, decideAfterAttempt, isPrivateAddress, retryDelayMs, signatureHeader, verifyWebhookSignature, webhookSignature } from './index.ts';
import { guardedLookup, TargetRefusedError } from './target-policy.ts';
import { createHmac } from 'node:crypto';

const secret = 'whsec_test_secret_0123456789';
const now = Date.UTC(2025, 5, 1, 12);
const body = '{"id":"evt_1","topic":"order.paid","data":{"amount":"12.34"}}';

test('a correctly signed body verifies, and the signature is plain HMAC-SHA-256 of "t.body"', () => {
  const header = signatureHeader(secret, body, now);
  const t = Math.floor(now / 1000);
  assert.equal(header, `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
  assert.deepEqual(verifyWebhookSignature(secret, header, body, now, 300), { ok: true, timestampSeconds: t });
  assert.deepEqual(verifyWebhookSignature(secret, header, Buffer.from(body), now, 300).ok, true);
});

test('tampered body, wrong secret, and a signature moved to another timestamp are refused', () => {
  const header = signatureHeader(secret, body, now);
  assert.deepEqual(verifyWebhookSignature(secret, header, body.replace('12.34', '99.34'), now, 300), { ok: false, reason: 'signature_mismatch' });
  assert.deepEqual(verifyWebhookSignature(`${secret}x`, header, body, now, 300), { ok: false, reason: 'signature_mismatch' });
  const v1 = header.split('v1=')[1];
  assert.deepEqual(verifyWebhookSignature(secret, `t=${Math.floor(now / 1000) + 1},v1=${v1}`, body, now, 300), { ok: false, reason: 'signature_mismatch' });
});

test('timestamps outside the tolerance (replays, and clocks far ahead) are refused at N+1, accepted at N', () => {
  const signedAt = now - 300_000;
  assert.equal(verifyWebhookSignature(secret, signatureHeader(secret, body, signedAt), body, now, 300).ok, true);
  assert.deepEqual(verifyWebhookSignature(secret, signatureHeader(secret, body, signedAt - 1000), body, now, 300), { ok: false, reason: 'stale_timestamp' });
  assert.deepEqual(verifyWebhookSignature(secret, signatureHeader(secret, body, now + 301_000), body, now, 300), { ok: false, reason: 'stale_timestamp' });
});

test('malformed headers are refused without throwing', () => {
  const t = Math.floor(now / 1000);
  const good = webhookSignature(secret, t, body);
  for (const header of [undefined, '', 'garbage', `t=${t}`, `v1=${good}`, `t=abc,v1=${good}`, `t=${t},v1=${good.slice(2)}`, `t=${t},v1=${good.toUpperCase()}`, `t=${t},t=${t},v1=${good}`, `t=${t},v1=${good}=`, `t=${t},${'v1=00,'.repeat(500)}`]) {
    assert.deepEqual(verifyWebhookSignature(secret, header, body, now, 300), { ok: false, reason: 'malformed_header' }, String(header));
  }
  // During a secret rotation a header may carry several v1 signatures: one good one is enough.
  assert.equal(verifyWebhookSignature(secret, `t=${t},v1=${'0'.repeat(64)},v1=${good},v0=whatever`, body, now, 300).ok, true);
});

test('property: any body verifies with its own secret and fails after any one-byte change or with another secret', () => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (key, bytes, index) => {
    const raw = Buffer.from(bytes);
    const header = signatureHeader(key, raw.toString('latin1'), now);
    assert.equal(verifyWebhookSignature(key, header, raw.toString('latin1'), now, 300).ok, true);
    const tampered = Buffer.from(raw);
    const at = index % tampered.length;
    tampered[at] = (tampered[at]! + 1) % 256;
    assert.equal(verifyWebhookSignature(key, header, tampered.toString('latin1'), now, 300).ok, false);
    assert.equal(verifyWebhookSignature(`${key}!`, header, raw.toString('latin1'), now, 300).ok, false);
  }), { numRuns: 300 });
});

test('retry delays: exponential with equal jitter, growing until the cap, never above it', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, attemptsMax: 10 };
  assert.deepEqual([1, 2, 3, 4, 7, 8, 30].map((n) => retryDelayMs(n, policy, () => 0)), [500, 1000, 2000, 4000, 30_000, 30_000, 30_000]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(n, policy, () => 0.999_999)), [999, 1999, 3999]);
  fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r1, r2) => {
    const a = retryDelayMs(n, policy, () => r1);
    const b = retryDelayMs(n + 1, policy, () => r2);
    assert.ok(a >= 0 && a <= policy.maxMs && b <= policy.maxMs);
    // The fixed half of attempt n+1 is the whole ceiling of attempt n: later never comes sooner, before the cap.
    if (policy.baseMs * 2 ** n <= policy.maxMs) assert.ok(b >= a, `${n}: ${a} then ${b}`);
  }));
  assert.throws(() => retryDelayMs(0, policy, () => 0));
});

test('after an attempt: delivered, retried, or dead at attemptsMax (N) but not before (N-1); permanent failures die at once', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, attemptsMax: 3 };
  const failed = { outcome: 'failed', statusCode: 500, errorClass: 'http_status', permanent: false } as const;
  assert.deepEqual(decideAfterAttempt({ outcome: 'delivered', statusCode: 200 }, 1, policy, 0, () => 0), { state: 'delivered' });
  assert.deepEqual(decideAfterAttempt(failed, 2, policy, 10_000, () => 0), { state: 'pending', nextAttemptAt: 11_000 });
  assert.deepEqual(decideAfterAttempt(failed, 3, policy, 0, () => 0), { state: 'dead' });
  assert.deepEqual(decideAfterAttempt({ ...failed, permanent: true }, 1, policy, 0, () => 0), { state: 'dead' });
});

test('SSRF guard: production refuses http, credentials, loopback, private, link-local and mapped addresses', () => {
  const production = { httpsRequired: true, privateAddressesAllowed: false };
  for (const url of ['http://example.com/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/latest/meta-data', 'https://localhost:8443/', 'https://api.localhost/', 'https://192.168.1.1/', 'https://user:pw@example.com/', 'ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', `https://example.com/${'a'.repeat(2100)}`]) {
    assert.equal(checkTargetUrl(url, production).ok, false, url);
  }
  assert.equal(checkTargetUrl('https://merchant.example.com/anfu/webhooks?x=1', production).ok, true);
  assert.equal(checkTargetUrl('https://93.184.216.34/hook', production).ok, true);
  assert.equal(checkTargetUrl('http://127.0.0.1:9999/hook', { httpsRequired: false, privateAddressesAllowed: true }).ok, true);
  assert.equal(isPrivateAddress('8.8.8.8'), false);
  assert.equal(isPrivateAddress('2606:4700::1111'), false);
  assert.equal(isPrivateAddress('fd00::1'), true);
  assert.equal(isPrivateAddress('100.64.0.1'), true);
});

test('SSRF guard: a host name resolving to a private address is refused at connection time', async () => {
  const lookup = guardedLookup({ httpsRequired: false, privateAddressesAllowed: false });
  const error = await new Promise<unknown>((resolve) => lookup('localhost', {}, (e) => resolve(e)));
  assert.ok(error instanceof TargetRefusedError);
  const allowed = guardedLookup({ httpsRequired: false, privateAddressesAllowed: true });
  const address = await new Promise<unknown>((resolve) => allowed('localhost', {}, (_e, a) => resolve(a)));
  assert.ok(typeof address === 'string' && isPrivateAddress(address));
});
