// The whole payments story through the public API, on both stores, with the real identity and the
// bank simulator as a separate process: two customers register and sign in, A enrols a device key
// and an authenticator, a merchant is onboarded with a webhook endpoint, A tops up by card, pays the
// merchant's order, is partly refunded, transfers to B (by phone, after the masked name) and
// withdraws to the card. Then: the merchant's receiver got signed webhooks, every step is audited,
// the journal and the audit log verify, balances are exact, and no PAN or CVV is stored or logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { keyringAuditSigner, verifyAuditLog } from '../audit/index.ts';
import { withCheckDigit } from '../cards/index.ts';
import { startBankSimProcess, type BankSimProcess } from '../banks/testing/bank-sim-process.ts';
import { cryptoProfile, type PrivateKey } from '../crypto/index.ts';
import { outboxDispatcherFor, verifyWebhookSignature } from '../events/index.ts';
import { totpCode } from '../identity/totp.ts';
import {
  browserDevice,
  createIdentityTestApp,
  registerThroughApi,
  type IdentityTestApp,
  type RegisteredCustomer, secureRegisteredDevice } from '../wiring/identity-test-app.ts';
import { merchantRequestSignature, signingKeyOf } from '../payments/index.ts';
import { signInstruction } from '../payments/testing.ts';
import { testStoreKinds, type StoreKind } from '../store/testing.ts';
import { provideCardFundingFrom } from '../wiring/card-funding.ts';

const profileName = 'intl';
const pan = withCheckDigit('622202000000004242');
const cvv = '737';
const bankPhone = '+8613900004242';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
let keys = 0;
const idempotencyKey = (label: string) => `e2e-${label}-${keys++}-${randomBytes(4).toString('hex')}`;

interface Received {
  readonly topic: string;
  readonly body: string;
  readonly signature: string | undefined;
}

