// Risk engine benchmark. (1) Rule evaluation: the default set plus 100 generated active rules (and 20
// shadow rules, two typologies) decided over varied payment features; p50/p99 per decision. (2) Payment
// throughput in the same run, same store, same process, signed payments through the real flows (verify,
// limits, ledger, audit) in kinds of round:
//   transfers to customers (the batched path) — `fixed`: the fixed rules of risk/payment-risk.ts the engine
//   replaced (no engine: no features read, no decision stored); `none`: the engine running an empty rule
//   set (features read, the decision with its feature snapshot, counters and marks written: what every
//   payment pays because every decision is stored); `default`: the engine's default set; `full`: the
//   default set + 100 generated active + 20 shadow rules and two typologies;
//   order payments to a merchant (the path that screens its payee at payment) — `orders_none`: the engine
//   with the empty set, no lists loaded; `orders_full`: the full set, and the payee screened against the
//   real OFAC SDN and UN lists loaded (../shared/sanctions).
// Issue 12's line, "payment throughput with the full rule set and screening within 10 % of throughput
// without them", is `ratio`: the lower of full / none (transfers) and orders_full / orders_none. The
// engine's whole cost, the full set against the fixed rules, is `ratio_vs_fixed`; the full set against the
// default set is `ratio_full_vs_default`. Each has a `cpu_` twin: process CPU time per payment, steadier
// than payments/s on a shared, loaded machine.
// Rounds alternate to share the load (each round starts one kind later), after a warm-up (not reported).
// `--statements` (SQLite) adds, per payment of each kind of round, the time and rows of every statement the
// batches ran (bench/statement-timing.ts) and the garbage collection time.
// Usage: anfu bench risk [--store sqlite|postgres] [--payments 1500] [--rounds 2] [--statements] [--json]
import { loadavg } from 'node:os';
import { loadConfig } from '../src/config.ts';
import { Ledger } from '../src/ledger/index.ts';
import { paymentSettingsOf, walletOf, type PaymentsContext } from '../src/payments/index.ts';
import { testKeyring } from '../src/crypto/testing.ts';
import { createCheckoutOrder } from '../src/payments/checkout-orders.ts';
import {
  createTestIdentity,
  instructionFor,
  signInstruction,
  testMerchantOrder,
  type TestCustomer,
} from '../src/payments/testing.ts';
import { payOrder } from '../src/flows/pay-order.ts';
import { transferToCustomer } from '../src/flows/transfer-to-customer.ts';
import {
  compileRuleSet,
  decide,
  defaultRuleSet,
  RiskEngine,
  type FeatureValues,
  type RuleSetDocument,
} from '../src/risk/index.ts';
import { neutralFeatures } from '../src/risk/index.ts';
import { createSanctions, loadLists, payeeScreeningOf, type Sanctions } from '../src/sanctions/index.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from '../src/sanctions/testing.ts';
import type { Store } from '../src/store/index.ts';
import { createTestDatabase, type StoreKind } from '../src/store/testing.ts';
import { insertRuleSetForBench } from './risk-support.ts';
import { newStatementTimes, perPayment, timedStore, type StatementTimes } from './statement-timing.ts';

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

const templates = [
  (i: number) => `amount > ${1000 + i} CNY and device.age < ${1 + (i % 5)}d`,
  (i: number) => `customer.count_1h >= ${10 + i} or device.count_24h > ${50 + i}`,
  (i: number) => `payee.new and customer.sum_24h > ${5000 + i * 10} CNY and not device.allowed`,
  (i: number) => `address.country not in ['CN', 'HK', 'MO', 'X${i}'] and amount >= ${200 + i} CNY`,
  (i: number) =>
    `(device.new or address.new) and hour >= ${i % 6} and hour < ${(i % 6) + 3} and card.count_1h > ${3 + i}`,
];

/** The default set plus 100 active rules, 20 shadow rules and two typologies over some of them. */
export function benchRuleSet(): RuleSetDocument {
  const base = defaultRuleSet();
  const actions = ['challenge', 'review', 'deny', 'allow'] as const;
  const rules = Array.from({ length: 120 }, (_, i) => ({
    id: `bench_${i}`,
    on: ['payment' as const],
    when: (templates[i % templates.length] as (i: number) => string)(i),
    action: actions[i % actions.length] as (typeof actions)[number],
    score: 10,
    reason: `bench_${i}`,
    ...(i >= 100 ? { mode: 'shadow' as const } : {}),
  }));
  const typologies = [0, 1].map((t) => ({
    id: `bench_typology_${t}`,
    on: ['payment' as const],
    weights: Object.fromEntries(rules.slice(t * 10, t * 10 + 10).map((r) => [r.id, 15])),
    alert: 60,
    alertAction: 'review' as const,
    block: 120,
  }));
  return { rules: [...base.rules, ...rules], typologies: [...base.typologies, ...typologies] };
}

