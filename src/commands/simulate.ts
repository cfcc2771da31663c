// `anfu simulate [--seed N] [--customers N] [--events N] [--attacks N] [--store sqlite|postgres] [--json]`:
// seeded traffic with labelled attacks through the payments API of an app started in-process on a
// throw-away store (dropped after), then the report (docs/risk.md "Simulation"). Refused in
// production: it creates customers and money of its own.
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { attackTypes, runSimulation, type SimulationApp, type SimulationReport } from '../simulate/index.ts';

const usage =
  'usage: anfu simulate [--seed N] [--customers N] [--events N] [--attacks N] [--store sqlite|postgres] [--json]';

const whole = (text: string | undefined, fallback: number, max: number): number | undefined => {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : undefined;
};

export async function simulateCommand(config: Config, args: readonly string[]): Promise<number> {
  if (config.environment === 'production') {
    console.error('refused: anfu simulate creates customers and money of its own; never in production');
    return 2;
  }
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      seed: { type: 'string' },
      customers: { type: 'string' },
      events: { type: 'string' },
      attacks: { type: 'string' },
      store: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const seed = whole(values.seed, 1, 2 ** 31);
  const customers = whole(values.customers, 30, 2000);
  const normalEvents = whole(values.events, 400, 100_000);
  const attacksPerType = whole(values.attacks, 3, 100);
  const store = values.store ?? 'sqlite';
  if (seed === undefined || customers === undefined || normalEvents === undefined || attacksPerType === undefined
    || (store !== 'sqlite' && store !== 'postgres')) {
    console.error(usage);
    return 2;
  }
  if (store === 'postgres' && process.env.ANFU_TEST_DATABASE_URL === undefined) {
    console.error('--store postgres needs ANFU_TEST_DATABASE_URL (a database where a throw-away schema is made)');
    return 2;
  }
  const progress = (done: number, total: number) => process.stderr.write(`\r${done}/${total} payments`);
  // The in-process app is composed from test support, kept outside src/ like the benchmarks.
  const { openSimulationApp } = (await import('../../bench/simulate-app.ts')) as {
    openSimulationApp: (kind: 'sqlite' | 'postgres', clock: () => number) => Promise<SimulationApp>;
  };
  const open = (clock: () => number) => openSimulationApp(store, clock);
  const report = await runSimulation({ open, seed, customers, normalEvents, attacksPerType, progress });
  process.stderr.write('\n');
  console.log(values.json === true ? JSON.stringify(report, null, 2) : describe(report));
  return 0;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);

function describe(r: SimulationReport): string {
  const lines = [
    `seed ${r.seed}: ${r.events.warmup} warm-up, ${r.events.normal} normal and ${r.events.attack} attack payments`,
    '',
    'attack                    instances caught  events: stopped challenged passed' +
      '   with shadow rules: caught stop/chal/pass',
  ];
  for (const type of attackTypes) {
    const a = r.attacks[type];
    const s = a.withShadow;
    lines.push(
      `${type.padEnd(26)}${`${a.instancesCaught}/${a.instances}`.padEnd(17)}${String(a.stopped).padStart(7)}` +
        `${String(a.challenged).padStart(11)}${String(a.passed).padStart(7)}` +
        `   ${`${s.instancesCaught}/${a.instances}`.padEnd(7)}${s.stopped}/${s.challenged}/${s.passed}`,
    );
  }
  lines.push(
    '',
    `normal traffic challenged or stopped: ${pct(r.normal.challengeRate)} (goal < 2 %); ` +
      `with shadow rules active: ${pct(r.normal.challengeRateWithShadow)}`,
    `rule set: precision ${pct(r.ruleSet.precision)}, recall ${pct(r.ruleSet.recall)}; with shadow rules: ` +
      `precision ${pct(r.ruleSetWithShadow.precision)}, recall ${pct(r.ruleSetWithShadow.recall)}`,
    `other refusals: ${JSON.stringify(r.otherRefusals)}`,
    '',
    'rule (mode)                              normal  attacks hit',
    ...Object.entries(r.rules).map(
      ([rule, t]) =>
        `${`${rule} (${t.mode})`.padEnd(41)}${String(t.normal).padStart(6)}  ` +
        Object.entries(t.attacks)
          .map(([type, n]) => `${type} ${n}`)
          .join(', '),
    ),
    '',
    ...r.notes.map((n) => `note: ${n}`),
  );
  return lines.join('\n');
}
