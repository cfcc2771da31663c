// Issue 9 item 7, replayed through the public API on both stores with `anfu bank-sim` as a separate
// process: the attacker with the victim's password and SMS on a new device cannot bind a card; the
// issuer checks cardholder and CVV2 and its one-time code (wrong codes, attempts exhausted); one card
// is bound to one customer; bind attempts are bounded; a tiny top-up verifies nothing; top-ups and
// withdrawals are challenged and limited like payments (a class I wallet cannot withdraw 1,500 or
// 999,999 CNY). Each refusal is checked for its status and code, its audit entry, and unchanged state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { cryptoProfile, type PrivateKey } from '../crypto/index.ts';
import { provideCardFundingFrom } from '../wiring/card-funding.ts';
import { totpCode } from '../identity/totp.ts';
import {
  browserDevice,
  createIdentityTestApp,
  registerThroughApi,
  residentIdNumber,
  type IdentityTestApp,
  type RegisteredCustomer, secureRegisteredDevice } from '../wiring/identity-test-app.ts';
import { signInstruction } from '../payments/testing.ts';
import { testStoreKinds, type StoreKind } from '../store/testing.ts';

const victimPan = withCheckDigit('622202000000007777');
const attackerPan = withCheckDigit('622202000000006666');
const legacyPan = withCheckDigit('622202000000005555');
const victimCvv = '737';
const victimBankPhone = '+8613900007777';
const attackerBankPhone = '+8613900006666';
const bindAttemptsMax = 8;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Customer extends RegisteredCustomer {
  token: string;
  privateKey: PrivateKey;
  certificate: string;
  totpSecret: string;
}

async function inject(t: IdentityTestApp, options: InjectOptions, status: number): Promise<Record<string, unknown>> {
  const response = await t.app.inject(options);
  assert.equal(response.statusCode, status, `${String(options.url)}: ${response.body}`);
  return (response.body === '' ? {} : response.json()) as Record<string, unknown>;
}

/** A refusal: the status and the problem code. */
async function refused(
  t: IdentityTestApp,
  options: InjectOptions,
  status: number,
  code: string,
): Promise<Record<string, unknown>> {
  const body = await inject(t, options, status);
  assert.equal(body.code, code, JSON.stringify(body));
  return body;
}

/** Register (as 张三 with a known ID), certify a device key, enrol TOTP, sign in with the device key. */
async function onboard(t: IdentityTestApp, idNumber: string): Promise<Customer> {
  const registered = await registerThroughApi(t, { idNumber });
  const secured = await secureRegisteredDevice(t, registered);
  const customer = {
    ...registered,
    token: '',
    privateKey: secured.privateKey,
    certificate: secured.certificate,
    totpSecret: secured.totpSecret,
  };
  return { ...customer, token: await signIn(t, customer) };
}

/** Password, then the device key answers the challenge: a certificate-strength session on the customer's own device. */
async function signIn(t: IdentityTestApp, who: Omit<Customer, 'token'>): Promise<string> {
  const profile = cryptoProfile('intl');
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/customer-sessions',
    payload: { phone: who.phone, password: who.password, device: browserDevice },
    remoteAddress: '203.0.113.9',
  });
  // A known device on a known network may be let in on the password alone.
  if (response.statusCode === 201) return String(response.json().accessToken);
  assert.equal(response.statusCode, 202, response.body);
  const challenged = response.json() as Record<string, unknown>;
  const data = Buffer.from(`anfu-login-v1|${String(challenged.challengeId)}|${String(challenged.nonce)}`, 'utf8');
  const answer = {
    factor: 'device_signature',
    signature: profile.sign(who.privateKey, data).toString('base64'),
    certificate: who.certificate,
  };
  const session = await inject(
    t,
    {
      method: 'POST',
      url: `/v1/login-challenges/${String(challenged.challengeId)}`,
      payload: answer,
      remoteAddress: '203.0.113.9',
    },
    201,
  );
  return String(session.accessToken);
}

/** A fresh TOTP code (the clock moves a step first, so a code is never reused). */
function totp(t: IdentityTestApp, who: Customer) {
  t.advance(30_000);
  return { kind: 'totp', code: totpCode(who.totpSecret, t.identity.clock()) };
}