/** The merchant's webhook endpoint: a real HTTP server on 127.0.0.1 that keeps what it was sent. */
async function webhookReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const signature = request.headers['anfu-signature'];
      received.push({
        topic: String(request.headers['anfu-event-topic']),
        body: Buffer.concat(chunks).toString('utf8'),
        signature: typeof signature === 'string' ? signature : undefined,
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/anfu/webhooks`, received };
}

interface Customer extends RegisteredCustomer {
  /** The token payments use: a session signed in with the device key (certificate + password). */
  token: string;
  privateKey: PrivateKey;
  totpSecret: string;
}

async function inject(t: IdentityTestApp, options: InjectOptions, status: number) {
  const response = await t.app.inject(options);
  assert.equal(response.statusCode, status, `${String(options.url)}: ${response.body}`);
  return (response.body === '' ? {} : response.json()) as Record<string, unknown>;
}

/** Register, certify a device key (P-256 made here), enrol TOTP, then sign in again answering the challenge with the device key. */
async function onboardCustomer(t: IdentityTestApp): Promise<Customer> {
  const registered = await registerThroughApi(t);
  const profile = cryptoProfile(profileName);
  const secured = await secureRegisteredDevice(t, registered, profileName);
  assert.match(secured.certificate, /BEGIN CERTIFICATE/);
  // From another network the login is challenged; the certified device answers by signature.
  const challenged = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/customer-sessions',
      payload: { phone: registered.phone, password: registered.password, device: browserDevice },
      remoteAddress: '203.0.113.9',
    },
    202,
  );
  assert.ok((challenged.factors as string[]).includes('device_signature'));
  const data = Buffer.from(`anfu-login-v1|${String(challenged.challengeId)}|${String(challenged.nonce)}`, 'utf8');
  const answer = {
    factor: 'device_signature',
    signature: profile.sign(secured.privateKey, data).toString('base64'),
    certificate: secured.certificate,
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
  assert.deepEqual([session.deviceId, session.authenticationStrength], [registered.deviceId, 'certificate_and_factor']);
  const token = String(session.accessToken);
  return { ...registered, token, privateKey: secured.privateKey, totpSecret: secured.totpSecret };
}

/** A signed instruction as the device would send it, timestamped by the app's clock. */
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
  return { instruction, signature: signInstruction(profileName, who, instruction) };
}

/** A challenged payment resumes with a fresh TOTP code (the clock moves a step so a code is never reused). */
async function stepUp(t: IdentityTestApp, who: Customer, paymentId: string) {
  t.advance(30_000);
  return inject(
    t,
    {
      method: 'POST',
      url: `/v1/payments/${paymentId}/step-up`,
      headers: bearer(who.token),
      payload: { kind: 'totp', code: totpCode(who.totpSecret, t.identity.clock()) },
    },
    200,
  );
}

interface Merchant {
  readonly id: string;
  request(
    method: 'GET' | 'POST',
    url: string,
    body?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  readonly webhookSecret: string;
}

async function onboardMerchant(t: IdentityTestApp, webhookUrl: string): Promise<Merchant> {
  const onboarded = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/merchants',
      headers: bearer(t.token),
      payload: {
        name: 'Tea House',
        businessRegistration: '91310000MA1K00000X',
        contactEmail: 'ops@tea.example',
        settlementAccount: '6222020200112233445',
        feeBps: 60,
      },
    },
    201,
  );
  const [keyId = '', secret = ''] = String(onboarded.apiKey).split('.');
  const endpoint = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers: bearer(t.token),
      payload: { merchantId: onboarded.id, url: webhookUrl, topics: ['*'] },
    },
    201,
  );
  return {
    id: String(onboarded.id),
    webhookSecret: String(endpoint.secret),
    request(method, url, body, headers = {}) {
      const text = body === undefined ? '' : JSON.stringify(body);
      const timestamp = String(t.identity.clock());
      const signature = merchantRequestSignature(signingKeyOf(secret), method, url, timestamp, text);
      return t.app.inject({
        method,
        url,
        headers: {
          'anfu-key-id': keyId,
          'anfu-timestamp': timestamp,
          'anfu-signature': signature,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: text }),
      });
    },
  };
}

/** Balances by account code, read through the operator API. */
async function balances(t: IdentityTestApp, ownerId: string): Promise<Record<string, string>> {
  const page = await inject(
    t,
    { method: 'GET', url: `/v1/accounts?ownerId=${ownerId}`, headers: bearer(t.token) },
    200,
  );
  return Object.fromEntries((page.items as Array<{ code: string; balance: string }>).map((a) => [a.code, a.balance]));
}

/** Every byte the store holds: the SQLite file with its WAL, or every PostgreSQL row of the schema as text. */
async function storedText(t: IdentityTestApp, kind: StoreKind): Promise<string> {
  if (kind === 'sqlite') {
    const file = String((await t.store.all<{ file: string }>('PRAGMA database_list'))[0]?.file);
    return [file, `${file}-wal`]
      .map((path) => {
        try {
          return readFileSync(path).toString('latin1');
        } catch {
          return '';
        }
      })
      .join('');
  }
  const tables = await t.store.all<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
  );
  const parts: string[] = [];
  for (const { table_name: name } of tables)
    for (const row of await t.store.all<{ text: string }>(`SELECT t::text AS text FROM "${name}" t`))
      parts.push(row.text);
  return parts.join('\n');
}

async function setUp(kind: StoreKind, sim: BankSimProcess) {
  const t = await createIdentityTestApp(kind, {
    env: {
      ANFU_KEK: randomBytes(32).toString('base64'),
      ANFU_CARD_LINK_PORT: String(sim.port),
      ANFU_CARD_LINK_RESPONSE_TIMEOUT_MS: '2000',
    },
  });
  // What serve() does at start-up: the card link and token vault from the configuration.
  const link = provideCardFundingFrom(t.config, t.store, t.keyring, t.identity.clock);
  return {
    t,
    close: async () => {
      link?.close();
      await t.close();
    },
  };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: top-up by card, order payment, partial refund, transfer by phone and withdrawal, with verified webhooks and audit`, async () => {
    const sim = await startBankSimProcess({ unknownCards: 'approve' });
    const receiver = await webhookReceiver();
    const { t, close } = await setUp(kind, sim);
    try {
      const a = await onboardCustomer(t);
      const b = await registerThroughApi(t);
      await inject(
        t,
        {
          method: 'POST',
          url: '/v1/customer-sessions',
          payload: { phone: b.phone, password: b.password, device: browserDevice },
        },
        201,
      );
      const merchant = await onboardMerchant(t, receiver.url);
      // The issuer knows A as the holder of the card (name and ID from registration, its CVV2, a phone on file).
      await sim.putRules({
        unknownCards: 'approve',
        cards: [
          {
            pan,
            balanceMinor: '100000000',
            expiry: '3012',
            holderName: '张三',
            holderIdNumber: a.idNumber,
            cvv2: cvv,
            phone: bankPhone,
          },
        ],
      });
      const story = await runStory(t, sim, a, b, merchant);
      await checkOutcome(t, kind, { a, b, merchant, receiver: receiver.received, ...story, simOutput: sim.output() });
    } finally {
      await close();
      receiver.server.close();
      await sim.stop();
    }
  });
}

