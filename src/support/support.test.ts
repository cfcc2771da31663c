// Customer service end to end through the public API, on both stores: a complaint (messages both
// ways, a paused clock, attachments checked by content and sealed, a decision and a rating), an
// unauthorised-payment claim with automatic full compensation (freeze, evidence, four eyes — the
// opener may not approve), and a merchant dispute (signed webhook event, merchant evidence before the
// deadline, a refund from the merchant's balance with the shortfall recovered later, late evidence
// refused). Every refusal has its code, an audit entry and unchanged state; balances are exact.
// Then, with the real identity: a claim ends all of the claimant's sessions (its own answer still
// arrives), audited; a fresh login works but still cannot pay while the claim is open.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { cryptoProfile, type PrivateKey } from '../crypto/index.ts';
import { totpCode } from '../identity/totp.ts';
import { balanceOf } from '../ledger/index.ts';
import { merchantAccountOf, merchantRequestSignature, signingKeyOf, walletOf } from '../payments/index.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  type TestCustomer,
  type TestIdentity,
} from '../payments/testing.ts';
import { testStoreKinds } from '../store/testing.ts';
import { bearer, createAccessTestApp, type AccessTestApp } from '../wiring/access-test-app.ts';
import {
  browserDevice,
  createIdentityTestApp,
  registerThroughApi,
  type IdentityTestApp,
  type RegisteredCustomer,
} from '../wiring/identity-test-app.ts';
import { compensationAccountOf } from './index.ts';

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('fake image body'),
]);
const pdf = Buffer.from('%PDF-1.7\n%test document\n');
const exe = Buffer.from('MZ\x90\x00this is a program');

interface World {
  t: AccessTestApp;
  identity: TestIdentity;
  alice: TestCustomer;
  bob: TestCustomer;
  merchantId: string;
  signed: (method: string, url: string, body: string) => Record<string, string>;
  ops: { cs: string; ops1: string; ops2: string; ops1Id: string };
  payments: Record<'order' | 'transfer' | 'small', string>;
}

let keys = 0;

async function pay(
  w: World,
  who: TestCustomer,
  url: string,
  kind: 'transfer' | 'order_payment',
  target: string,
  amount: string,
) {
  const instruction = instructionFor(who, { kind, target, amount }, w.t.now());
  const response = await w.t.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(who.token), 'idempotency-key': `support-${keys++}-key` },
    payload: { instruction, signature: signInstruction('intl', who, instruction) },
  });
  return response;
}

async function payOrder(w: World, amount: string): Promise<string> {
  const body = JSON.stringify({
    merchantReference: `R-${keys++}`,
    amount,
    currency: 'CNY',
    description: 'Tea',
    expiresInSeconds: 600,
  });
  const created = await w.t.app.inject({
    method: 'POST',
    url: '/v1/merchant/orders',
    headers: w.signed('POST', '/v1/merchant/orders', body),
    payload: body,
  });
  assert.equal(created.statusCode, 201, created.body);
  const order = created.json().id as string;
  const paid = await pay(w, w.alice, `/v1/orders/${order}/payments`, 'order_payment', order, amount);
  assert.equal(paid.statusCode, 201, paid.body);
  return paid.json().id as string;
}