function evaluationBench(iterations: number): { rules: number; p50_us: number; p99_us: number; max_us: number } {
  const compiled = compileRuleSet(benchRuleSet());
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  const base = neutralFeatures('payment', 'CNY');
  const variants: FeatureValues[] = Array.from({ length: 64 }, (_, i) => ({
    ...base,
    amount: { minor: BigInt(1000 + i * 97_531), currency: 'CNY' },
    'device.age': i * 3_600_000,
    'payee.new': i % 2 === 0,
    'customer.count_1h': i % 30,
    'address.country': i % 3 === 0 ? 'US' : 'CN',
    hour: i % 24,
    'device.new': i % 5 === 0,
  }));
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    decide(compiled.set, 'payment', variants[i % variants.length] as FeatureValues);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  samples.sort();
  const at = (q: number) => Math.round((samples[Math.min(iterations - 1, Math.floor(q * iterations))] ?? 0) * 10) / 10;
  const active = (compiled.set.rulesByEvent.get('payment') ?? []).filter((r) => r.mode === 'active').length;
  return { rules: active, p50_us: at(0.5), p99_us: at(0.99), max_us: at(1 - 1e-9) };
}

interface Fixture {
  readonly ctx: PaymentsContext;
  readonly payers: TestCustomer[];
  readonly payees: TestCustomer[];
  readonly identity: Awaited<ReturnType<typeof createTestIdentity>>;
  /** The merchant the order rounds pay, and a way to open orders for it. */
  readonly shop: { readonly merchantId: string; open(count: number): Promise<string[]> };
  close(): Promise<void>;
}

async function fixture(kind: StoreKind, payers: number, timing?: () => StatementTimes): Promise<Fixture> {
  const database = await createTestDatabase(kind);
  const opened = database.open();
  const store = timing === undefined ? opened : timedStore(opened, timing);
  const ledger = new Ledger({ store });
  const identity = await createTestIdentity();
  const config = loadConfig({ ANFU_ENV: 'test' });
  const ctx: PaymentsContext = { store, ledger, identity, settings: paymentSettingsOf(config), clock: Date.now };
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Bench bank' });
  const people: TestCustomer[] = [];
  for (let i = 0; i < payers; i++) {
    const who = await identity.addCustomer();
    const wallet = await walletOf(ledger, who.customer.id, 'CNY');
    const funded = await ledger.submit({
      kind: 'single',
      key: `fund-${i}`,
      debitAccountId: bank.id,
      creditAccountId: wallet.id,
      amount: 10_000_000n,
      currency: 'CNY',
    });
    if (!funded.ok) throw new Error('funding failed');
    people.push(who);
  }
  const payees = [await identity.addCustomer(), await identity.addCustomer()];
  const shop = await benchShop(store);
  const close = async () => {
    await ledger.close();
    await store.close();
    await database.drop();
  };
  return { ctx, payers: people, payees, identity, shop, close };
}

/** A merchant whose name no list holds (so screening it is clear), and its orders of 1.00 CNY. */
async function benchShop(store: Store): Promise<Fixture['shop']> {
  const shop = { name: 'Bench Tea House', registration: '91310000MA1K00001X', settlementAccount: '6222020200112233446' };
  const first = { reference: 'bench-order-0', amount: 100n, description: 'tea' };
  const { merchant } = await testMerchantOrder(store, await testKeyring(store), shop, first, Date.now());
  let opened = 0;
  return {
    merchantId: merchant.id,
    async open(count) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const order = { merchantId: merchant.id, merchantReference: `bench-order-${++opened}`, amount: 100n };
        const input = { ...order, currency: 'CNY', description: 'tea', ttlMs: 3_600_000 };
        ids.push((await createCheckoutOrder(store, input, Date.now())).id);
      }
      return ids;
    },
  };
}

/** What a round pays: transfers to one of the two payees, or the shop's orders (opened before the clock starts). */
type Paying = 'transfers' | 'orders';

