// Screening benchmark: the published OFAC SDN (with aliases and addresses) and UN consolidated lists
// parsed and indexed, then a mix of searches — listed names with variations, Chinese script, and
// common names that must not match — timed one by one. Reports parse and index time, the index's
// memory, and search p50/p99/max wall time plus CPU time per search. The ceiling, measured in the same
// run, is a fixed piece of CPU work as long as the median search, timed the same way: on a shared,
// loaded machine its p99 is what scheduling alone does to a job that size, so p99 / ceiling p99 shows
// what the matcher's own tail adds.
// Usage: `npm run bench -- screening --json [--searches=N]`; lists from ANFU_SANCTIONS_TEST_DIR or ../shared/sanctions.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseOfac, parseUn, ScreeningIndex } from '../src/sanctions/index.ts';
import { realOfacFiles, realUnFile, requireSharedLists } from '../src/sanctions/testing.ts';

const queries = [
  'Ayman al-Zawahiri',
  'Aiman al-Zawahri',
  '李方伟',
  'Li Fang Wei',
  'Karl Lee',
  '金铁三',
  'Kim Chol Sam',
  'Usama bin Ladin',
  'Saddam Hussein al-Tikriti',
  'صدام حسين التكريتي',
  'Banco Nacional de Cuba',
  'Hassan Nasrallah',
  'John Smith',
  'Maria Garcia',
  'Wang Fang',
  '张伟',
  'Mohammed Ali',
  'Vladimir Putin',
  'Hangzhou Green Tea Trading Co., Ltd.',
  'Anna Müller',
];

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

function timed(count: number, work: (query: string) => unknown) {
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const query = queries[i % queries.length] as string;
    const start = performance.now();
    work(query);
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return {
    p50Ms: round(quantile(times, 0.5)),
    p99Ms: round(quantile(times, 0.99)),
    maxMs: round(times.at(-1) ?? 0),
    cpuUsPerSearch: round((cpu.user + cpu.system) / count, 1),
  };
}

let sink = 0;
function spin(iterations: number): number {
  let x = sink;
  for (let i = 0; i < iterations; i += 1) x = (x * 31 + i) % 1_000_003;
  sink = x;
  return x;
}

/** Iterations of spin() taking about `ms` (median of a few trials). */
function calibrateSpin(ms: number): number {
  const trial = 100_000;
  const samples: number[] = [];
  for (let i = 0; i < 7; i += 1) {
    const start = performance.now();
    spin(trial);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return Math.max(1, Math.round((trial * ms) / (samples[3] ?? 1)));
}

export async function run(args: string[]): Promise<unknown> {
  requireSharedLists();
  const count = Number(args.find((a) => a.startsWith('--searches='))?.slice('--searches='.length) ?? 5000);
  const heapBefore = process.memoryUsage().heapUsed;
  let start = performance.now();
  const ofac = await parseOfac(realOfacFiles);
  const un = await parseUn(realUnFile);
  const parseMs = performance.now() - start;
  start = performance.now();
  const index = new ScreeningIndex([...ofac.entries, ...un]);
  const indexMs = performance.now() - start;
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  // Warm-up (JIT), then the measured runs.
  for (let i = 0; i < 500; i += 1) index.search(queries[i % queries.length] as string, {}, 0.85, 10);
  const search = timed(count, (q) => index.search(q, {}, 0.85, 10));
  // The ceiling: a fixed piece of CPU work as long as the median search, timed the same way.
  const spinIterations = calibrateSpin(search.p50Ms);
  const ceiling = timed(count, () => spin(spinIterations));
  return {
    benchmark: 'screening',
    lists: { ofacEntries: ofac.entries.length, unEntries: un.length, indexedNames: index.nameCount },
    loadMs: { parse: Math.round(parseMs), index: Math.round(indexMs) },
    memoryMb: {
      heapDelta: round((heapAfter - heapBefore) / 1048576, 1),
      rss: round(process.memoryUsage().rss / 1048576, 1),
    },
    searches: count,
    search,
    ceiling: {
      what: 'fixed CPU work as long as the median search, timed in the same run (scheduling noise)',
      ...ceiling,
    },
    ratio: {
      p50: round(search.p50Ms / Math.max(ceiling.p50Ms, 0.001), 1),
      p99: round(search.p99Ms / Math.max(ceiling.p99Ms, 0.001), 1),
    },
    target: { p99Ms: 1 },
    machine: {
      cpus: cpus().length,
      parallelism: availableParallelism(),
      loadAverage: loadavg().map((l) => round(l, 1)),
    },
  };
}