async function setUp(kind: typeof testStoreKinds extends () => (infer K)[] ? K : never): Promise<World> {
  const identity = await createTestIdentity('intl');
  const t = await createAccessTestApp(kind, {}, { paymentIdentity: identity });
  const alice = await identity.addCustomer({ now: t.now() });
  const bob = await identity.addCustomer({ now: t.now() });
  const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
  const wallet = await walletOf(t.ledger, alice.customer.id, 'CNY');
  const reserve = await compensationAccountOf(t.ledger, 'CNY');
  for (const [key, to, amount] of [
    ['fund-alice', wallet.id, 100_000n],
    ['fund-reserve', reserve.id, 50_000n],
  ] as const) {
    assert.ok(
      (
        await t.ledger.submit({
          kind: 'single',
          key,
          debitAccountId: bank.id,
          creditAccountId: to,
          amount,
          currency: 'CNY',
        })
      ).ok,
    );
  }
  const admin = await t.apiToken('administrator');
  const onboarded = await t.app.inject({
    method: 'POST',
    url: '/v1/merchants',
    headers: bearer(admin),
    payload: {
      name: 'Tea House',
      businessRegistration: '91310000MA1K00000X',
      contactEmail: 'ops@tea.example',
      settlementAccount: '6222020200112233445',
      feeBps: 60,
    },
  });
  assert.equal(onboarded.statusCode, 201, onboarded.body);
  const [keyId = '', secret = ''] = (onboarded.json().apiKey as string).split('.');
  const signed = (method: string, url: string, body: string) => {
    const timestamp = String(t.now());
    return {
      'anfu-key-id': keyId,
      'anfu-timestamp': timestamp,
      'anfu-signature': merchantRequestSignature(signingKeyOf(secret), method, url, timestamp, body),
      'content-type': 'application/json',
    };
  };
  const [cs, ops1, ops2] = [
    await t.operator('customer_service'),
    await t.operator('operations'),
    await t.operator('operations'),
  ];
  const ops = { cs: await t.login(cs), ops1: await t.login(ops1), ops2: await t.login(ops2), ops1Id: ops1.id };
  const w: World = {
    t,
    identity,
    alice,
    bob,
    merchantId: onboarded.json().id as string,
    signed,
    ops,
    payments: { order: '', transfer: '', small: '' },
  };
  w.payments.order = await payOrder(w, '100.00');
  for (const [name, amount] of [
    ['transfer', '50.00'],
    ['small', '10.00'],
  ] as const) {
    const sent = await pay(w, alice, '/v1/payments/transfers', 'transfer', bob.customer.id, amount);
    assert.equal(sent.statusCode, 201, sent.body);
    w.payments[name] = sent.json().id as string;
  }
  return w;
}

const json = (r: LightMyRequestResponse) => r.json() as Record<string, unknown> & { code?: string };

async function refusedAndAudited(
  w: World,
  response: LightMyRequestResponse,
  status: number,
  code: string,
  action: string,
) {
  assert.equal(response.statusCode, status, response.body);
  assert.equal(json(response).code, code);
  const rows = (await w.t.auditRows(action)).filter((r) => r.outcome === 'denied');
  assert.equal(rows.at(-1)?.details.reason, code, `${action} refusal audited`);
}

const balance = async (w: World, account: Promise<{ id: string }>) =>
  balanceOf((await w.t.ledger.account((await account).id))!);

