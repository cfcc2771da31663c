// `anfu simulate` (issue 12, item 5): the seeded traffic of traffic.ts sent to the public payments API
// of a real app started in-process on a fresh throw-away store (SQLite or a PostgreSQL schema): every
// payment is a signed instruction POSTed to /v1/payments/transfers from the party's device, from the
// event's client address, on a simulated clock. The app decides with its real risk engine and the
// default rule set (with its shadow rules); the report says per attack type what was stopped,
// challenged or passed, the normal traffic's challenge rate, and precision and recall of the rule set
// — as it acts, and as it would act if the shadow rules were made active.
import { randomBytes } from 'node:crypto';
import { walletOf } from '../payments/index.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from '../payments/testing.ts';
import type { StoreKind } from '../store/testing.ts';
import { createTestApp, type TestApp } from '../wiring/test-app.ts';
import { buildReport, type Outcome, type SimulationReport } from './report.ts';
import { planTraffic, warmupDays, type Cast, type SimEvent, type TrafficOptions } from './traffic.ts';

export interface SimulationOptions extends TrafficOptions {
  readonly store: StoreKind;
  /** Called every 100 events with (done, total). */
  readonly progress?: (done: number, total: number) => void;
}

const simulationStart = Date.UTC(2026, 0, 5, 0, 0, 0); // 08:00 in China

function partyNames(cast: Cast): string[] {
  const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  return [...names('n', cast.normal), ...names('m', cast.mules), ...names('d', cast.dormant), ...names('f', cast.freshDevice)];
}

async function castParties(t: TestApp, identity: Awaited<ReturnType<typeof createTestIdentity>>, cast: Cast) {
  const parties = new Map<string, TestCustomer>();
  const bank = await t.ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Simulation bank' });
  for (const name of partyNames(cast)) {
    // Fresh-device actors: the device was enrolled minutes before the attack (on the measured day).
    const deviceAgeMs = name.startsWith('f') ? -(warmupDays * 86_400_000 + 110 * 60_000) : 200 * 86_400_000;
    const who = await identity.addCustomer({ now: simulationStart, deviceAgeMs });
    parties.set(name, who);
    const wallet = await walletOf(t.ledger, who.customer.id, 'CNY');
    const funded = await t.ledger.submit({
      kind: 'single',
      key: `sim-fund-${name}`,
      debitAccountId: bank.id,
      creditAccountId: wallet.id,
      amount: 50_000_000n,
      currency: 'CNY',
    });
    if (!funded.ok) throw new Error(`simulation: could not fund ${name}`);
  }
  return parties;
}

async function send(t: TestApp, parties: Map<string, TestCustomer>, e: SimEvent, now: number, n: number) {
  const from = parties.get(e.from);
  const to = parties.get(e.to);
  if (from === undefined || to === undefined) throw new Error(`simulation: unknown party ${e.from} or ${e.to}`);
  const amount = `${e.amountMinor / 100n}.${String(e.amountMinor % 100n).padStart(2, '0')}`;
  const instruction = instructionFor(from, { kind: 'transfer', target: to.customer.id, amount }, now);
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/payments/transfers',
    remoteAddress: e.ip,
    headers: { authorization: `Bearer ${from.token}`, 'idempotency-key': `sim-${n}-${randomBytes(4).toString('hex')}` },
    payload: { instruction, signature: signInstruction('intl', from, instruction) },
  });
  const body = response.json() as { id?: string; state?: string; code?: string; failureCode?: string | null };
  return outcomeOf(response.statusCode, body);
}

function outcomeOf(
  status: number,
  body: { id?: string; state?: string; code?: string; failureCode?: string | null },
): { outcome: Outcome; paymentId: string | null; code: string | null } {
  const paymentId = body.id ?? null;
  if (body.code === 'payment_denied' || body.failureCode === 'payment_denied')
    return { outcome: 'stopped', paymentId, code: 'payment_denied' };
  if (status === 202) return { outcome: 'challenged', paymentId, code: null };
  if ((status === 200 || status === 201) && (body.state === 'succeeded' || body.state === 'completed')) return { outcome: 'passed', paymentId, code: null };
  return { outcome: 'error', paymentId, code: body.code ?? body.failureCode ?? body.state ?? `http_${status}` };
}

/** Runs the simulation on a fresh in-process app and returns its report (the store is dropped after). */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const plan = planTraffic(options);
  let now = simulationStart;
  const identity = await createTestIdentity('intl');
  const t = await createTestApp(options.store, {}, { paymentIdentity: identity, clock: () => now });
  try {
    const parties = await castParties(t, identity, plan.cast);
    const results: Array<{ event: SimEvent; outcome: Outcome; paymentId: string | null; code: string | null }> = [];
    let n = 0;
    for (const event of plan.events) {
      now = Math.max(now, simulationStart + event.at);
      results.push({ event, ...(await send(t, parties, event, now, n)) });
      n += 1;
      if (n % 100 === 0) options.progress?.(n, plan.events.length);
    }
    const decisions = await t.store.all<{ subject_ref: string | null; decision: string; shadow_hits: string }>(
      "SELECT subject_ref, decision, shadow_hits FROM risk_decisions WHERE event = 'payment'",
    );
    return buildReport(options, results, decisions);
  } finally {
    await t.close();
  }
}