function signed(t: IdentityTestApp, who: Customer, fields: { kind: string; target: string; amount: string }) {
  const instruction = {
    version: 1,
    kind: fields.kind,
    payer: who.customerId,
    device: who.deviceId,
    target: fields.target,
    amount: fields.amount,
    currency: 'CNY',
    nonce: randomBytes(16).toString('base64url'),
    timestamp: t.identity.clock(),
  };
  return { instruction, signature: signInstruction('intl', who, instruction) };
}

function funding(
  t: IdentityTestApp,
  who: Customer,
  kind: 'top-ups' | 'withdrawals',
  cardId: string,
  amount: string,
): InjectOptions {
  const payload = signed(t, who, { kind: kind === 'top-ups' ? 'top_up' : 'withdrawal', target: cardId, amount });
  return {
    method: 'POST',
    url: `/v1/${kind}`,
    headers: { ...bearer(who.token), 'idempotency-key': `sec-${randomBytes(8).toString('hex')}` },
    payload,
  };
}

const cardBody = (pan: string, cvv: string, stepUp?: { kind: string; code: string }) => ({
  pan,
  expiryMonth: 12,
  expiryYear: 2030,
  cvv,
  ...(stepUp === undefined ? {} : { stepUp }),
});

async function lastCodeTo(sim: BankSimProcess, phone: string): Promise<string> {
  const code = (await sim.state()).otpsSent.filter((o) => o.phone === phone).at(-1)?.code;
  assert.ok(code !== undefined, 'the issuer sent a one-time code to the phone on file');
  return code;
}

async function auditEntries(
  t: IdentityTestApp,
): Promise<
  Array<{
    action: string;
    target: string | null;
    outcome: string;
    actorId: string | null;
    details: Record<string, unknown>;
  }>
> {
  const entries: Array<{
    action: string;
    target: string | null;
    outcome: string;
    actorId: string | null;
    details: Record<string, unknown>;
  }> = [];
  for (let cursor: string | null = null; ;) {
    const page = await inject(
      t,
      {
        method: 'GET',
        url: `/v1/audit/entries?limit=500${cursor === null ? '' : `&cursor=${cursor}`}`,
        headers: bearer(t.token),
      },
      200,
    );
    // details travel as canonical JSON text.
    entries.push(
      ...((page.items as Array<{ details: string }>).map((e) => ({
        ...e,
        details: JSON.parse(e.details) as Record<string, unknown>,
      })) as unknown as typeof entries),
    );
    cursor = page.nextCursor as string | null;
    if (cursor === null) return entries;
  }
}

async function audited(t: IdentityTestApp, who: Customer, action: string, reason: string): Promise<void> {
  const found = (await auditEntries(t)).some(
    (e) =>
      e.action === action &&
      e.actorId === who.customerId &&
      e.outcome === 'denied' &&
      (e.details.reason === reason || e.details.code === reason),
  );
  assert.ok(found, `audit ${action} ${reason}`);
}

/** What must not change on a refusal: the wallet balance and the verified cards. */
async function state(t: IdentityTestApp, who: Customer): Promise<string> {
  const accounts = await inject(
    t,
    { method: 'GET', url: `/v1/accounts?ownerId=${who.customerId}`, headers: bearer(t.token) },
    200,
  );
  const cards = await inject(t, { method: 'GET', url: '/v1/cards', headers: bearer(who.token) }, 200);
  return JSON.stringify({
    accounts: (accounts.items as Array<{ code: string; balance: string }>).map((a) => [a.code, a.balance]),
    cards: cards.items,
  });
}

async function unchanged(t: IdentityTestApp, who: Customer, attempt: () => Promise<unknown>): Promise<void> {
  const before = await state(t, who);
  await attempt();
  assert.equal(await state(t, who), before, 'a refusal changed state');
}

async function bindThroughApi(t: IdentityTestApp, sim: BankSimProcess, who: Customer, pan: string): Promise<string> {
  const started = await inject(
    t,
    { method: 'POST', url: '/v1/cards', headers: bearer(who.token), payload: cardBody(pan, victimCvv, totp(t, who)) },
    202,
  );
  const card = await inject(
    t,
    {
      method: 'POST',
      url: `/v1/card-bindings/${String(started.id)}/confirmation`,
      headers: bearer(who.token),
      payload: { code: await lastCodeTo(sim, victimBankPhone) },
    },
    201,
  );
  assert.equal(card.verified, true);
  return String(card.id);
}

