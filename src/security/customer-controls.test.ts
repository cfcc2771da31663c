// Attacks on the customer side, replayed through the public API on both stores (issue 9, items 5, 6
// and 8): guessing a payment step-up, replacing the authenticator from a phone-level session, and
// abusing public surfaces (payee enumeration, money-request notes, credential stuffing, lockout as a
// weapon, request floods across processes). Each asserts the refusal (status and code), the audit
// entry or security event, and that nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { cryptoProfile, type PrivateKey } from '../crypto/index.ts';
import { composeApp } from '../wiring/app.ts';
import { totpCode } from '../identity/totp.ts';
import {
  browserDevice,
  createIdentityTestApp,
  phoneNumber,
  registerThroughApi,
  type IdentityTestApp,
  type RegisteredCustomer, secureRegisteredDevice } from '../wiring/identity-test-app.ts';
import { walletOf } from '../payments/index.ts';
import { signInstruction } from '../payments/testing.ts';
import { testStoreKinds } from '../store/testing.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function call(t: IdentityTestApp, options: InjectOptions, status: number): Promise<Record<string, unknown>> {
  const response = await t.app.inject(options);
  assert.equal(response.statusCode, status, `${options.method ?? 'GET'} ${String(options.url)}: ${response.body}`);
  return (response.body === '' ? {} : response.json()) as Record<string, unknown>;
}

async function refused(
  t: IdentityTestApp,
  options: InjectOptions,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const body = await call(t, options, status);
  assert.equal(body.code, code, JSON.stringify(body));
  return body;
}

interface Payer extends RegisteredCustomer {
  readonly privateKey: PrivateKey;
  readonly totpSecret: string;
}

/** Registers, certifies a device key and enrols an authenticator, all in the fresh registration session. */
async function onboardPayer(t: IdentityTestApp): Promise<Payer> {
  const registered = await registerThroughApi(t);
  const secured = await secureRegisteredDevice(t, registered);
  return { ...registered, privateKey: secured.privateKey, totpSecret: secured.totpSecret };
}

async function fund(t: IdentityTestApp, customerId: string, minor: bigint): Promise<void> {
  const bank = await t.ledger.openAccount({
    kind: 'bank_settlement',
    currency: 'CNY',
    name: `Bank ${randomBytes(3).toString('hex')}`,
  });
  const wallet = await walletOf(t.ledger, customerId, 'CNY');
  assert.ok(
    (
      await t.ledger.submit({
        kind: 'single',
        key: `fund-${randomBytes(6).toString('hex')}`,
        debitAccountId: bank.id,
        creditAccountId: wallet.id,
        amount: minor,
        currency: 'CNY',
      })
    ).ok,
  );
}

async function balanceOf(t: IdentityTestApp, customerId: string): Promise<bigint> {
  const wallet = await walletOf(t.ledger, customerId, 'CNY');
  return wallet.creditsPosted - wallet.debitsPosted - wallet.debitsPending;
}

/** A signed transfer; the device is under a day old, so risk control challenges it (202). */
async function transfer(
  t: IdentityTestApp,
  payer: Payer,
  token: string,
  payeeId: string,
  amount: string,
  status = 202,
): Promise<{ id: string; state: string; riskReasons: string[] }> {
  const instruction = {
    version: 1,
    kind: 'transfer',
    payer: payer.customerId,
    device: payer.deviceId,
    target: payeeId,
    amount,
    currency: 'CNY',
    nonce: randomBytes(16).toString('base64url'),
    timestamp: t.identity.clock(),
  };
  const body = await call(
    t,
    {
      method: 'POST',
      url: '/v1/payments/transfers',
      headers: { ...bearer(token), 'idempotency-key': `sec-${randomBytes(8).toString('hex')}` },
      payload: { instruction, signature: signInstruction('intl', payer, instruction) },
    },
    status,
  );
  return body as { id: string; state: string; riskReasons: string[] };
}

