// The SDK's hand-written parts against the server's own code: merchant signatures and webhook
// signatures computed both ways, P-256 and SM2 instruction signatures verified by the server's crypto
// profiles over its own canonical JSON; retries (Retry-After, what is safe to resend, a fresh merchant
// signature per attempt) against a real HTTP server; pagination; and the package built by npm install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cryptoProfile } from '../../../src/crypto/index.ts';
import { signatureHeader } from '../../../src/events/index.ts';
import { canonicalJsonOf, merchantRequestSignature, signingKeyOf } from '../../../src/payments/index.ts';
import * as sdk from './index.ts';
import { sm2DeviceKey } from './sm2.ts';

const { createTransport, merchantKeyOf, merchantSignature, verifyWebhook, WebhookSignatureError } = sdk;

test('merchant signatures are the ones the server computes', async () => {
  for (let i = 0; i < 20; i += 1) {
    const secret = randomBytes(32).toString('base64url');
    const key = await merchantKeyOf(`mk_${'a'.repeat(26)}.${secret}`);
    const body = i % 2 === 0 ? '' : JSON.stringify({ amount: '12.34', note: `茶 ${i}` });
    const path = `/v1/merchant/orders?i=${i}`;
    assert.equal(
      await merchantSignature(key, 'post', path, '1764669600000', body),
      merchantRequestSignature(signingKeyOf(secret), 'POST', path, '1764669600000', body),
    );
  }
  await assert.rejects(merchantKeyOf('not-a-key'), /mk_/);
});

test('webhooks: a server-signed delivery verifies; stale, tampered, malformed and foreign ones do not', async () => {
  const secret = randomBytes(24).toString('base64url');
  const body = JSON.stringify({ id: 'evt_1', topic: 'order.paid', createdAt: '2026-12-02T10:00:00Z', data: { 金额: '1.00' } });
  const now = 1_764_669_600_000;
  const header = signatureHeader(secret, body, now);
  assert.equal((await verifyWebhook(secret, header, body, { now: now + 60_000 })).id, 'evt_1');
  // While a secret rotates, deliveries carry two v1 values; either may match.
  const rotated = `${header},v1=${'a'.repeat(64)}`;
  assert.equal((await verifyWebhook(secret, rotated, new TextEncoder().encode(body), { now })).topic, 'order.paid');
  const refusal = async (promise: Promise<unknown>) =>
    promise.then(() => 'accepted', (error: unknown) => (error instanceof WebhookSignatureError ? error.reason : 'other'));
  assert.equal(await refusal(verifyWebhook(secret, header, body, { now: now + 301_000 })), 'stale_timestamp');
  assert.equal(await refusal(verifyWebhook(secret, header, body.replace('1.00', '9.00'), { now })), 'signature_mismatch');
  assert.equal(await refusal(verifyWebhook('another secret', header, body, { now })), 'signature_mismatch');
  assert.equal(await refusal(verifyWebhook(secret, 'v1=abc', body, { now })), 'malformed_header');
  assert.equal(await refusal(verifyWebhook(secret, undefined, body, { now })), 'malformed_header');
});

test('instruction signatures (P-256 and SM2) verify with the server profile over its canonical JSON', async () => {
  const keys = [await sdk.generateP256DeviceKey(), sm2DeviceKey()];
  for (const key of keys) {
    const instruction = sdk.newInstruction({
      kind: 'order_payment', payer: `cus_${'a'.repeat(26)}`, device: `dev_${'b'.repeat(26)}`,
      target: `ord_${'c'.repeat(26)}`, amount: '12.34', currency: 'CNY', memo: '奶茶 "two"',
    });
    const signed = await sdk.signInstruction(key, instruction);
    const reordered = Object.fromEntries(Object.entries(instruction).reverse());
    assert.equal(sdk.canonicalJson(reordered), canonicalJsonOf(instruction));
    const profile = cryptoProfile(key.profile);
    const publicKey = profile.importPublicKey(await key.publicKeyPem());
    const data = Buffer.from(canonicalJsonOf(reordered), 'utf8');
    assert.ok(profile.verify(publicKey, data, Buffer.from(signed.signature, 'base64')), key.profile);
    const tampered = Buffer.from(canonicalJsonOf({ ...instruction, amount: '12.35' }), 'utf8');
    assert.equal(profile.verify(publicKey, tampered, Buffer.from(signed.signature, 'base64')), false);
  }
});