for (const kind of testStoreKinds()) {
  describe(`customer service end to end (${kind})`, () => {
    let w: World;
    before(async () => {
      w = await setUp(kind);
    });
    after(() => w.t.close());
    const customer = (who: TestCustomer, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      w.t.app.inject({ method, url, headers: bearer(who.token), ...(payload === undefined ? {} : { payload }) });
    const operator = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
      w.t.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });

    test('a complaint: messages both ways, the clock paused while waiting, attachments, decision, rating', async () => {
      const stranger = await customer(w.bob, 'POST', '/v1/support/complaints', {
        category: 'payment_problem',
        paymentIds: [w.payments.order],
        text: 'not mine',
      });
      await refusedAndAudited(w, stranger, 403, 'payment_not_owned', 'support.complaint.open');
      const opened = await customer(w.alice, 'POST', '/v1/support/complaints', {
        category: 'payment_problem',
        paymentIds: [w.payments.order],
        text: 'The tea\u202e never came\u0007',
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const id = json(opened).id as string;
      const messages = json(opened).messages as { from: string; body: string }[];
      assert.deepEqual(
        messages.map((m) => m.from),
        ['customer', 'system'],
      );
      assert.equal(messages[0]?.body, 'The tea never came', 'bidi override and control characters removed');
      assert.equal(
        (await customer(w.bob, 'GET', `/v1/support/complaints/${id}`)).statusCode,
        404,
        "another's ticket looks like none",
      );
      const reply = await operator(w.ops.cs, 'POST', `/v1/support/tickets/${id}/replies`, {
        text: 'Which order?',
        waitForCustomer: true,
      });
      assert.equal(reply.statusCode, 200, reply.body);
      assert.equal((await operator(w.ops.cs, 'GET', `/v1/cases/${id}`)).json().status, 'waiting');
      assert.equal(
        (await customer(w.alice, 'POST', `/v1/support/complaints/${id}/messages`, { text: 'Order R-0' })).statusCode,
        200,
      );
      const resumed = (await operator(w.ops.cs, 'GET', `/v1/cases/${id}`)).json();
      assert.equal(resumed.status, 'open', 'the answer resumed the case');
      assert.equal(resumed.sla.firstResponse.stopped, true);
      await attachments(id);
      const early = await customer(w.alice, 'POST', `/v1/support/complaints/${id}/satisfaction`, { score: 5 });
      await refusedAndAudited(w, early, 409, 'case_not_decided', 'support.satisfaction');
      const decided = await operator(w.ops.cs, 'POST', `/v1/cases/${id}/decisions`, {
        decision: 'resolved',
        reason: 'merchant confirmed delivery',
      });
      assert.equal(decided.json().case.status, 'decided', decided.body);
      assert.equal(
        (await customer(w.alice, 'POST', `/v1/support/complaints/${id}/satisfaction`, { score: 5 })).statusCode,
        200,
      );
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', `/v1/support/complaints/${id}/satisfaction`, { score: 1 }),
        409,
        'satisfaction_recorded',
        'support.satisfaction',
      );
      const mine = (await customer(w.alice, 'GET', `/v1/support/complaints/${id}`)).json();
      assert.equal(mine.satisfaction, 5);
      assert.deepEqual(
        mine.messages.map((m: { from: string }) => m.from),
        ['customer', 'system', 'operator', 'system', 'customer', 'system'],
      );
    });

    async function attachments(id: string) {
      const url = `/v1/support/complaints/${id}/attachments`;
      const ok = await customer(w.alice, 'POST', url, {
        mediaType: 'image/png',
        contentBase64: png.toString('base64'),
      });
      assert.equal(ok.statusCode, 200, ok.body);
      const attachmentId = json(ok).id as string;
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', url, { mediaType: 'image/png', contentBase64: exe.toString('base64') }),
        422,
        'attachment_type_not_allowed',
        'support.attachment',
      );
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', url, { mediaType: 'image/png', contentBase64: pdf.toString('base64') }),
        422,
        'attachment_type_mismatch',
        'support.attachment',
      );
      const big = Buffer.concat([png, Buffer.alloc(1024 * 1024)]);
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', url, { mediaType: 'image/png', contentBase64: big.toString('base64') }),
        422,
        'attachment_too_large',
        'support.attachment',
      );
      const stored = await w.t.store.all('SELECT sealed FROM support_attachments WHERE case_id = ?', [id]);
      assert.equal(stored.length, 1, 'refused uploads stored nothing');
      assert.equal(
        Buffer.from(stored[0]?.sealed as Uint8Array).includes(Buffer.from('fake image body')),
        false,
        'sealed at rest',
      );
      const read = await operator(w.ops.cs, 'GET', `/v1/support/tickets/${id}/attachments/${attachmentId}`);
      assert.equal(Buffer.from(read.json().contentBase64 as string, 'base64').equals(png), true);
      assert.equal((await w.t.auditRows('support.attachment.read')).length, 1);
    }

    test('an unauthorised-payment claim: freeze, evidence, automatic full compensation under four eyes', async () => {
      await refusedAndAudited(
        w,
        await customer(w.bob, 'POST', '/v1/support/claims', { paymentId: w.payments.transfer, text: 'not me' }),
        403,
        'payment_not_owned',
        'support.claim.open',
      );
      const opened = await customer(w.alice, 'POST', '/v1/support/claims', {
        paymentId: w.payments.transfer,
        text: 'I never sent this',
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const id = json(opened).id as string;
      const proposalId = json(opened).proposalId as string;
      assert.match(proposalId, /^prp_/, 'one factor (the device signature): compensation proposed at once');
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', '/v1/support/claims', { paymentId: w.payments.transfer, text: 'again' }),
        409,
        'claim_exists',
        'support.claim.open',
      );
      const evidence = (await operator(w.ops.cs, 'GET', `/v1/cases/${id}`))
        .json()
        .evidence.map((e: { type: string }) => e.type);
      // The address the payment was created from (its payment.create audit entry) is evidence too.
      assert.deepEqual(evidence.sort(), ['address', 'device', 'payment', 'signed_instruction']);
      const frozen = await pay(w, w.alice, '/v1/payments/transfers', 'transfer', w.bob.customer.id, '1.00');
      assert.equal(json(frozen).code, 'device_revoked', 'the signing device is frozen while the claim is open');
      const wallet = walletOf(w.t.ledger, w.alice.customer.id, 'CNY');
      const before = await balance(w, wallet);
      const approved = await operator(w.ops.ops1, 'POST', `/v1/proposals/${proposalId}/approve`);
      assert.equal(approved.json().state, 'executed', approved.body);
      assert.equal(await balance(w, wallet), before + 5_000n);
      assert.equal((await operator(w.ops.cs, 'GET', `/v1/cases/${id}`)).json().decision, 'compensate');
      const unfrozen = await pay(w, w.alice, '/v1/payments/transfers', 'transfer', w.bob.customer.id, '1.00');
      assert.equal(unfrozen.statusCode, 201, 'the decision lifted the freeze');
    });

    test('a claim opened by an operator: that operator may not approve its compensation', async () => {
      const opened = await operator(w.ops.ops1, 'POST', '/v1/support/tickets/claims', {
        customerId: w.alice.customer.id,
        paymentId: w.payments.small,
        text: 'customer phoned',
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const id = json(opened).id as string;
      const proposalId = json(opened).proposalId as string;
      const wallet = walletOf(w.t.ledger, w.alice.customer.id, 'CNY');
      const before = await balance(w, wallet);
      await refusedAndAudited(
        w,
        await operator(w.ops.ops1, 'POST', `/v1/proposals/${proposalId}/approve`),
        403,
        'proposal_conflict_of_interest',
        'proposal.approve',
      );
      assert.equal(await balance(w, wallet), before, 'no money moved');
      assert.equal((await operator(w.ops.cs, 'GET', `/v1/cases/${id}`)).json().status, 'open');
      assert.equal(
        (await operator(w.ops.ops2, 'POST', `/v1/proposals/${proposalId}/approve`)).json().state,
        'executed',
      );
      assert.equal(await balance(w, wallet), before + 1_000n);
    });

    test('a dispute: webhook, evidence in time, refund, shortfall recovered, late evidence refused', async () => {
      await disputeRefunded();
      await lateEvidence();
      await finalState();
    });

    async function disputeRefunded() {
      const opened = await customer(w.alice, 'POST', '/v1/support/disputes', {
        paymentId: w.payments.order,
        reason: 'not_received',
        text: 'no tea',
      });
      assert.equal(opened.statusCode, 201, opened.body);
      const id = json(opened).id as string;
      assert.equal((json(opened).dispute as { status: string }).status, 'needs_response');
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', '/v1/support/disputes', {
          paymentId: w.payments.order,
          reason: 'duplicate',
          text: 'again',
        }),
        409,
        'dispute_exists',
        'support.dispute.open',
      );
      await refusedAndAudited(
        w,
        await customer(w.alice, 'POST', '/v1/support/disputes', {
          paymentId: w.payments.small,
          reason: 'duplicate',
          text: 'transfer',
        }),
        422,
        'dispute_not_disputable',
        'support.dispute.open',
      );
      const events = (await w.t.store.all("SELECT topic FROM events WHERE topic LIKE 'dispute.%'")).map((r) => r.topic);
      assert.deepEqual(events, ['dispute.created']);
      const url = `/v1/merchant/disputes/${id}/evidence`;
      const body = JSON.stringify({
        text: 'Delivered, signed receipt attached',
        attachments: [{ mediaType: 'application/pdf', contentBase64: pdf.toString('base64') }],
      });
      const answered = await w.t.app.inject({
        method: 'POST',
        url,
        headers: w.signed('POST', url, body),
        payload: body,
      });
      assert.equal(answered.statusCode, 200, answered.body);
      assert.equal(answered.json().status, 'under_review');
      const again = await w.t.app.inject({
        method: 'POST',
        url,
        headers: w.signed('POST', url, JSON.stringify({ text: 'more' })),
        payload: JSON.stringify({ text: 'more' }),
      });
      await refusedAndAudited(w, again, 409, 'dispute_not_awaiting_response', 'support.dispute.respond');
      const merchant = merchantAccountOf(w.t.ledger, w.merchantId, 'CNY');
      assert.equal(await balance(w, merchant), 9_940n);
      const proposed = await operator(w.ops.cs, 'POST', `/v1/cases/${id}/decisions`, {
        decision: 'refund_customer',
        reason: 'no proof of delivery to the customer',
      });
      const proposalId = proposed.json().proposalId as string;
      assert.equal(
        (await operator(w.ops.ops1, 'POST', `/v1/proposals/${proposalId}/approve`)).json().state,
        'executed',
      );
      assert.equal(await balance(w, merchant), 0n, 'the merchant paid what it had');
      const debts = await w.t.store.all('SELECT owed, recovered FROM support_merchant_debts');
      assert.deepEqual(
        debts.map((d) => [BigInt(d.owed as bigint), BigInt(d.recovered as bigint)]),
        [[60n, 0n]],
      );
      const ticket = (await operator(w.ops.cs, 'GET', `/v1/support/tickets/${id}`)).json();
      assert.equal(ticket.dispute.status, 'lost');
      assert.ok(ticket.history.tickets.length >= 3, "the customer's earlier tickets are at hand");
      const order = ticket.history.payments.find((p: { id: string }) => p.id === w.payments.order);
      assert.equal(order.counterparty, `${w.merchantId.slice(0, 4)}…${w.merchantId.slice(-4)}`, 'counterparty masked');
    }

    async function lateEvidence() {
      const second = await payOrder(w, '20.00');
      const recovered = await operator(w.ops.ops1, 'POST', '/v1/support/merchant-debts/recoveries');
      assert.equal(recovered.json().recoveredMinor, '60', recovered.body);
      assert.equal(await balance(w, merchantAccountOf(w.t.ledger, w.merchantId, 'CNY')), 1_988n - 60n);
      const opened = await customer(w.alice, 'POST', '/v1/support/disputes', {
        paymentId: second,
        reason: 'amount',
        text: 'charged twice',
      });
      const id = json(opened).id as string;
      w.t.advance(8 * 86_400_000);
      const url = `/v1/merchant/disputes/${id}/evidence`;
      const body = JSON.stringify({ text: 'late answer' });
      const late = await w.t.app.inject({ method: 'POST', url, headers: w.signed('POST', url, body), payload: body });
      await refusedAndAudited(w, late, 409, 'dispute_deadline_passed', 'support.dispute.respond');
      const after = await w.t.store.get('SELECT status, merchant_text FROM support_disputes WHERE case_id = ?', [id]);
      assert.deepEqual([after?.status, after?.merchant_text], ['needs_response', null], 'state unchanged');
    }

    async function finalState() {
      const alice = await balance(w, walletOf(w.t.ledger, w.alice.customer.id, 'CNY'));
      // 1000 − 100 − 50 − 10 (payments) + 50 + 10 (compensation) − 1 (after the freeze) + 100 (refund) − 20.
      assert.equal(alice, 100_000n - 10_000n - 5_000n - 1_000n + 5_000n + 1_000n - 100n + 10_000n - 2_000n);
      assert.equal(await balance(w, walletOf(w.t.ledger, w.bob.customer.id, 'CNY')), 5_000n + 1_000n + 100n);
      assert.equal(await balance(w, compensationAccountOf(w.t.ledger, 'CNY')), 50_000n - 5_000n - 1_000n - 60n + 60n);
      assert.ok((await w.t.ledger.verify()).ok);
      // Eight days later the operators' sessions have ended; an auditor's token reads the report.
      const auditor = await w.t.apiToken('auditor');
      const report = (
        await operator(auditor, 'GET', '/v1/support/report?from=2029-01-01T00:00:00Z&to=2031-01-01T00:00:00Z')
      ).json();
      assert.deepEqual(report.byCategory, { merchant: 2, payment_problem: 1, unauthorised_payment: 2 });
      assert.deepEqual(report.paid, [
        { kind: 'compensation', currency: 'CNY', amountMinor: '6000', count: 2 },
        { kind: 'dispute_refund', currency: 'CNY', amountMinor: '10000', count: 1 },
      ]);
      assert.deepEqual(report.satisfaction, { rated: 1, average: 5 });
      // The operational report's complaints section (wired from this report) sums to the same figures.
      const [from, to] = [new Date(w.t.now() - 60 * 86_400_000), new Date(w.t.now() + 86_400_000)];
      const range = `from=${from.toISOString()}&to=${to.toISOString()}&granularity=week`;
      const ops = (await operator(auditor, 'GET', `/v1/reports/operations?${range}`)).json();
      const rows = ops.sections.complaints.rows as { dimension: string; metric: string; value: unknown }[];
      const sum = (dimension: string, metric: string) =>
        rows.filter((r) => r.dimension === dimension && r.metric === metric).reduce((n, r) => n + Number(r.value), 0);
      assert.deepEqual(
        [sum('compensation.CNY', 'paid_amount_minor'), sum('compensation.CNY', 'paid_count')],
        [6000, 2],
      );
      assert.equal(sum('dispute_refund.CNY', 'paid_amount_minor'), 10_000);
      assert.deepEqual(
        ['merchant', 'payment_problem', 'unauthorised_payment'].map((c) => sum(c, 'received')),
        [2, 1, 2],
      );
    }
  });
}