async function auditRows(
  t: IdentityTestApp,
  action: string,
): Promise<Array<{ outcome: string; details: Record<string, unknown> }>> {
  const rows = await t.store.all('SELECT outcome, details FROM audit_entries WHERE action = ? ORDER BY seq', [action]);
  return rows.map((r) => ({
    outcome: r.outcome as string,
    details: JSON.parse((r.details as string | null) ?? '{}') as Record<string, unknown>,
  }));
}

async function securityEvents(t: IdentityTestApp, type: string): Promise<Array<Record<string, unknown>>> {
  const rows = await t.store.all('SELECT details FROM security_events WHERE type = ? ORDER BY created_at', [type]);
  return rows.map((r) => JSON.parse(r.details as string) as Record<string, unknown>);
}

async function usageOf(t: IdentityTestApp, customerId: string): Promise<bigint> {
  const row = await t.store.get<{ used: unknown }>(
    "SELECT used FROM payment_limit_usage WHERE customer_id = ? AND period = 'life'",
    [customerId],
  );
  return row === undefined ? 0n : BigInt(row.used as bigint);
}

for (const kind of testStoreKinds()) {
  test(`${kind}: item 5 — payment step-up is bounded per payment and per day; SMS codes are bound to their payment`, async () => {
    const t = await createIdentityTestApp(kind, { env: { ANFU_STEP_UP_FAILURES_PER_DAY_MAX: '7' } });
    try {
      const payer = await onboardPayer(t);
      const payee = await registerThroughApi(t);
      await fund(t, payer.customerId, 100_000n);

      // An SMS code sent for one payment authorises that payment and no other.
      const first = await transfer(t, payer, payer.accessToken, payee.customerId, '10.00');
      const other = await transfer(t, payer, payer.accessToken, payee.customerId, '11.00');
      const sent = await call(
        t,
        { method: 'POST', url: `/v1/payments/${first.id}/step-up/sms`, headers: bearer(payer.accessToken) },
        202,
      );
      assert.match(t.lastSms(payer.phone)?.text ?? '', /10\.00/);
      const code = t.smsCode(payer.phone);
      await refused(
        t,
        {
          method: 'POST',
          url: `/v1/payments/${other.id}/step-up`,
          headers: bearer(payer.accessToken),
          payload: { kind: 'sms', codeId: sent.codeId, code },
        },
        401,
        'code_invalid',
      );
      const passed = await call(
        t,
        {
          method: 'POST',
          url: `/v1/payments/${first.id}/step-up`,
          headers: bearer(payer.accessToken),
          payload: { kind: 'sms', codeId: sent.codeId, code },
        },
        200,
      );
      assert.equal(passed.state, 'succeeded');

      // Guessing: `other` already took one wrong answer; four more exhaust it and fail it.
      const before = { balance: await balanceOf(t, payer.customerId), usage: await usageOf(t, payer.customerId) };
      for (const guess of ['000001', '000002', '000003']) {
        await refused(
          t,
          {
            method: 'POST',
            url: `/v1/payments/${other.id}/step-up`,
            headers: bearer(payer.accessToken),
            payload: { kind: 'totp', code: guess },
          },
          401,
          'code_invalid',
        );
      }
      const exhausted = await refused(
        t,
        {
          method: 'POST',
          url: `/v1/payments/${other.id}/step-up`,
          headers: bearer(payer.accessToken),
          payload: { kind: 'totp', code: '000004' },
        },
        403,
        'step_up_exhausted',
      );
      assert.equal(exhausted.paymentId, other.id);
      // The right code now changes nothing: the payment is failed and its reserved limit released.
      t.advance(30_000);
      await refused(
        t,
        {
          method: 'POST',
          url: `/v1/payments/${other.id}/step-up`,
          headers: bearer(payer.accessToken),
          payload: { kind: 'totp', code: totpCode(payer.totpSecret, t.identity.clock()) },
        },
        409,
        'payment_state_invalid',
      );
      const failed = await call(
        t,
        { method: 'GET', url: `/v1/payments/${other.id}`, headers: bearer(payer.accessToken) },
        200,
      );
      assert.deepEqual([failed.state, failed.failureCode], ['failed', 'step_up_exhausted']);
      assert.equal(await balanceOf(t, payer.customerId), before.balance);
      assert.equal(await usageOf(t, payer.customerId), before.usage - 1_100n);

      const tries = (await auditRows(t, 'customer.payment.step_up')).map((r) => r.outcome);
      assert.deepEqual(tries, ['failure', 'success', 'failure', 'failure', 'failure', 'failure']);
      const events = await securityEvents(t, 'brute_force');
      assert.deepEqual(
        events.map((e) => [e.channel, e.paymentId, e.bound]),
        [['payment_step_up', other.id, 'payment']],
      );
      const source = await t.store.get<{ source: string | null }>(
        "SELECT source FROM security_events WHERE type = 'brute_force'",
      );
      assert.equal(source?.source, '127.0.0.1');
      const notices = await t.store.all(
        "SELECT kind FROM customer_notices WHERE customer_id = ? AND kind = 'step_up_locked'",
        [payer.customerId],
      );
      assert.equal(notices.length, 1);
      assert.match(t.lastSms(payer.phone)?.text ?? '', /已取消/);

      // Per day: 5 wrong answers so far; the 7th of the day exhausts a fresh payment after two.
      const third = await transfer(t, payer, payer.accessToken, payee.customerId, '12.00');
      await refused(
        t,
        {
          method: 'POST',
          url: `/v1/payments/${third.id}/step-up`,
          headers: bearer(payer.accessToken),
          payload: { kind: 'totp', code: '000005' },
        },
        401,
        'code_invalid',
      );
      await refused(
        t,
        {
          method: 'POST',
          url: `/v1/payments/${third.id}/step-up`,
          headers: bearer(payer.accessToken),
          payload: { kind: 'totp', code: '000006' },
        },
        403,
        'step_up_exhausted',
      );
      assert.equal(
        (await call(t, { method: 'GET', url: `/v1/payments/${third.id}`, headers: bearer(payer.accessToken) }, 200))
          .state,
        'failed',
      );
      assert.deepEqual(
        (await securityEvents(t, 'brute_force')).map((e) => e.bound),
        ['payment', 'day'],
      );
      assert.ok((await t.ledger.verify()).ok);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: item 6 — a password + SMS session cannot remove or replace the authenticator; changes start a cooling-off`, async () => {
    // Class I wallets may pay 1,000 CNY in all: the cooling-off threshold is set below that here.
    const t = await createIdentityTestApp(kind, { env: { ANFU_FACTOR_CHANGE_CHALLENGE_MINOR: '10000' } });
    try {
      const owner = await onboardPayer(t);
      const payee = await registerThroughApi(t);
      await fund(t, owner.customerId, 50_000n);
      t.advance(20 * 60_000);
      // The attacker knows the password and receives the SMS codes (a swapped SIM), on a device of their own.
      const attackerDevice = { ...browserDevice, installId: 'attacker-phone' };
      const challenge = await call(
        t,
        {
          method: 'POST',
          url: '/v1/customer-sessions',
          payload: { phone: owner.phone, password: owner.password, device: attackerDevice },
        },
        202,
      );
      assert.ok((challenge.factors as string[]).includes('sms'));
      const sms = await call(
        t,
        { method: 'POST', url: `/v1/login-challenges/${String(challenge.challengeId)}/sms` },
        202,
      );
      const session = await call(
        t,
        {
          method: 'POST',
          url: `/v1/login-challenges/${String(challenge.challengeId)}`,
          payload: { factor: 'sms', codeId: sms.codeId, code: t.smsCode(owner.phone) },
        },
        201,
      );
      const attacker = bearer(String(session.accessToken));
      await refused(t, { method: 'DELETE', url: '/v1/me/totp', headers: attacker }, 403, 'step_up_required');
      // A fresh SMS step-up is still only the phone: not enough to touch a stronger factor.
      const code = await call(t, { method: 'POST', url: '/v1/me/step-up/sms', headers: attacker }, 202);
      assert.deepEqual(
        await call(
          t,
          {
            method: 'POST',
            url: '/v1/me/step-up',
            headers: attacker,
            payload: { kind: 'sms', codeId: code.codeId, code: t.smsCode(owner.phone) },
          },
          200,
        ),
        { strength: 'sms' },
      );
      const denied = await refused(
        t,
        { method: 'DELETE', url: '/v1/me/totp', headers: attacker },
        403,
        'step_up_required',
      );
      assert.equal(denied.requiredStrength, 'strong');
      await refused(t, { method: 'POST', url: '/v1/me/recovery-codes', headers: attacker }, 403, 'step_up_required');
      await refused(t, { method: 'POST', url: '/v1/me/passkeys/options', headers: attacker }, 403, 'step_up_required');
      const profile = cryptoProfile('intl');
      await refused(
        t,
        {
          method: 'POST',
          url: '/v1/me/device-certificate',
          headers: attacker,
          payload: { publicKey: profile.exportPublicKey(profile.generateSigningKeyPair().publicKey) },
        },
        403,
        'step_up_required',
      );
      await refused(
        t,
        { method: 'DELETE', url: `/v1/me/devices/${owner.deviceId}`, headers: attacker },
        403,
        'step_up_required',
      );

      const row = await t.store.get<{ totp_state: string }>('SELECT totp_state FROM customers WHERE id = ?', [
        owner.customerId,
      ]);
      assert.equal(row?.totp_state, 'active');
      assert.equal(
        (
          await t.store.all(
            "SELECT id FROM customer_devices WHERE customer_id = ? AND status = 'active' AND certificate_pem IS NOT NULL",
            [owner.customerId],
          )
        ).length,
        1,
      );
      assert.equal(
        (await t.store.all('SELECT code_hash FROM recovery_codes WHERE customer_id = ?', [owner.customerId])).length,
        0,
      );
      const refusals = (await auditRows(t, 'customer.factor_change')).filter((r) => r.outcome === 'denied');
      assert.deepEqual(
        refusals.map((r) => r.details.change),
        [
          'totp.remove',
          'totp.remove',
          'recovery_codes.replace',
          'passkey.add',
          'device_certificate.add',
          'device_certificate.remove',
        ],
      );
      assert.deepEqual(new Set(refusals.map((r) => r.details.proven)), new Set(['sms']));
      assert.equal((await auditRows(t, 'customer.totp.remove')).length, 0);

      // The owner's session is no longer fresh; with an authenticator code it may change factors, which starts a cooling-off.
      const resumed = await call(
        t,
        { method: 'POST', url: '/v1/customer-sessions/refresh', payload: { refreshToken: owner.refreshToken } },
        200,
      );
      const ownerToken = String(resumed.accessToken);
      await refused(
        t,
        { method: 'POST', url: '/v1/me/recovery-codes', headers: bearer(ownerToken) },
        403,
        'step_up_required',
      );
      t.advance(30_000);
      await call(
        t,
        {
          method: 'POST',
          url: '/v1/me/step-up',
          headers: bearer(ownerToken),
          payload: { kind: 'totp', code: totpCode(owner.totpSecret, t.identity.clock()) },
        },
        200,
      );
      await call(t, { method: 'POST', url: '/v1/me/recovery-codes', headers: bearer(ownerToken) }, 201);
      const large = await transfer(t, owner, ownerToken, payee.customerId, '100.00');
      assert.ok(large.riskReasons.includes('recent_factor_change'), large.riskReasons.join());
      const small = await transfer(t, owner, ownerToken, payee.customerId, '99.99');
      assert.ok(!small.riskReasons.includes('recent_factor_change'));
      // After the cooling-off (and with the device a day old) the same amount goes through.
      t.advance(25 * 3600_000);
      const refreshed = await call(
        t,
        {
          method: 'POST',
          url: '/v1/customer-sessions/refresh',
          payload: { refreshToken: String(resumed.refreshToken) },
        },
        200,
      );
      const later = await transfer(t, owner, String(refreshed.accessToken), payee.customerId, '100.00', 201);
      assert.deepEqual([later.state, later.riskReasons], ['succeeded', []]);
    } finally {
      await t.close();
    }
  });

  test(`${kind}: item 8 — payee lookups and requests for money are throttled, bounded and audited`, async () => {
    const t = await createIdentityTestApp(kind, {
      env: { ANFU_PAYEE_LOOKUPS_PER_HOUR_MAX: '3', ANFU_COLLECT_REQUESTS_PER_DAY_MAX: '2' },
    });
    try {
      const asker = await registerThroughApi(t);
      const friend = await registerThroughApi(t);
      const headers = bearer(asker.accessToken);
      // Enumeration: three unknown numbers answer not found; the fourth lookup is refused, even for a real number.
      for (let i = 0; i < 3; i++)
        await refused(
          t,
          { method: 'POST', url: '/v1/payees/lookup', headers, payload: { phone: phoneNumber() } },
          404,
          'payee_not_found',
        );
      const throttled = await refused(
        t,
        { method: 'POST', url: '/v1/payees/lookup', headers, payload: { phone: friend.phone } },
        429,
        'payee_lookup_throttled',
      );
      assert.ok(Number(throttled.retryAfterSeconds) > 0);
      assert.deepEqual(
        (await auditRows(t, 'payee.lookup')).map((r) => r.outcome),
        ['failure', 'failure', 'failure', 'denied'],
      );
      t.advance(3600_000);
      const refreshed = await call(
        t,
        { method: 'POST', url: '/v1/customer-sessions/refresh', payload: { refreshToken: asker.refreshToken } },
        200,
      );
      const again = bearer(String(refreshed.accessToken));
      assert.equal(
        (
          await call(
            t,
            { method: 'POST', url: '/v1/payees/lookup', headers: again, payload: { phone: friend.phone } },
            200,
          )
        ).walletId,
        friend.customerId,
      );

      // Notes: bounded in characters; control and direction-changing characters refused; nothing stored.
      const ask = (note: string) => ({
        method: 'POST' as const,
        url: '/v1/collect-requests',
        headers: again,
        payload: { payerWalletId: friend.customerId, amount: '5.00', currency: 'CNY', note, expiresInSeconds: 3600 },
      });
      await refused(t, ask('refund \u202Egnp.exe'), 422, 'note_invalid');
      await refused(t, ask('line\nbreak'), 422, 'note_invalid');
      await refused(t, ask('话'.repeat(61)), 422, 'note_invalid');
      assert.equal((await t.store.all('SELECT id FROM collect_requests')).length, 0);
      await call(t, ask('午饭 AA'), 201);
      await call(t, ask('话'.repeat(60)), 201);
      await refused(t, ask('third today'), 429, 'collect_request_throttled');
      assert.equal((await t.store.all('SELECT id FROM collect_requests')).length, 2);
      const requests = await auditRows(t, 'collect.request');
      assert.deepEqual(
        requests.map((r) => [r.outcome, r.details.reason ?? null]),
        [
          ['denied', 'format_character'],
          ['denied', 'control_character'],
          ['denied', 'too_long'],
          ['success', null],
          ['success', null],
          ['denied', 'throttled'],
        ],
      );
    } finally {
      await t.close();
    }
  });

  test(`${kind}: item 8 — customer credential stuffing is detected and locks the source; strangers cannot lock the owner out`, async () => {
    const t = await createIdentityTestApp(kind);
    try {
      const owner = await onboardPayer(t);
      const other = await registerThroughApi(t);
      const stranger = { ...browserDevice, installId: 'stranger' };
      const login = (phone: string, password: string, device: Record<string, string>, remoteAddress: string) => ({
        method: 'POST' as const,
        url: '/v1/customer-sessions',
        payload: { phone, password, device },
        remoteAddress,
      });
      // Stuffing: one address tries five numbers once each.
      for (let i = 0; i < 4; i++)
        await refused(t, login(phoneNumber(), 'leaked password 1', stranger, '198.51.100.7'), 401, 'login_failed');
      await refused(t, login(other.phone, 'leaked password 1', stranger, '198.51.100.7'), 401, 'login_failed');
      assert.deepEqual(
        (await securityEvents(t, 'credential_stuffing')).map((e) => [e.channel, e.accounts]),
        [['customer_login', 5]],
      );
      assert.equal((await auditRows(t, 'customer.login.source_lock')).length, 1);
      await refused(t, login(other.phone, other.password, stranger, '198.51.100.7'), 429, 'login_throttled');

      // Lockout: a stranger's wrong passwords lock the number for unknown devices only.
      for (let i = 0; i < 10; i++) {
        await refused(t, login(owner.phone, `guess ${i}`, stranger, '203.0.113.50'), 401, 'login_failed');
        t.advance(10 * 60_000);
      }
      t.advance(-10 * 60_000);
      await refused(t, login(owner.phone, owner.password, stranger, '203.0.113.50'), 429, 'login_throttled');
      assert.equal((await securityEvents(t, 'brute_force')).length, 1);
      // The owner's known device still signs in, asked for a second factor because of the attack.
      const challenged = await call(t, login(owner.phone, owner.password, browserDevice, '127.0.0.1'), 202);
      assert.ok((challenged.reasons as string[]).includes('locked_for_strangers'));
      t.advance(30_000);
      await call(
        t,
        {
          method: 'POST',
          url: `/v1/login-challenges/${String(challenged.challengeId)}`,
          payload: { factor: 'totp', code: totpCode(owner.totpSecret, t.identity.clock()) },
        },
        201,
      );
      // Still locked for strangers.
      await refused(t, login(owner.phone, owner.password, stranger, '203.0.113.51'), 429, 'login_throttled');
    } finally {
      await t.close();
    }
  });

  test(`${kind}: item 8 — request rates are limited per address and per customer${kind === 'postgres' ? ', shared by every process' : ''}`, async () => {
    const t = await createIdentityTestApp(kind, {
      env: { ANFU_RATE_LIMIT_PER_MINUTE: '6', ANFU_CUSTOMER_RATE_LIMIT_PER_MINUTE: '4' },
    });
    // On PostgreSQL a second API process on the same database shares the counts.
    const second =
      kind === 'postgres'
        ? await composeApp({
            config: t.config,
            store: t.store,
            ledger: t.ledger,
            keyring: t.keyring,
            identity: t.identity,
            clock: t.identity.clock,
            logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
          })
        : t.app;
    try {
      await second.ready();
      t.advance(60_000 - (t.identity.clock() % 60_000) + 1);
      const probe = (app: typeof t.app, remoteAddress: string, headers: Record<string, string> = {}) =>
        app.inject({ method: 'GET', url: '/v1/me', remoteAddress, headers });
      for (let i = 0; i < 6; i++)
        assert.equal((await probe(i % 2 === 0 ? t.app : second, '192.0.2.1')).statusCode, 401);
      const flood = await probe(second, '192.0.2.1');
      assert.deepEqual([flood.statusCode, flood.json().code], [429, 'rate_limited']);
      assert.equal((await probe(t.app, '192.0.2.2')).statusCode, 401, 'another address has its own budget');

      const customer = await registerThroughApi(t);
      t.advance(60_000);
      for (let i = 0; i < 4; i++)
        assert.equal(
          (await probe(i % 2 === 0 ? t.app : second, `192.0.2.${10 + i}`, bearer(customer.accessToken))).statusCode,
          200,
        );
      const fromElsewhere = await probe(t.app, '192.0.2.99', bearer(customer.accessToken));
      assert.deepEqual([fromElsewhere.statusCode, fromElsewhere.json().code], [429, 'rate_limited']);
      if (kind === 'postgres') {
        const rows = await t.store.all(
          "SELECT bucket, hits FROM rate_counters WHERE bucket LIKE 'rate:%' ORDER BY bucket",
        );
        assert.ok(rows.some((r) => r.bucket === `rate:customer:${customer.customerId}` && Number(r.hits) === 5));
      }
    } finally {
      if (second !== t.app) await second.close();
      await t.close();
    }
  });
}
