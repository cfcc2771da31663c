// The payments group commit on PostgreSQL across a broken connection (issue 17): a TCP proxy cuts
// the connection in the middle of a batch — either after forwarding its COMMIT (it committed; the
// answer was lost) or before a statement of it (it died uncommitted). Either way the payer gets one
// answer, the payment exists once, the money moved once, and the ledger and audit chain verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { createTestDatabase } from '../store/testing.ts';
import { openStore } from '../store/index.ts';
import { paymentSettingsOf, transitionsOf, walletOf, type PaymentsContext } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction } from '../payments/testing.ts';
import { postgresSkip } from '../testing/required-tools.ts';
import { cuttingProxy, type CuttingProxy } from '../testing/cutting-proxy.ts';
import { ephemeralAuditSigner, verifyAuditLog } from '../audit/index.ts';
import { transferToCustomer } from './transfer-to-customer.ts';

const skip = postgresSkip();

async function setUp() {
  const database = await createTestDatabase('postgres');
  const target = new URL(process.env.ANFU_TEST_DATABASE_URL as string);
  const proxy = await cuttingProxy(target);
  const proxied = new URL(target);
  proxied.port = String(proxy.port);
  const store = openStore({ databaseUrl: proxied.toString(), sqlitePath: '', schema: database.schema, poolSize: 4 });
  const ledger = new Ledger({ store, failoverWaitMs: 10_000 });
  const identity = await createTestIdentity('intl');
  const config = loadConfig({ ANFU_ENV: 'test' });
  const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
  const [alice, bob] = [await identity.addCustomer(), await identity.addCustomer()];
  const aliceWallet = await walletOf(ledger, alice.customer.id, 'CNY');
  await walletOf(ledger, bob.customer.id, 'CNY'); // opened now, so the first COMMIT after arming is the batch's
  const funded = await ledger.submit({
    kind: 'single', key: 'fund:alice', debitAccountId: bank.id, creditAccountId: aliceWallet.id, amount: 10_000n,
    currency: 'CNY',
  });
  assert.ok(funded.ok);
  const instruction = instructionFor(alice, { kind: 'transfer', target: bob.customer.id, amount: '12.34' });
  const signature = signInstruction(identity.profile, alice, instruction);
  const request = { instruction, signature, idempotencyKey: 'cut-key-0001' };
  const balance = async (who: typeof alice) => balanceOf(await walletOf(ledger, who.customer.id, 'CNY'));
  const close = async () => {
    await ledger.close();
    await store.close();
    await proxy.close();
    await database.drop();
  };
  return { store, ledger, ctx, proxy, alice, bob, request, balance, close };
}

async function assertPaidOnce(setup: Awaited<ReturnType<typeof setUp>>, paymentId: string): Promise<void> {
  const { store, ledger, alice, bob, balance } = setup;
  const rows = await store.all('SELECT id, state FROM payments WHERE idempotency_key = ?', ['cut-key-0001']);
  assert.deepEqual(rows.map((r) => [r.id, r.state]), [[paymentId, 'succeeded']]);
  assert.equal(await balance(alice), 10_000n - 1_234n);
  assert.equal(await balance(bob), 1_234n);
  const states = (await transitionsOf(store, paymentId)).map((t) => t.toState);
  assert.deepEqual(states, ['created', 'risk_checked', 'processing', 'succeeded']);
  const audited = await store.all('SELECT action FROM audit_entries WHERE target = ? ORDER BY seq', [paymentId]);
  const actions = ['payment.create', 'payment.risk_assessed', 'payment.process', 'payment.settle'];
  assert.deepEqual(audited.map((r) => r.action), actions);
  assert.ok((await ledger.verify()).ok);
  // No checkpoint is signed here: the chain and every leaf are what is checked.
  assert.ok((await verifyAuditLog(store, { publicKeyPem: ephemeralAuditSigner('intl').publicKeyPem })).ok);
}

async function payThrough(setup: Awaited<ReturnType<typeof setUp>>, arm: (proxy: CuttingProxy) => void) {
  arm(setup.proxy);
  const started = await transferToCustomer(setup.ctx, setup.alice.principal, setup.request);
  assert.equal(setup.proxy.cuts(), 1, 'the connection was cut once, inside the batch');
  return started;
}

const lostAnswer = 'postgres: a payments batch whose COMMIT answer was lost is found by its key, not applied again';
test(lostAnswer, { skip }, async () => {
  const setup = await setUp();
  try {
    const started = await payThrough(setup, (proxy) => proxy.cutAfterNextCommit());
    // The retried batch found its payment already stored: the payer is answered from that row.
    assert.equal(started.replayed, true);
    assert.equal(started.payment.state, 'succeeded');
    await assertPaidOnce(setup, started.payment.id);
  } finally {
    await setup.close();
  }
});

test('postgres: a payments batch cut before it committed is applied once on the retry', { skip }, async () => {
  const setup = await setUp();
  try {
    const started = await payThrough(setup, (proxy) => proxy.cutBeforeNext('INSERT INTO payments'));
    assert.equal(started.replayed, false);
    assert.equal(started.payment.state, 'succeeded');
    await assertPaidOnce(setup, started.payment.id);
  } finally {
    await setup.close();
  }
});