// --- the claim's session end, with the real identity --------------------------------------------

interface RealPayer extends RegisteredCustomer {
  readonly privateKey: PrivateKey;
  readonly certificate: string;
  readonly totpSecret: string;
}

async function call(t: IdentityTestApp, options: InjectOptions, status: number): Promise<Record<string, unknown>> {
  const response = await t.app.inject(options);
  assert.equal(response.statusCode, status, `${options.method ?? 'GET'} ${String(options.url)}: ${response.body}`);
  return (response.body === '' ? {} : response.json()) as Record<string, unknown>;
}

/** Registers, certifies a device key and enrols TOTP in the registration session. */
async function onboardPayer(t: IdentityTestApp): Promise<RealPayer> {
  const registered = await registerThroughApi(t);
  const profile = cryptoProfile('intl');
  const keys = profile.generateSigningKeyPair();
  const auth = bearer(registered.accessToken);
  const publicKey = profile.exportPublicKey(keys.publicKey);
  const certify = { method: 'POST' as const, url: '/v1/me/device-certificate', headers: auth, payload: { publicKey } };
  const certified = await call(t, certify, 201);
  const { secret } = (await call(t, { method: 'POST', url: '/v1/me/totp', headers: auth }, 201)) as { secret: string };
  const code = totpCode(secret, t.identity.clock());
  await call(t, { method: 'POST', url: '/v1/me/totp/confirm', headers: auth, payload: { code } }, 204);
  return { ...registered, privateKey: keys.privateKey, certificate: String(certified.certificate), totpSecret: secret };
}