async function setUp(kind: StoreKind) {
  const victimId = residentIdNumber('19900307');
  const sim = await startBankSimProcess({
    unknownCards: 'approve',
    cards: [
      {
        pan: victimPan,
        balanceMinor: '100000000',
        expiry: '3012',
        holderName: '张三',
        holderIdNumber: victimId,
        cvv2: victimCvv,
        phone: victimBankPhone,
      },
      {
        pan: attackerPan,
        balanceMinor: '100000000',
        expiry: '3012',
        holderName: '李四',
        holderIdNumber: residentIdNumber('19850101'),
        cvv2: '123',
        phone: attackerBankPhone,
      },
    ],
  });
  const env = {
    ANFU_CARD_LINK_PORT: String(sim.port),
    ANFU_CARD_LINK_RESPONSE_TIMEOUT_MS: '2000',
    ANFU_CARD_BIND_ATTEMPTS_PER_DAY_MAX: String(bindAttemptsMax),
    ANFU_CUSTOMER_ACCESS_TOKEN_TTL_MS: String(3600_000),
  };
  const t = await createIdentityTestApp(kind, { env });
  const link = provideCardFundingFrom(t.config, t.store, t.keyring, t.identity.clock);
  const close = async () => {
    link?.close();
    await t.close();
    await sim.stop();
  };
  return { t, sim, victimId, close };
}

/**
 * The attacker: the phone and password of a customer who has no authenticator (password + SMS only),
 * and the SMS code (a swapped SIM), on a device never seen.
 */
