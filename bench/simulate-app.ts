// The app `anfu simulate` drives (src/simulate): the real app composed in-process on a throw-away
// store (SQLite, or a PostgreSQL schema under ANFU_TEST_DATABASE_URL), dropped on close, with the
// in-memory test identity (customers and devices with certificates, bearer sessions) so the traffic
// can sign instructions like devices do. Outside src/ like the benchmarks: it composes the app from
// test support, which the product code never imports.
import { randomBytes } from 'node:crypto';
import { walletOf } from '../src/payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from '../src/payments/testing.ts';
import type { SimulationApp } from '../src/simulate/index.ts';
import type { StoreKind } from '../src/store/testing.ts';
import { createTestApp } from '../src/wiring/test-app.ts';

export async function openSimulationApp(kind: StoreKind, clock: () => number): Promise<SimulationApp> {
  const identity = await createTestIdentity('intl');
  const t = await createTestApp(kind, {}, { paymentIdentity: identity, clock });
  const parties = new Map<string, TestCustomer>();
  const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Simulation bank' });
  let requests = 0;
  return {
    async addParty(name, options) {
      const who = await identity.addCustomer(options);
      parties.set(name, who);
      const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
      const funding = { kind: 'single' as const, key: `sim-fund-${name}`, debitAccountId: bank.id };
      const amount = { amount: 50_000_000n, currency: 'CNY' };
      const funded = await t.ledger.submit({ ...funding, creditAccountId: wallet.id, ...amount });
      if (!funded.ok) throw new Error(`simulation: could not fund ${name}`);
    },
    async transfer(fromName, toName, amount, ip, now) {
      const from = parties.get(fromName);
      const to = parties.get(toName);
      if (from === undefined || to === undefined) throw new Error(`simulation: unknown party ${fromName} or ${toName}`);
      const instruction = instructionFor(from, { kind: 'transfer', target: to.customer.id, amount }, now);
      requests += 1;
      const response = await t.app.inject({
        method: 'POST',
        url: '/v1/payments/transfers',
        remoteAddress: ip,
        headers: {
          authorization: `Bearer ${from.token}`,
          'idempotency-key': `sim-${requests}-${randomBytes(4).toString('hex')}`,
        },
        payload: { instruction, signature: signInstruction('intl', from, instruction) },
      });
      return { status: response.statusCode, body: response.json() as Record<string, unknown> };
    },
    paymentDecisions: () =>
      t.store.all("SELECT subject_ref, decision, hits, shadow_hits FROM risk_decisions WHERE event = 'payment'"),
    close: () => t.close(),
  };
}