/** Password, then (if challenged) the device key answers: a new session on the customer's own device. */
async function signInAgain(t: IdentityTestApp, who: RealPayer): Promise<string> {
  const payload = { phone: who.phone, password: who.password, device: browserDevice };
  const response = await t.app.inject({ method: 'POST', url: '/v1/customer-sessions', payload });
  if (response.statusCode === 201) return String(response.json().accessToken);
  assert.equal(response.statusCode, 202, response.body);
  const { challengeId, nonce } = response.json() as { challengeId: string; nonce: string };
  const data = Buffer.from(`anfu-login-v1|${challengeId}|${nonce}`, 'utf8');
  const signature = cryptoProfile('intl').sign(who.privateKey, data).toString('base64');
  const answer = { factor: 'device_signature', signature, certificate: who.certificate };
  const session = await call(t, { method: 'POST', url: `/v1/login-challenges/${challengeId}`, payload: answer }, 201);
  return String(session.accessToken);
}

async function realTransfer(t: IdentityTestApp, payer: RealPayer, token: string, payeeId: string, amount: string) {
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
  return t.app.inject({
    method: 'POST',
    url: '/v1/payments/transfers',
    headers: { ...bearer(token), 'idempotency-key': `claim-${randomBytes(8).toString('hex')}` },
    payload: { instruction, signature: signInstruction('intl', payer, instruction) },
  });
}