async function attackerSession(t: IdentityTestApp, victim: RegisteredCustomer): Promise<Customer> {
  const device = { ...browserDevice, installId: 'attacker-phone', platform: 'iPhone' };
  const challenged = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/customer-sessions',
      payload: { phone: victim.phone, password: victim.password, device },
      remoteAddress: '198.51.100.7',
    },
    202,
  );
  const id = String(challenged.challengeId);
  const sent = await inject(
    t,
    { method: 'POST', url: `/v1/login-challenges/${id}/sms`, remoteAddress: '198.51.100.7' },
    202,
  );
  const session = await inject(
    t,
    {
      method: 'POST',
      url: `/v1/login-challenges/${id}`,
      payload: { factor: 'sms', codeId: sent.codeId, code: t.smsCode(victim.phone) },
      remoteAddress: '198.51.100.7',
    },
    201,
  );
  return {
    ...victim,
    token: String(session.accessToken),
    deviceId: String(session.deviceId),
    totpSecret: '',
    certificate: '',
    privateKey: undefined as unknown as PrivateKey,
  };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: card binding and cash-out (issue 9 item 7)`, async (s) => {
    const { t, sim, victimId, close } = await setUp(kind);
    try {
      const victim = await onboard(t, victimId);
      const smsOnly = await registerThroughApi(t);
      const attacker = await attackerSession(t, smsOnly);

      await s.test(
        'password + SMS on a new device cannot bind a card: a step-up with an existing factor is required',
        async () => {
          const url = { method: 'POST' as const, url: '/v1/cards', headers: bearer(attacker.token) };
          await unchanged(t, attacker, () =>
            refused(t, { ...url, payload: cardBody(attackerPan, '123') }, 403, 'step_up_required'),
          );
          await audited(t, attacker, 'card.bind', 'step_up_required');
          // An SMS code is what the attacker has; it is not a step-up for binding a card.
          await unchanged(t, attacker, () =>
            refused(
              t,
              { ...url, payload: cardBody(attackerPan, '123', { kind: 'sms', code: '123456' }) },
              401,
              'code_invalid',
            ),
          );
          await audited(t, attacker, 'card.bind', 'code_invalid');
          assert.equal((await sim.state()).otpsSent.length, 0, 'nothing reached the issuer');
        },
      );

      await s.test('the issuer checks the cardholder and the CVV2', async () => {
        const url = { method: 'POST' as const, url: '/v1/cards', headers: bearer(victim.token) };
        // The attacker's own card is not the victim's: name and ID do not match at the issuer.
        await unchanged(t, victim, () =>
          refused(t, { ...url, payload: cardBody(attackerPan, '123', totp(t, victim)) }, 422, 'card_holder_mismatch'),
        );
        await audited(t, victim, 'card.bind', 'card_holder_mismatch');
        await unchanged(t, victim, () =>
          refused(
            t,
            { ...url, payload: cardBody(victimPan, '000', totp(t, victim)) },
            422,
            'card_security_code_invalid',
          ),
        );
        await audited(t, victim, 'card.bind', 'card_security_code_invalid');
        assert.equal((await sim.state()).otpsSent.length, 0, 'no one-time code was sent');
      });

      await s.test('wrong one-time codes are bounded; the binding then closes', async () => {
        const started = await inject(
          t,
          {
            method: 'POST',
            url: '/v1/cards',
            headers: bearer(victim.token),
            payload: cardBody(victimPan, victimCvv, totp(t, victim)),
          },
          202,
        );
        const right = await lastCodeTo(sim, victimBankPhone);
        const wrong = right === '000000' ? '000001' : '000000';
        const confirm = (code: string): InjectOptions => ({
          method: 'POST',
          url: `/v1/card-bindings/${String(started.id)}/confirmation`,
          headers: bearer(victim.token),
          payload: { code },
        });
        await unchanged(t, victim, async () => {
          assert.equal((await refused(t, confirm(wrong), 422, 'card_otp_invalid')).attemptsRemaining, 2);
          assert.equal((await refused(t, confirm(wrong), 422, 'card_otp_invalid')).attemptsRemaining, 1);
          await refused(t, confirm(wrong), 422, 'card_otp_attempts_exhausted');
          await refused(t, confirm(right), 404, 'card_binding_not_found');
        });
        await audited(t, victim, 'card.bind.confirm', 'card_otp_invalid');
        await audited(t, victim, 'card.bind.confirm', 'card_otp_attempts_exhausted');
      });

      const cardId = await bindThroughApi(t, sim, victim, victimPan);

      await s.test('a card verified for one customer cannot be bound by another', async () => {
        const other = await onboard(t, residentIdNumber('19920202'));
        await unchanged(t, other, () =>
          refused(
            t,
            {
              method: 'POST',
              url: '/v1/cards',
              headers: bearer(other.token),
              payload: cardBody(victimPan, victimCvv, totp(t, other)),
            },
            409,
            'card_bound_elsewhere',
          ),
        );
        await audited(t, other, 'card.bind', 'card_bound_elsewhere');
      });

      await s.test(
        'a tiny top-up verifies nothing: an unverified card neither tops up nor receives a withdrawal',
        async () => {
          // A card bound before issuer verification existed (migration 140 unverified every such card).
          const legacyId = await legacyCard(t, victim);
          await unchanged(t, victim, () =>
            refused(t, funding(t, victim, 'top-ups', legacyId, '0.01'), 422, 'card_unverified'),
          );
          await unchanged(t, victim, () =>
            refused(t, funding(t, victim, 'withdrawals', legacyId, '0.01'), 422, 'card_unverified'),
          );
          await audited(t, victim, 'payment.instruction_refused', 'card_unverified');
        },
      );

      await s.test('top-ups and withdrawals from a new device are challenged and need a step-up', async () => {
        const topUp = await inject(t, funding(t, victim, 'top-ups', cardId, '100.00'), 202);
        assert.equal(topUp.state, 'challenged');
        await unchanged(t, victim, () =>
          refused(
            t,
            {
              method: 'POST',
              url: `/v1/funding/${String(topUp.id)}/step-up`,
              headers: bearer(victim.token),
              payload: { kind: 'totp', code: '000000' },
            },
            401,
            'code_invalid',
          ),
        );
        assert.equal(
          (
            await inject(
              t,
              {
                method: 'POST',
                url: `/v1/funding/${String(topUp.id)}/step-up`,
                headers: bearer(victim.token),
                payload: totp(t, victim),
              },
              200,
            )
          ).state,
          'succeeded',
        );
        const withdrawal = await inject(t, funding(t, victim, 'withdrawals', cardId, '50.00'), 202);
        assert.equal(withdrawal.state, 'challenged');
        // By SMS: a session step-up code is not this withdrawal's; the code sent for it is.
        const headers = bearer(victim.token);
        const stepUp = { method: 'POST' as const, url: `/v1/funding/${String(withdrawal.id)}/step-up`, headers };
        const session = await inject(t, { method: 'POST', url: '/v1/me/step-up/sms', headers }, 202);
        const sessionCode = { kind: 'sms', codeId: session.codeId, code: t.smsCode(victim.phone) };
        await unchanged(t, victim, () => refused(t, { ...stepUp, payload: sessionCode }, 401, 'code_invalid'));
        const sent = await inject(t, { method: 'POST', url: `${stepUp.url}/sms`, headers: bearer(victim.token) }, 202);
        assert.match(String(sent.codeId), /./);
        const code = t.smsCode(victim.phone);
        const done = await inject(t, { ...stepUp, payload: { kind: 'sms', codeId: sent.codeId, code } }, 200);
        assert.equal(done.state, 'succeeded');
        const other = { method: 'POST' as const, url: `/v1/funding/${String(topUp.id)}/step-up/sms` };
        await refused(t, { ...other, headers: bearer(victim.token) }, 409, 'payment_state_invalid');
        assert.match(await state(t, victim), /"50\.00"/);
      });

      await s.test('a class I wallet cannot withdraw 1,500 or 999,999 CNY', async () => {
        t.advance(2 * 86_400_000); // the device is no longer new: nothing is challenged, only limits decide
        victim.token = await signIn(t, victim);
        assert.equal((await inject(t, funding(t, victim, 'top-ups', cardId, '2000.00'), 201)).state, 'succeeded');
        await unchanged(t, victim, () =>
          refused(t, funding(t, victim, 'withdrawals', cardId, '1500.00'), 422, 'limit_exceeded'),
        );
        await unchanged(t, victim, () =>
          refused(t, funding(t, victim, 'withdrawals', cardId, '999999.00'), 422, 'limit_exceeded'),
        );
        const limits = (await auditEntries(t))
          .filter((e) => e.action === 'payment.limit_refused' && e.actorId === victim.customerId)
          .map((e) => e.details.limit);
        assert.deepEqual(limits.slice(-2), ['class_lifetime', 'funding_transaction']);
      });

      await s.test(`card bindings are bounded: ${bindAttemptsMax} a day, whatever their outcome`, async () => {
        t.advance(25 * 3600_000);
        victim.token = await signIn(t, victim);
        const url = {
          method: 'POST' as const,
          url: '/v1/cards',
          headers: bearer(victim.token),
          payload: cardBody(attackerPan, '123'),
        };
        for (let i = 0; i < bindAttemptsMax; i += 1) await refused(t, url, 403, 'step_up_required');
        // The limit holds even with a right step-up and the right card: the next attempt waits a day.
        await unchanged(t, victim, () =>
          refused(
            t,
            { ...url, payload: cardBody(victimPan, victimCvv, totp(t, victim)) },
            429,
            'card_bind_attempts_exceeded',
          ),
        );
        await audited(t, victim, 'card.bind', 'card_bind_attempts_exceeded');
      });
    } finally {
      await close();
    }
  });
}

/** Writes a card row as a binding before migration 140 left it: active, never verified by its issuer. */
async function legacyCard(t: IdentityTestApp, who: Customer): Promise<string> {
  const { TokenVault } = await import('../crypto/index.ts');
  const { token, maskedPan } = await new TokenVault(t.keyring).tokenise({
    pan: legacyPan,
    expiryMonth: 12,
    expiryYear: 2030,
  });
  const id = `card_${randomBytes(13).toString('hex').slice(0, 26)}`;
  await t.store.run(
    "INSERT INTO payment_cards (id, customer_id, card_token, masked_pan, bank, status, verified_at, created_at) VALUES (?, ?, ?, ?, 'SIMBANK', 'active', NULL, ?)",
    [id, who.customerId, token, maskedPan, t.identity.clock()],
  );
  return id;
}