/** Binding: a TOTP step-up, the issuer checks card, CVV2 and cardholder and texts a code to its phone on file, A types it. */
async function bindCard(t: IdentityTestApp, sim: BankSimProcess, a: Customer): Promise<string> {
  t.advance(30_000);
  const stepUp = { kind: 'totp', code: totpCode(a.totpSecret, t.identity.clock()) };
  const binding = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/cards',
      headers: bearer(a.token),
      payload: { pan, expiryMonth: 12, expiryYear: 2030, cvv, stepUp },
    },
    202,
  );
  const code = (await sim.state()).otpsSent.filter((o) => o.phone === bankPhone).at(-1)?.code ?? '';
  const card = await inject(
    t,
    {
      method: 'POST',
      url: `/v1/card-bindings/${String(binding.id)}/confirmation`,
      headers: bearer(a.token),
      payload: { code },
    },
    201,
  );
  assert.equal(card.verified, true);
  return String(card.id);
}

/** A challenged top-up or withdrawal (the device is new) resumes with a fresh TOTP code. */
async function fundingStepUp(t: IdentityTestApp, who: Customer, fundingId: string) {
  t.advance(30_000);
  return inject(
    t,
    {
      method: 'POST',
      url: `/v1/funding/${fundingId}/step-up`,
      headers: bearer(who.token),
      payload: { kind: 'totp', code: totpCode(who.totpSecret, t.identity.clock()) },
    },
    200, // a resume (http/payment-outcome.ts)
  );
}

async function runStory(
  t: IdentityTestApp,
  sim: BankSimProcess,
  a: Customer,
  b: RegisteredCustomer,
  merchant: Merchant,
) {
  const cardId = await bindCard(t, sim, a);
  const topUp = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/top-ups',
      headers: { ...bearer(a.token), 'idempotency-key': idempotencyKey('top-up') },
      payload: signed(t, a, { kind: 'top_up', target: cardId, amount: '500.00' }),
    },
    202,
  );
  assert.equal(topUp.state, 'challenged');
  assert.equal((await fundingStepUp(t, a, String(topUp.id))).state, 'succeeded');

  const created = await merchant.request('POST', '/v1/merchant/orders', {
    merchantReference: 'T-1',
    amount: '100.00',
    currency: 'CNY',
    description: 'Tea',
    expiresInSeconds: 600,
  });
  assert.equal(created.statusCode, 201, created.body);
  const order = created.json() as { id: string; paymentCode: string };
  assert.equal(
    (await inject(t, { method: 'GET', url: `/v1/orders/by-code/${order.paymentCode}`, headers: bearer(a.token) }, 200))
      .id,
    order.id,
  );
  // The device is new (under a day old), so risk control challenges the payment: a TOTP step-up resumes it.
  const pay = await inject(
    t,
    {
      method: 'POST',
      url: `/v1/orders/${order.id}/payments`,
      headers: { ...bearer(a.token), 'idempotency-key': idempotencyKey('order') },
      payload: signed(t, a, { kind: 'order_payment', target: order.id, amount: '100.00' }),
    },
    202,
  );
  assert.equal(pay.state, 'challenged');
  const paid = await stepUp(t, a, String(pay.id));
  assert.deepEqual([paid.state, paid.fee], ['succeeded', '0.60']);

  const refundUrl = `/v1/merchant/payments/${String(paid.id)}/refunds`;
  const refund = await merchant.request(
    'POST',
    refundUrl,
    { amount: '30.00', reason: 'one cup short' },
    { 'idempotency-key': idempotencyKey('refund') },
  );
  assert.equal(refund.statusCode, 201, refund.body);

  const payee = await inject(
    t,
    { method: 'POST', url: '/v1/payees/lookup', headers: bearer(a.token), payload: { phone: b.phone } },
    200,
  );
  assert.deepEqual(payee, { walletId: b.customerId, maskedName: '*三' });
  const transfer = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/payments/transfers',
      headers: { ...bearer(a.token), 'idempotency-key': idempotencyKey('transfer') },
      payload: signed(t, a, { kind: 'transfer', target: String(payee.walletId), amount: '20.00' }),
    },
    202,
  );
  assert.equal((await stepUp(t, a, String(transfer.id))).state, 'succeeded');

  const withdrawal = await inject(
    t,
    {
      method: 'POST',
      url: '/v1/withdrawals',
      headers: { ...bearer(a.token), 'idempotency-key': idempotencyKey('withdrawal') },
      payload: signed(t, a, { kind: 'withdrawal', target: cardId, amount: '100.00' }),
    },
    202,
  );
  assert.equal((await fundingStepUp(t, a, String(withdrawal.id))).state, 'succeeded');
  return {
    orderId: order.id,
    paymentId: String(paid.id),
    refundId: String((refund.json() as { id: string }).id),
    transferId: String(transfer.id),
    topUpId: String(topUp.id),
    withdrawalId: String(withdrawal.id),
  };
}