let keys = 0;
// Payments rotate over the payers across every round (not from the first payer in each round), so each
// payer pays as often as the others, always to the same one of the two payees.
let paid = 0;
async function throughput(
  f: Fixture,
  ctx: PaymentsContext,
  paying: Paying,
  payments: number,
  concurrency: number,
): Promise<{ perS: number; cpuUsPerPayment: number; outcomes: Record<string, number> }> {
  const orders = paying === 'orders' ? await f.shop.open(payments) : [];
  const requests = Array.from({ length: payments }, (_, i) => {
    const index = paid++ % f.payers.length;
    const payer = f.payers[index] as TestCustomer;
    const order = orders[i] ?? '';
    const instruction = instructionFor(payer, {
      kind: paying === 'orders' ? 'order_payment' : 'transfer',
      target: paying === 'orders' ? order : (f.payees[index % 2] as TestCustomer).customer.id,
      amount: '1.00',
    });
    const request = {
      instruction,
      signature: signInstruction(f.identity.profile, payer, instruction),
      idempotencyKey: `bench-${keys++}`,
      // Each payer pays from its own public address in China, as a request through the HTTP edge carries
      // one: the engine places it, counts it and keeps it as the payer's last location.
      origin: { ip: `36.${(index >> 8) & 255}.${index & 255}.10`, url: paying === 'orders' ? '/v1/orders' : '/v1/payments' },
    };
    return () =>
      paying === 'orders'
        ? payOrder(ctx, payer.principal, order, request)
        : transferToCustomer(ctx, payer.principal, request);
  });
  const outcomes: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const pay = requests[next++] as (typeof requests)[number];
        const state = await pay().then(
          (r) => r.payment.state,
          (e: unknown) => (e as { code?: string }).code ?? 'error',
        );
        outcomes[state] = (outcomes[state] ?? 0) + 1;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    perS: Math.round(payments / ((performance.now() - started) / 1000)),
    cpuUsPerPayment: Math.round((used.user + used.system) / payments),
    outcomes,
  };
}

const ratioOf = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;

const kindNames = ['fixed', 'none', 'default', 'full', 'orders_none', 'orders_full'] as const;
type KindName = (typeof kindNames)[number];
const perKind = <T>(make: () => T): Record<KindName, T> =>
  Object.fromEntries(kindNames.map((name) => [name, make()])) as Record<KindName, T>;
/** Engine-counted kinds: each counts its payers, under the generated rules' velocity review. */
const engineKinds = kindNames.length - 1;

/** The kinds of round: what each pays and with which engine and screening. */
async function kindsOf(
  f: Fixture,
): Promise<{ kinds: Record<KindName, [Paying, PaymentsContext]>; version: number; sanctions: Sanctions }> {
  // Never refreshed, so it runs the default set (version 0) of this configuration.
  const defaultEngine = new RiskEngine({ store: f.ctx.store });
  // Each refreshed once, right after its set is stored: the empty set is version 1, the full set version 2.
  const noneEngine = new RiskEngine({ store: f.ctx.store });
  await insertRuleSetForBench(f.ctx.store, { rules: [], typologies: [] });
  await noneEngine.refresh();
  const engine = new RiskEngine({ store: f.ctx.store });
  await insertRuleSetForBench(f.ctx.store, benchRuleSet());
  await engine.refresh();
  requireSharedLists();
  await loadLists(f.ctx.store, { ofac: realOfacFiles, un: realUnFile }, { type: 'operator', id: 'bench' }, Date.now());
  const sanctions = createSanctions(f.ctx.store, Date.now);
  const screenPayee = payeeScreeningOf(sanctions);
  const kinds: Record<KindName, [Paying, PaymentsContext]> = {
    fixed: ['transfers', f.ctx],
    none: ['transfers', { ...f.ctx, riskEngine: noneEngine }],
    default: ['transfers', { ...f.ctx, riskEngine: defaultEngine }],
    full: ['transfers', { ...f.ctx, riskEngine: engine }],
    orders_none: ['orders', { ...f.ctx, riskEngine: noneEngine }],
    orders_full: ['orders', { ...f.ctx, riskEngine: engine, screenPayee }],
  };
  return { kinds, version: engine.version, sanctions };
}

