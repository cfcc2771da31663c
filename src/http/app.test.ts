// The operator ledger API through the real app on each store: the happy path, and bad input that
// must come back as a 4xx problem+json with a stable code while leaving the ledger untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testStoreKinds } from '../store/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';

interface Fixture {
  t: TestApp;
  bank: string;
  alice: string;
  bob: string;
  usd: string;
}

async function fixture(t: TestApp): Promise<Fixture> {
  const open = async (body: Record<string, string>) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { authorization: `Bearer ${t.token}` },
      payload: body,
    });
    assert.equal(response.statusCode, 201, response.body);
    return (response.json() as { id: string }).id;
  };
  const bank = await open({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank', code: 'bank:TEST:CNY' });
  // Operators move money directly only between the platform's own accounts (customer money needs an approved adjustment).
  const alice = await open({ kind: 'suspense', currency: 'CNY', name: 'Suspense A' });
  const bob = await open({ kind: 'platform_revenue', currency: 'CNY', name: 'Revenue B' });
  const usd = await open({ kind: 'suspense', currency: 'USD', name: 'USD suspense' });
  const funded = await post(
    t,
    '/v1/fundings',
    { bankAccountId: bank, accountId: alice, amount: '100.00', currency: 'CNY' },
    'fund-alice-1',
  );
  assert.equal(funded.statusCode, 201, funded.body);
  return { t, bank, alice, bob, usd };
}

function post(t: TestApp, url: string, payload: unknown, key?: string, caller: string | null = t.token) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (caller !== null) headers.authorization = `Bearer ${caller}`;
  if (key !== undefined) headers['idempotency-key'] = key;
  return t.app.inject({
    method: 'POST',
    url,
    headers,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

async function snapshot(f: Fixture) {
  const rows = await f.t.store.all(
    'SELECT id, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts ORDER BY id',
  );
  const transfers = await f.t.store.get('SELECT COUNT(*) AS n FROM ledger_transfers');
  return JSON.stringify({ rows, transfers }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

for (const kind of testStoreKinds()) {
  describe(`operator ledger API on ${kind}`, () => {
    let f: Fixture;
    before(async () => {
      // USD is enabled here so a transfer between a CNY and a USD account can be refused as a mismatch.
      f = await fixture(await createTestApp(kind, { ANFU_CURRENCIES: 'CNY,USD' }));
    });
    after(() => f.t.close());

    test('transfer, replay, journal and verification', async () => {
      const first = await post(
        f.t,
        '/v1/transfers',
        { debitAccountId: f.alice, creditAccountId: f.bob, amount: '12.34', currency: 'CNY', reference: 'lunch' },
        'happy-transfer-1',
      );
      assert.equal(first.statusCode, 201, first.body);
      const replay = await post(
        f.t,
        '/v1/transfers',
        { debitAccountId: f.alice, creditAccountId: f.bob, amount: '12.34', currency: 'CNY', reference: 'lunch' },
        'happy-transfer-1',
      );
      assert.equal(replay.statusCode, 200);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.json().id, first.json().id);
      const bob = (
        await f.t.app.inject({ url: `/v1/accounts/${f.bob}`, headers: { authorization: `Bearer ${f.t.token}` } })
      ).json();
      assert.equal(bob.balance, '12.34');
      const journal = (
        await f.t.app.inject({
          url: `/v1/accounts/${f.bob}/journal?limit=1`,
          headers: { authorization: `Bearer ${f.t.token}` },
        })
      ).json();
      assert.equal(journal.items.length, 1);
      assert.equal(journal.items[0].amount, '12.34');
      const verification = (
        await f.t.app.inject({ url: '/v1/ledger/verification', headers: { authorization: `Bearer ${f.t.token}` } })
      ).json();
      assert.equal(verification.ok, true, JSON.stringify(verification.problems));
    });

    test('hold, partial post, and a second post refused', async () => {
      const hold = await post(
        f.t,
        '/v1/holds',
        { debitAccountId: f.alice, creditAccountId: f.bob, amount: '5.00', currency: 'CNY', timeoutSeconds: 600 },
        'hold-1-abcdef',
      );
      assert.equal(hold.statusCode, 201, hold.body);
      const alice = (
        await f.t.app.inject({ url: `/v1/accounts/${f.alice}`, headers: { authorization: `Bearer ${f.t.token}` } })
      ).json();
      assert.equal(alice.pendingDebits, '5.00');
      const posted = await post(f.t, `/v1/holds/${hold.json().id}/post`, { amount: '3.00' }, 'hold-1-post');
      assert.equal(posted.statusCode, 201, posted.body);
      assert.equal(posted.json().amount, '3.00');
      const again = await post(f.t, `/v1/holds/${hold.json().id}/void`, {}, 'hold-1-void');
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'hold_not_pending');
      const state = (
        await f.t.app.inject({ url: `/v1/holds/${hold.json().id}`, headers: { authorization: `Bearer ${f.t.token}` } })
      ).json();
      assert.equal(state.state, 'posted');
    });

    test('bad input is a problem+json with a stable code and changes nothing', async () => {
      const valid = { debitAccountId: f.alice, creditAccountId: f.bob, amount: '1.00', currency: 'CNY' };
      assert.equal((await post(f.t, '/v1/transfers', valid, 'conflict-key-1')).statusCode, 201);
      const before = await snapshot(f);
      const unknownAccount = 'acc_0000000000zzzzzzzzzzzzzzzz';
      const cases: Array<[string, () => ReturnType<typeof post>, number, string]> = [
        [
          'malformed JSON',
          () => post(f.t, '/v1/transfers', '{"debitAccountId": ', 'k-malformed-1'),
          400,
          'malformed_json',
        ],
        [
          'not JSON',
          () =>
            f.t.app.inject({
              method: 'POST',
              url: '/v1/transfers',
              headers: {
                authorization: `Bearer ${f.t.token}`,
                'content-type': 'text/plain',
                'idempotency-key': 'k-text-1234',
              },
              payload: 'hello',
            }),
          415,
          'unsupported_media_type',
        ],
        [
          'huge body',
          () => post(f.t, '/v1/transfers', { ...valid, reference: 'x'.repeat(200_000) }, 'k-huge-12345'),
          413,
          'body_too_large',
        ],
        [
          'amount as a float number',
          () => post(f.t, '/v1/transfers', { ...valid, amount: 1.5 }, 'k-float-1234'),
          422,
          'invalid_amount',
        ],
        [
          'amount as an exponent',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '1e3' }, 'k-exp-12345'),
          422,
          'invalid_amount',
        ],
        [
          'negative amount',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '-1.00' }, 'k-neg-12345'),
          422,
          'invalid_amount',
        ],
        [
          'zero amount',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '0.00' }, 'k-zero-1234'),
          422,
          'invalid_amount',
        ],
        [
          'too many decimals',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '1.001' }, 'k-dec-12345'),
          422,
          'invalid_amount',
        ],
        [
          'amount beyond the maximum',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '1000000000.01' }, 'k-max-12345'),
          422,
          'amount_too_large',
        ],
        [
          'amount overflowing 64 bits',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '99999999999999999999' }, 'k-ovf-12345'),
          422,
          'amount_too_large',
        ],
        [
          'wrong type for an account',
          () => post(f.t, '/v1/transfers', { ...valid, debitAccountId: 42 }, 'k-type-1234'),
          400,
          'validation_failed',
        ],
        [
          'unknown field',
          () => post(f.t, '/v1/transfers', { ...valid, fee: '0.01' }, 'k-field-123'),
          400,
          'validation_failed',
        ],
        [
          'prototype pollution',
          () => post(f.t, '/v1/transfers', '{"__proto__": {"admin": true}, "amount": "1.00"}', 'k-proto-123'),
          400,
          'malformed_json',
        ],
        ['missing idempotency key', () => post(f.t, '/v1/transfers', valid), 400, 'validation_failed'],
        [
          'unknown account',
          () => post(f.t, '/v1/transfers', { ...valid, creditAccountId: unknownAccount }, 'k-unknown-1'),
          404,
          'account_not_found',
        ],
        [
          'unknown currency',
          () => post(f.t, '/v1/transfers', { ...valid, currency: 'XXX' }, 'k-curr-1234'),
          422,
          'unknown_currency',
        ],
        [
          'currency mismatch',
          () => post(f.t, '/v1/transfers', { ...valid, creditAccountId: f.usd }, 'k-mismatch1'),
          422,
          'currency_mismatch',
        ],
        [
          'same account',
          () => post(f.t, '/v1/transfers', { ...valid, creditAccountId: f.alice }, 'k-same-1234'),
          422,
          'same_account',
        ],
        [
          'insufficient funds',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '1000.00' }, 'k-funds-123'),
          422,
          'insufficient_funds',
        ],
        [
          'funding from a wallet',
          () =>
            post(
              f.t,
              '/v1/fundings',
              { bankAccountId: f.bob, accountId: f.alice, amount: '1.00', currency: 'CNY' },
              'k-fund-1234',
            ),
          422,
          'funding_source_invalid',
        ],
        [
          'idempotency key reused with another body',
          () => post(f.t, '/v1/transfers', { ...valid, amount: '2.00' }, 'conflict-key-1'),
          409,
          'idempotency_conflict',
        ],
        ['post of an unknown hold', () => post(f.t, '/v1/holds/999999/post', {}, 'k-hold-1234'), 404, 'hold_not_found'],
        ['missing token', () => post(f.t, '/v1/transfers', valid, 'k-notoken-1', null), 401, 'unauthenticated'],
        [
          'invalid token',
          () => post(f.t, '/v1/transfers', valid, 'k-badtoken1', 'anfu_op_' + 'A'.repeat(43)),
          401,
          'unauthenticated',
        ],
        [
          'bad cursor',
          () =>
            f.t.app.inject({
              url: `/v1/accounts/${f.alice}/journal?cursor=bm90LWEtY3Vyc29y`,
              headers: { authorization: `Bearer ${f.t.token}` },
            }),
          400,
          'invalid_cursor',
        ],
        [
          'unknown route',
          () => f.t.app.inject({ url: '/v1/nothing-here', headers: { authorization: `Bearer ${f.t.token}` } }),
          404,
          'not_found',
        ],
      ];
      for (const [name, send, status, code] of cases) {
        const response = await send();
        assert.equal(response.statusCode, status, `${name}: ${response.body}`);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/, name);
        const body = response.json() as Record<string, unknown>;
        assert.equal(body.code, code, `${name}: ${response.body}`);
        assert.equal(body.status, status, name);
        assert.equal(typeof body.title, 'string', name);
        assert.doesNotMatch(response.body, /\bat [^ ]+ \(|node_modules|anfu_op_/, `${name} leaks internals`);
      }
      assert.equal(await snapshot(f), before, 'bad input changed the ledger');
      assert.ok(!f.t.logs.join('').includes(f.t.token), 'the operator token reached the log');
    });

    test('health, readiness, metrics and OpenAPI are served', async () => {
      assert.equal((await f.t.app.inject({ url: '/health' })).json().status, 'ok');
      assert.equal((await f.t.app.inject({ url: '/ready' })).json().store, kind);
      const metrics = await f.t.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${await f.t.tokenFor('auditor')}` },
      });
      assert.match(metrics.body, /anfu_ledger_transfers_total\{kind="single",outcome="applied"\}/);
      const openapi = (await f.t.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, unknown> };
      for (const path of ['/v1/transfers', '/v1/holds/{holdId}/post', '/v1/accounts/{accountId}/journal'])
        assert.ok(path in openapi.paths, path);
      const docs = await f.t.app.inject({ url: '/health' });
      assert.match(String(docs.headers['strict-transport-security']), /max-age=\d+/);
    });
  });
}