interface Outcome {
  readonly a: Customer;
  readonly b: RegisteredCustomer;
  readonly merchant: Merchant;
  readonly receiver: readonly Received[];
  readonly orderId: string;
  readonly paymentId: string;
  readonly refundId: string;
  readonly transferId: string;
  readonly topUpId: string;
  readonly withdrawalId: string;
  readonly simOutput: string;
}

async function checkOutcome(t: IdentityTestApp, kind: StoreKind, o: Outcome): Promise<void> {
  // Balances: A 500 − 100 + 30 − 20 − 100; B 20; the merchant 100 − 0.60 fee − 30.
  assert.equal((await balances(t, o.a.customerId))[`wallet:${o.a.customerId}:CNY`], '310.00');
  assert.equal((await balances(t, o.b.customerId))[`wallet:${o.b.customerId}:CNY`], '20.00');
  assert.equal((await balances(t, o.merchant.id))[`merchant:${o.merchant.id}:CNY`], '69.40');

  await checkWebhooks(t, o);
  await checkAudit(t, o);
  const verification = await inject(
    t,
    { method: 'GET', url: '/v1/ledger/verification', headers: bearer(t.token) },
    200,
  );
  assert.equal(verification.ok, true, JSON.stringify(verification));

  // R-card data: neither the PAN nor the CVV is anywhere in the database, the app's logs or the simulator's output.
  const stored = await storedText(t, kind);
  assert.ok(stored.length > 10_000, 'the store was read');
  // PostgreSQL renders bytea as hex, so the hex spelling is searched too.
  assert.equal(
    stored.includes(pan) || stored.includes(Buffer.from(pan, 'utf8').toString('hex')),
    false,
    'PAN in the database',
  );
  assert.equal(
    stored.includes(`"cvv"`) || new RegExp(`cvv[^a-z]{0,8}${cvv}`, 'i').test(stored),
    false,
    'CVV in the database',
  );
  const logs = t.logs.join('');
  assert.ok(logs.length > 0, 'logs were captured');
  assert.equal(logs.includes(pan), false, 'PAN in the logs');
  assert.equal(logs.includes(cvv) && /cvv/i.test(logs), false, 'CVV in the logs');
  assert.equal(o.simOutput.includes(pan), false, 'PAN in the simulator output');
}

async function checkWebhooks(t: IdentityTestApp, o: Outcome): Promise<void> {
  const dispatcher = outboxDispatcherFor(t.config, t.store, t.keyring);
  for (let round = 0; round < 5 && o.receiver.length < 2; round += 1) await dispatcher.runOnce();
  const topics = o.receiver.map((r) => r.topic).sort();
  assert.deepEqual(topics, ['order.paid', 'refund.succeeded']);
  for (const delivery of o.receiver) {
    assert.equal(
      verifyWebhookSignature(o.merchant.webhookSecret, delivery.signature, delivery.body, Date.now()).ok,
      true,
      delivery.topic,
    );
    assert.equal(verifyWebhookSignature('whsec_wrong', delivery.signature, delivery.body, Date.now()).ok, false);
  }
  const paid = JSON.parse(o.receiver.find((r) => r.topic === 'order.paid')?.body ?? '{}') as {
    data: Record<string, unknown>;
  };
  assert.equal(paid.data.orderId, o.orderId);
}

async function checkAudit(t: IdentityTestApp, o: Outcome): Promise<void> {
  const entries: Array<{ action: string; target: string | null; outcome: string }> = [];
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
    entries.push(...(page.items as typeof entries));
    cursor = page.nextCursor as string | null;
    if (cursor === null) break;
  }
  const did = (action: string, target?: string) =>
    entries.some(
      (e) => e.action === action && e.outcome === 'success' && (target === undefined || e.target === target),
    );
  for (const action of [
    'customer.register',
    'customer.device.certify',
    'customer.totp.confirm',
    'customer.login.step_up',
    'merchant.onboard',
    'card.add',
    'customer.payment.step_up',
  ])
    assert.ok(did(action), action);
  for (const [action, target] of [
    ['top_up.create', o.topUpId],
    ['payment.create', o.paymentId],
    ['payment.challenge', o.paymentId],
    ['payment.step_up_passed', o.paymentId],
    ['payment.settle', o.paymentId],
    ['refund.request', o.refundId],
    ['refund.execute', o.refundId],
    ['payment.create', o.transferId],
    ['payment.settle', o.transferId],
    ['withdrawal.create', o.withdrawalId],
  ] as const) {
    assert.ok(did(action, target), `${action} ${target}`);
  }
  const verified = await verifyAuditLog(t.store, {
    publicKeyPem: (await keyringAuditSigner(t.keyring, { dataDir: t.config.dataDir, profile: t.config.cryptoProfile }))
      .publicKeyPem,
  });
  assert.equal(verified.ok, true, JSON.stringify(verified));
}