export async function run(args: string[]): Promise<unknown> {
  const kind = (option(args, 'store') ?? 'sqlite') as StoreKind;
  const payments = Number(option(args, 'payments') ?? '1500');
  const rounds = Number(option(args, 'rounds') ?? '2');
  const evaluation = evaluationBench(20_000);
  const setup = newStatementTimes();
  const times = perKind(newStatementTimes);
  let timing: StatementTimes = setup;
  // Every kind of round does the same work (all succeed): each payer's payees are known to the engine
  // before the measured rounds (the warm-up pays once from every payer to its payee and to the shop with
  // the engine; a payer new to a payee that receives many is the default set's fan-in review), and each
  // payer is counted by the engine at most 10 times in all, under the generated rules' velocity review
  // (customer.count_1h >= 11), and pays at most 14 times, under the fixed rules' velocity challenge.
  const warmUp = 100;
  const payers = Math.ceil((engineKinds * payments * rounds) / 7);
  const f = await fixture(kind, payers, args.includes('--statements') ? () => timing : undefined);
  try {
    const { kinds, version, sanctions } = await kindsOf(f);
    const perS = perKind((): number[] => []);
    const cpu = perKind((): number[] => []);
    const outcomes: Record<string, Record<string, number>> = {};
    // Not reported: the first payments of a process pay for compiling its code, whichever kind runs first.
    paid = 0;
    await throughput(f, kinds.default[1], 'transfers', payers, 64);
    await throughput(f, kinds.orders_none[1], 'orders', payers, 64);
    for (const name of ['fixed', 'full', 'orders_full'] as const)
      await throughput(f, kinds[name][1], kinds[name][0], warmUp / 2, 64);
    for (let round = 0; round < rounds; round++) {
      // Each round starts one kind later, so over as many rounds as kinds each kind runs once in each position.
      const start = round % kindNames.length;
      for (const name of [...kindNames.slice(start), ...kindNames.slice(0, start)]) {
        timing = times[name];
        const [paying, ctx] = kinds[name];
        const measured = await throughput(f, ctx, paying, payments, 64);
        perS[name].push(measured.perS);
        cpu[name].push(measured.cpuUsPerPayment);
        for (const [state, n] of Object.entries(measured.outcomes))
          (outcomes[name] ??= {})[state] = (outcomes[name]?.[state] ?? 0) + n;
      }
    }
    const best = perKind(() => 0);
    const cpuBest = perKind(() => 0);
    for (const name of kindNames) {
      best[name] = Math.max(...perS[name]);
      cpuBest[name] = Math.min(...cpu[name]);
    }
    const transfers = ratioOf(best.full, best.none);
    const orders = ratioOf(best.orders_full, best.orders_none);
    return {
      store: kind,
      rule_evaluation: evaluation,
      rule_evaluation_p99_ms: evaluation.p99_us / 1000,
      payments_per_s_full_rule_set: best.full,
      payments_per_s_orders_full_rule_set_and_screening: best.orders_full,
      ceiling:
        'the same payments with the engine running no rules and no screening (every decision still stored), same run',
      ceiling_per_s: { transfers: best.none, orders: best.orders_none },
      // Issue 12's line: the lower of the two kinds of payment.
      ratio: Math.min(transfers, orders),
      ratio_transfers: transfers,
      ratio_orders: orders,
      // The engine's whole cost: the full set against the fixed rules it replaced (no decision stored).
      ratio_vs_fixed: ratioOf(best.full, best.fixed),
      // What the larger rule set costs on top of the default one.
      ratio_full_vs_default: ratioOf(best.full, best.default),
      rounds: perS,
      // Process CPU time per payment (all threads): steadier than payments/s on a shared, loaded machine.
      cpu_us_per_payment: cpu,
      cpu_ratio: Math.min(ratioOf(cpuBest.none, cpuBest.full), ratioOf(cpuBest.orders_none, cpuBest.orders_full)),
      cpu_ratio_transfers: ratioOf(cpuBest.none, cpuBest.full),
      cpu_ratio_orders: ratioOf(cpuBest.orders_none, cpuBest.orders_full),
      cpu_ratio_vs_fixed: ratioOf(cpuBest.fixed, cpuBest.full),
      cpu_ratio_full_vs_default: ratioOf(cpuBest.default, cpuBest.full),
      cpu_ratio_none_vs_fixed: ratioOf(cpuBest.fixed, cpuBest.none),
      // Every round's payments by final state: the same in every kind when they did the same work.
      outcomes,
      // The payee screenings of the orders_full rounds and their warm-up, by verdict: all clear (the shop's
      // name is on no list), the first one searched, the others answered by the clear memo of the lists in force.
      screenings: { ...sanctions.counts },
      payments_per_round: payments,
      ruleset_version: version,
      load_average: loadavg().map((l) => Math.round(l * 100) / 100),
      ...(args.includes('--statements')
        ? {
            statements_per_payment: Object.fromEntries(
              kindNames.map((name) => [name, perPayment(times[name], payments * rounds)]),
            ),
          }
        : {}),
    };
  } finally {
    await f.close();
  }
}
