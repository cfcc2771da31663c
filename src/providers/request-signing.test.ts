// The provider signature scheme on its own: what it covers, and every way a request is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NonceMemory, signRequest, verifySignedRequest, type SignedRequestParts } from './request-signing.ts';

const key = { keyId: 'anfu-test', secret: 'a shared secret of some length' };
const parts: SignedRequestParts = {
  method: 'POST',
  path: '/v1/sms/messages',
  body: '{"to":"+8613900000000","text":"x"}',
};
const now = 1_800_000_000;
const nonce = 'nonce-0123456789abcdef';
const keys = (id: string) => (id === key.keyId ? key.secret : undefined);

test('a signed request verifies; any change to method, path, body, timestamp or nonce breaks it', () => {
  const headers = signRequest(key, parts, now, nonce);
  assert.deepEqual(verifySignedRequest(headers, parts, { keys, nowSeconds: now }), {
    ok: true,
    keyId: key.keyId,
    nonce,
    timestamp: now,
  });
  const changed: SignedRequestParts[] = [
    { ...parts, method: 'PUT' },
    { ...parts, path: '/v1/identity/two-element' },
    { ...parts, body: parts.body.replace('x', 'y') },
  ];
  for (const other of changed)
    assert.deepEqual(verifySignedRequest(headers, other, { keys, nowSeconds: now }), { ok: false, reason: 'mismatch' });
  assert.equal(
    verifySignedRequest({ ...headers, 'x-provider-timestamp': String(now + 1) }, parts, { keys, nowSeconds: now }).ok,
    false,
  );
  assert.equal(
    verifySignedRequest({ ...headers, 'x-provider-nonce': `${nonce}x` }, parts, { keys, nowSeconds: now }).ok,
    false,
  );
});

test('refusals name their reason: missing, malformed, unknown key, stale, wrong secret, replayed', () => {
  const headers = signRequest(key, parts, now, nonce);
  const check = (h: Record<string, string>, options: Partial<Parameters<typeof verifySignedRequest>[2]> = {}) =>
    verifySignedRequest(h, parts, { keys, nowSeconds: now, ...options });
  const { 'x-provider-signature': _dropped, ...unsigned } = headers;
  assert.deepEqual(check(unsigned), { ok: false, reason: 'missing' });
  assert.deepEqual(check({ ...headers, 'x-provider-timestamp': 'soon' }), { ok: false, reason: 'malformed' });
  assert.deepEqual(check({ ...headers, 'x-provider-key-id': 'someone-else' }), { ok: false, reason: 'unknown_key' });
  assert.deepEqual(check(headers, { nowSeconds: now + 301 }), { ok: false, reason: 'stale' });
  assert.equal(check(headers, { nowSeconds: now + 300 }).ok, true, 'the window is 300 s inclusive');
  assert.deepEqual(check(signRequest({ ...key, secret: 'another secret entirely' }, parts, now, nonce)), {
    ok: false,
    reason: 'mismatch',
  });
  const memory = new NonceMemory();
  const seen = (id: string, n: string) => memory.seen(id, n, now);
  assert.equal(check(headers, { seen }).ok, true);
  assert.deepEqual(check(headers, { seen }), { ok: false, reason: 'replayed' });
});

test('a forged request does not spend the nonce of the real one', () => {
  const memory = new NonceMemory();
  const seen = (id: string, n: string) => memory.seen(id, n, now);
  const forged = signRequest({ ...key, secret: 'guessed secret 1234' }, parts, now, nonce);
  assert.equal(verifySignedRequest(forged, parts, { keys, nowSeconds: now, seen }).ok, false);
  assert.equal(
    verifySignedRequest(signRequest(key, parts, now, nonce), parts, { keys, nowSeconds: now, seen }).ok,
    true,
  );
});

test('signing refuses a malformed key id or nonce rather than sending something the peer must reject', () => {
  assert.throws(() => signRequest({ ...key, keyId: 'bad key' }, parts, now, nonce));
  assert.throws(() => signRequest(key, parts, now, 'short'));
});