async function withServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  work: (url: string) => Promise<void>,
): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('retries: 429 honours Retry-After; 5xx is resent only when safe; each attempt is signed afresh', async () => {
  const seen: { method: string; signature: string | undefined; timestamp: string | undefined }[] = [];
  const answers = [429, 200, 503, 503, 503, 200];
  await withServer((request, response) => {
    seen.push({
      method: String(request.method),
      signature: request.headers['anfu-signature'] as string | undefined,
      timestamp: request.headers['anfu-timestamp'] as string | undefined,
    });
    const status = answers.shift() ?? 500;
    response.writeHead(status, status === 429 ? { 'retry-after': '2' } : {}).end('{}');
  }, async (url) => {
    const waits: number[] = [];
    let clock = 1_764_669_600_000;
    const transport = createTransport({
      authenticate: sdk.merchantAuthenticator(`mk_${'a'.repeat(26)}.secret`, () => (clock += 1)),
      retry: { attempts: 3, sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
    });
    const post = (headers: Record<string, string>) =>
      transport(new Request(`${url}/v1/x`, { method: 'POST', body: '{"a":1}', headers }));
    // A 429 was refused before any work: resent even without a key, after the 2 s the server asked for.
    assert.equal((await post({})).status, 200);
    assert.deepEqual(waits, [2000]);
    // A 503 to a POST without an Idempotency-Key is not resent (it may have done its work).
    assert.equal((await post({})).status, 503);
    // With a key it is, with back-off (full jitter, doubling), until the attempts run out.
    assert.equal((await post({ 'idempotency-key': 'k-12345678' })).status, 200);
    assert.deepEqual(waits, [2000, 100, 200]);
  });
  assert.equal(seen.length, 6);
  assert.equal(new Set(seen.map((s) => s.signature)).size, 6, 'every attempt carries its own signature');
  assert.equal(new Set(seen.map((s) => s.timestamp)).size, 6);
  assert.equal(sdk.retryAfterMs('Wed, 02 Dec 2026 10:00:05 GMT', Date.parse('2026-12-02T10:00:00Z')), 5000);
  assert.equal(sdk.retryAfterMs('soon', 0), undefined);
});

test('pagination walks cursors to the end and refuses a cursor loop', async () => {
  const data = [[1, 2], [3], [4, 5]];
  const page = async (cursor: string | undefined) => {
    const index = cursor === undefined ? 0 : Number(cursor);
    return { items: data[index] ?? [], nextCursor: index + 1 < data.length ? String(index + 1) : null };
  };
  assert.deepEqual(await sdk.allItems(page), [1, 2, 3, 4, 5]);
  await assert.rejects(sdk.allItems(page, 3), /more than 3/);
  const loop = async () => ({ items: [1], nextCursor: 'same' });
  await assert.rejects(sdk.allItems(loop), /cursor twice/);
});

test('idempotency keys: one per intent, stable across processes when derived, always well-formed', async () => {
  const keys = new sdk.IdempotencyKeys();
  assert.equal(keys.keyFor('pay ord_1'), keys.keyFor('pay ord_1'));
  assert.notEqual(keys.keyFor('pay ord_1'), keys.keyFor('pay ord_2'));
  const derived = await sdk.keyForIntent('refund', 'pay_1:5.00');
  assert.equal(derived, await sdk.keyForIntent('refund', 'pay_1:5.00'));
  assert.notEqual(derived, await sdk.keyForIntent('refund', 'pay_1:5.01'));
  for (const key of [derived, keys.keyFor('x'), sdk.newIdempotencyKey()]) assert.ok(sdk.isIdempotencyKey(key), key);
});

test('npm install built the package: dist exports what the source exports', async () => {
  const dist = new URL('../dist/index.js', import.meta.url);
  assert.ok(existsSync(dist), 'packages/sdk/dist is missing: npm install runs its prepare script (tsc)');
  const built = (await import(dist.href)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(built).sort(), Object.keys(sdk).sort());
  assert.ok(existsSync(new URL('../dist/index.d.ts', import.meta.url)));
});