/** A funded payer's transfer, challenged (new device) and passed with TOTP: two factors. */
async function paidTransfer(t: IdentityTestApp, payer: RealPayer, payeeId: string): Promise<string> {
  const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bank' });
  const wallet = await walletOf(t.ledger, payer.customerId, 'CNY');
  const funding = { debitAccountId: bank.id, creditAccountId: wallet.id, amount: 100_000n, currency: 'CNY' };
  assert.ok((await t.ledger.submit({ kind: 'single', key: `fund-${payer.customerId}`, ...funding })).ok);
  const created = await realTransfer(t, payer, payer.accessToken, payeeId, '10.00');
  assert.equal(created.statusCode, 202, created.body);
  const id = String(created.json().id);
  t.advance(30_000);
  const code = totpCode(payer.totpSecret, t.identity.clock());
  const url = `/v1/payments/${id}/step-up`;
  const headers = bearer(payer.accessToken);
  const passed = await call(t, { method: 'POST', url, headers, payload: { kind: 'totp', code } }, 200);
  assert.equal(passed.state, 'succeeded');
  return id;
}

for (const kind of testStoreKinds()) {
  test(`a claim ends the claimant's sessions; a fresh login still cannot pay (${kind})`, async () => {
    const t = await createIdentityTestApp(kind);
    try {
      const alice = await onboardPayer(t);
      const bob = await registerThroughApi(t);
      const paymentId = await paidTransfer(t, alice, bob.customerId);
      const me = { method: 'GET' as const, url: '/v1/me', headers: bearer(alice.accessToken) };
      await call(t, me, 200);
      const claim = { paymentId, text: 'I never sent this' };
      const opened = await call(
        t,
        { method: 'POST', url: '/v1/support/claims', headers: bearer(alice.accessToken), payload: claim },
        201,
      );
      assert.equal(opened.proposalId, null, 'two factors: no automatic compensation');
      const filed = await t.store.get('SELECT case_id FROM support_claims WHERE payment_id = ?', [paymentId]);
      assert.equal(filed?.case_id, opened.id, 'the claim is filed and its answer reached the client');
      // The session the claim was made in, and its refresh token, are over.
      assert.equal((await call(t, me, 401)).code, 'unauthenticated');
      const refresh = { refreshToken: alice.refreshToken };
      const refreshed = await call(t, { method: 'POST', url: '/v1/customer-sessions/refresh', payload: refresh }, 401);
      assert.equal(refreshed.code, 'refresh_token_invalid');
      const live = await t.store.all('SELECT id FROM customer_sessions WHERE customer_id = ? AND ended_at IS NULL', [
        alice.customerId,
      ]);
      assert.equal(live.length, 0, 'no live session left');
      const ends = await t.store.all(
        "SELECT actor_type, actor_id, target, details FROM audit_entries WHERE action = 'customer.sessions.end'",
      );
      const [end] = ends;
      assert.equal(ends.length, 1);
      assert.deepEqual([end?.actor_type, end?.actor_id, end?.target], ['system', 'identity', alice.customerId]);
      assert.deepEqual(JSON.parse(String(end?.details)), { reason: 'unauthorised_claim', sessionsEnded: 1 });
      const opening = await t.store.get("SELECT details FROM audit_entries WHERE action = 'support.claim.open'");
      assert.deepEqual(JSON.parse(String(opening?.details)).frozen, ['outgoing_payments', 'device', 'sessions']);
      // A fresh login works (the customer is not locked out) but the freeze on payments stays.
      const token = await signInAgain(t, alice);
      const notices = await call(t, { method: 'GET', url: '/v1/me/notices', headers: bearer(token) }, 200);
      assert.ok(JSON.stringify(notices).includes('sessions_ended'), 'the customer is told their sessions ended');
      const wallet = await walletOf(t.ledger, alice.customerId, 'CNY');
      const refusedPayment = await realTransfer(t, alice, token, bob.customerId, '1.00');
      assert.equal(refusedPayment.json().code, 'device_revoked', refusedPayment.body);
      const after = await walletOf(t.ledger, alice.customerId, 'CNY');
      const outgoing = (w: typeof wallet) => w.debitsPosted + w.debitsPending;
      assert.equal(outgoing(after), outgoing(wallet), 'nothing moved');
    } finally {
      await t.close();
    }
  });
}
