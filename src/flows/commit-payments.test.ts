// The payments group commit on both stores: payments started together share one transaction, and
// each still gets its own answer — a taken idempotency key, a replayed nonce, a breached limit or a
// refused ledger leg affects that payment alone; usage, money, transitions and audit stay exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import { Ledger, balanceOf } from '../ledger/index.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { paymentSettingsOf, transitionsOf, walletOf, type PaymentsContext } from '../payments/index.ts';
import {
  createTestIdentity, testSignatureChecks, instructionFor, signInstruction, type TestCustomer, type TestIdentity,
} from '../payments/testing.ts';
import { outcomeOf } from './testing/outcome-of.ts';
import { transferToCustomer } from './transfer-to-customer.ts';
import type { StartedPayment } from './start-signed-payment.ts';

async function setUp(kind: 'sqlite' | 'postgres') {
  const database = await createTestDatabase(kind);
  const store = database.open();
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity('intl');
  // Day limit with a certificate: 10.00 CNY, so a breach is easy to provoke inside one batch.
  const config = loadConfig({ ANFU_ENV: 'test', ANFU_LIMIT_DAY_CERTIFICATE_MINOR: '1000' });
  const ctx: PaymentsContext = {
    store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now,
    signatureChecks: testSignatureChecks(),
  };
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Test bank' });
  const fund = async (who: TestCustomer, minor: bigint) => {
    const wallet = await walletOf(ledger, who.customer.id, 'CNY');
    assert.ok((await ledger.submit({ kind: 'single', key: `fund:${who.customer.id}`, debitAccountId: bank.id, creditAccountId: wallet.id, amount: minor, currency: 'CNY' })).ok);
  };
  const balance = async (who: TestCustomer) => balanceOf(await walletOf(ledger, who.customer.id, 'CNY'));
  const close = async () => { await ledger.close(); await store.close(); await database.drop(); };
  return { store, identity, ctx, fund, balance, close };
}

function signedTransfer(identity: TestIdentity, payer: TestCustomer, payee: TestCustomer, amount: string, key: string) {
  const instruction = instructionFor(payer, { kind: 'transfer', target: payee.customer.id, amount });
  return { instruction, signature: signInstruction(identity.profile, payer, instruction), idempotencyKey: key };
}

for (const kind of testStoreKinds()) {
  test(`${kind}: payments started together commit together, each with its own outcome`, async () => {
    const { store, identity, ctx, fund, balance, close } = await setUp(kind);
    try {
      const [alice, bob, carol, dave, erin] = [await identity.addCustomer(), await identity.addCustomer(), await identity.addCustomer(), await identity.addCustomer(), await identity.addCustomer()];
      await fund(alice, 5_000n);
      await fund(carol, 100n);
      await fund(erin, 5_000n);
      const first = signedTransfer(identity, alice, bob, '4.00', 'batch-key-0001');
      const results = await Promise.all([
        outcomeOf(transferToCustomer(ctx, alice.principal, first)),
        // The same nonce under another key: whichever comes second is a replay.
        outcomeOf(transferToCustomer(ctx, alice.principal, { ...first, idempotencyKey: 'batch-key-0002' })),
        // The same key with another instruction: whichever comes second is a conflict.
        outcomeOf(transferToCustomer(ctx, alice.principal, signedTransfer(identity, alice, dave, '5.00', 'batch-key-0003'))),
        outcomeOf(transferToCustomer(ctx, alice.principal, signedTransfer(identity, alice, dave, '5.00', 'batch-key-0003'))),
        // 11.00 is over the 10.00 day limit on its own.
        outcomeOf(transferToCustomer(ctx, erin.principal, signedTransfer(identity, erin, bob, '11.00', 'batch-key-0004'))),
        // Carol holds 1.00: the ledger refuses 3.00 and the payment fails, giving its usage back.
        outcomeOf(transferToCustomer(ctx, carol.principal, signedTransfer(identity, carol, bob, '3.00', 'batch-key-0005'))),
      ]);
      const succeeded = (r: StartedPayment | string): r is StartedPayment => typeof r === 'object' && r.payment.state === 'succeeded' && !r.replayed;
      const [nonceA, nonceB, keyA, keyB, breached, unfunded] = results;
      assert.deepEqual([nonceA, nonceB].map((r) => (succeeded(r) ? 'succeeded' : r)).sort(), ['instruction_replayed', 'succeeded']);
      assert.deepEqual([keyA, keyB].map((r) => (succeeded(r) ? 'succeeded' : r)).sort(), ['idempotency_conflict', 'succeeded']);
      assert.equal(breached, 'limit_exceeded');
      assert.ok(typeof unfunded === 'object' && unfunded.payment.state === 'failed' && unfunded.payment.failureCode === 'insufficient_funds');
      assert.equal(await balance(alice), 4_100n);
      assert.equal(await balance(bob), 400n);
      assert.equal(await balance(dave), 500n);
      assert.equal(await balance(carol), 100n);
      assert.equal(await balance(erin), 5_000n);
      const usage = await store.all<{ customer_id: string; used: unknown }>('SELECT customer_id, used FROM payment_limit_usage WHERE period = ?', ['life']);
      const usedBy = new Map(usage.map((row) => [row.customer_id, BigInt(row.used as bigint)]));
      assert.equal(usedBy.get(alice.customer.id), 900n);
      assert.equal(usedBy.get(carol.customer.id), 0n);
      assert.equal(usedBy.get(erin.customer.id) ?? 0n, 0n);
      const paid = [nonceA, nonceB].find(succeeded);
      assert.ok(paid !== undefined && typeof unfunded === 'object');
      assert.deepEqual((await transitionsOf(store, paid.payment.id)).map((t) => t.toState), ['created', 'risk_checked', 'processing', 'succeeded']);
      assert.deepEqual((await transitionsOf(store, unfunded.payment.id)).map((t) => t.toState), ['created', 'risk_checked', 'processing', 'failed']);
      const audited = await store.all<{ action: string }>('SELECT action FROM audit_entries WHERE target = ? ORDER BY seq', [paid.payment.id]);
      assert.deepEqual(audited.map((row) => row.action), ['payment.create', 'payment.risk_assessed', 'payment.process', 'payment.settle']);
      const stored = await store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM payments');
      assert.equal(Number(stored?.n), 3);
      const retry = await transferToCustomer(ctx, alice.principal, { ...first, idempotencyKey: paid.payment.idempotencyKey });
      assert.ok(retry.replayed && retry.payment.id === paid.payment.id);
    } finally {
      await close();
    }
  });
}
