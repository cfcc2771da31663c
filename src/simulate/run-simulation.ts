// `anfu simulate` (issue 12, item 5): the seeded traffic of traffic.ts sent to the public payments API
// of a real app started in-process on a fresh throw-away store (SQLite or a PostgreSQL schema): every
// payment is a signed instruction POSTed to /v1/payments/transfers from the party's device, from the
// event's client address, on a simulated clock. The app decides with its real risk engine and the
// default rule set (with its shadow rules); the report says per attack type what was stopped,
// challenged or passed, the normal traffic's challenge rate, and precision and recall of the rule set
// — as it acts, and as it would act if the shadow rules were made active.
import { buildReport, type DecisionRow, type Outcome, type SimulationReport } from './report.ts';
import { planTraffic, warmupDays, type Cast, type SimEvent, type TrafficOptions } from './traffic.ts';

/**
 * The app the simulation drives (bench/simulate-app.ts builds one in-process on a throw-away store):
 * parties with a funded wallet and a device, a signed transfer POSTed to the public API, the decisions.
 */
export interface SimulationApp {
  addParty(name: string, options: { readonly now: number; readonly deviceAgeMs: number }): Promise<void>;
  /** POST /v1/payments/transfers as `from`'s device, from address `ip`; the HTTP status and body. */
  transfer(
    from: string,
    to: string,
    amount: string,
    ip: string,
    now: number,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  paymentDecisions(): Promise<DecisionRow[]>;
  close(): Promise<void>;
}

export interface SimulationOptions extends TrafficOptions {
  /** Opens the app with the simulation's clock. */
  readonly open: (clock: () => number) => Promise<SimulationApp>;
  /** Called every 100 events with (done, total). */
  readonly progress?: (done: number, total: number) => void;
}

export const simulationStart = Date.UTC(2026, 0, 5, 0, 0, 0); // 08:00 in China

function partyNames(cast: Cast): string[] {
  const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const { normal, mules, dormant, freshDevice } = cast;
  return [...names('n', normal), ...names('m', mules), ...names('d', dormant), ...names('f', freshDevice)];
}

async function castParties(app: SimulationApp, cast: Cast): Promise<void> {
  for (const name of partyNames(cast)) {
    // Fresh-device actors: the device was enrolled minutes before the attacks of the measured day.
    const deviceAgeMs = name.startsWith('f') ? -(warmupDays * 86_400_000 + 110 * 60_000) : 200 * 86_400_000;
    await app.addParty(name, { now: simulationStart, deviceAgeMs });
  }
}

async function send(app: SimulationApp, e: SimEvent, now: number) {
  const amount = `${e.amountMinor / 100n}.${String(e.amountMinor % 100n).padStart(2, '0')}`;
  const response = await app.transfer(e.from, e.to, amount, e.ip, now);
  return outcomeOf(response.status, response.body as Parameters<typeof outcomeOf>[1]);
}

function outcomeOf(
  status: number,
  body: { id?: string; state?: string; code?: string; failureCode?: string | null },
): { outcome: Outcome; paymentId: string | null; code: string | null } {
  const paymentId = body.id ?? null;
  if (body.code === 'payment_denied' || body.failureCode === 'payment_denied')
    return { outcome: 'stopped', paymentId, code: 'payment_denied' };
  if (status === 202) return { outcome: 'challenged', paymentId, code: null };
  const done = body.state === 'succeeded' || body.state === 'completed';
  if ((status === 200 || status === 201) && done) return { outcome: 'passed', paymentId, code: null };
  return { outcome: 'error', paymentId, code: body.code ?? body.failureCode ?? body.state ?? `http_${status}` };
}

/** Runs the simulation on a fresh in-process app and returns its report (the store is dropped after). */
/** Runs the simulation on a fresh app and returns its report (the app is closed after). */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const plan = planTraffic(options);
  let now = simulationStart;
  const app = await options.open(() => now);
  try {
    await castParties(app, plan.cast);
    const results: Array<{ event: SimEvent; outcome: Outcome; paymentId: string | null; code: string | null }> = [];
    for (const event of plan.events) {
      now = Math.max(now, simulationStart + event.at);
      results.push({ event, ...(await send(app, event, now)) });
      if (results.length % 100 === 0) options.progress?.(results.length, plan.events.length);
    }
    return buildReport(options, results, await app.paymentDecisions());
  } finally {
    await app.close();
  }
}
