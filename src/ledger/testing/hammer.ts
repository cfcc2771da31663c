// Load for the concurrency tests: many submitters at once moving money among a few hot accounts in
// random directions, holds that are posted or voided, and idempotency keys deliberately shared with
// other submitters (and other processes). Reports every outcome so the parent can check the journal.
import type { Ledger } from '../ledger.ts';
import type { TransferOutcome, TransferRequest } from '../types.ts';
import { pick, seededRandom } from './fixtures.ts';

export interface HammerConfig {
  /** Funded accounts of one currency, all allowed to pay each other. */
  readonly accounts: readonly string[];
  readonly currency: string;
  /** Prefix of this submitter's own keys (unique per process). */
  readonly prefix: string;
  /** Prefix of the keys every process shares. */
  readonly sharedPrefix: string;
  readonly sharedKeys: number;
  /** How many times this process submits each shared key. */
  readonly sharedRepeats: number;
  /** Own operations (a hold with its post or void counts as one). */
  readonly operations: number;
  readonly concurrency: number;
  readonly seed: number;
}

/** One acknowledged transfer: key, seq, replayed, kind, payer, payee, amount (bigints as strings, for IPC). */
export type Ack = [key: string, seq: string, replayed: boolean, kind: string, debit: string, credit: string, amount: string];

export interface HammerReport {
  readonly acks: Ack[];
  readonly refused: Record<string, number>;
  /** Rejected promises: what must never reach a caller. */
  readonly errors: string[];
}

/** The body of shared key `i` is the same in every process, so all but one submission are replays. */
export function sharedRequest(config: HammerConfig, i: number): TransferRequest {
  const n = config.accounts.length;
  return {
    kind: 'single',
    key: `${config.sharedPrefix}${i}`,
    debitAccountId: config.accounts[i % n] ?? '',
    creditAccountId: config.accounts[(i + 1) % n] ?? '',
    amount: BigInt(i + 1),
    currency: config.currency,
  };
}

type Job = { shared: number } | { own: number };

export async function hammer(ledger: Ledger, config: HammerConfig): Promise<HammerReport> {
  const random = seededRandom(config.seed);
  const report: HammerReport = { acks: [], refused: {}, errors: [] };
  const jobs: Job[] = Array.from({ length: config.operations }, (_, own) => ({ own }));
  for (let repeat = 0; repeat < config.sharedRepeats; repeat++) {
    for (let shared = 0; shared < config.sharedKeys; shared++) jobs.splice(Math.floor(random() * (jobs.length + 1)), 0, { shared });
  }

  const submit = async (request: TransferRequest): Promise<TransferOutcome | undefined> => {
    try {
      const outcome = await ledger.submit(request);
      if (outcome.ok) {
        const t = outcome.transfer;
        report.acks.push([t.key, String(t.seq), outcome.replayed, t.kind, t.debitAccountId, t.creditAccountId, String(t.amount)]);
      } else {
        report.refused[outcome.code] = (report.refused[outcome.code] ?? 0) + 1;
      }
      return outcome;
    } catch (error) {
      report.errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      return undefined;
    }
  };

  const runJob = async (job: Job): Promise<void> => {
    if ('shared' in job) {
      await submit(sharedRequest(config, job.shared));
      return;
    }
    const debitAccountId = pick(random, config.accounts);
    const creditAccountId = pick(random, config.accounts.filter((a) => a !== debitAccountId));
    const amount = BigInt(1 + Math.floor(random() * 1_000));
    const key = `${config.prefix}${job.own}`;
    if (random() < 0.8) {
      await submit({ kind: 'single', key, debitAccountId, creditAccountId, amount, currency: config.currency });
      return;
    }
    const held = await submit({ kind: 'hold', key, debitAccountId, creditAccountId, amount, currency: config.currency, timeoutMs: 600_000 });
    if (held?.ok !== true) return;
    const resolution: TransferRequest = random() < 0.7
      ? { kind: 'post', key: `${key}:post`, holdSeq: held.transfer.seq, amount: random() < 0.5 ? undefined : amount / 2n + 1n }
      : { kind: 'void', key: `${key}:void`, holdSeq: held.transfer.seq };
    await submit(resolution);
  };

  let next = 0;
  const submitter = async (): Promise<void> => {
    // Bounded: each submitter takes jobs until the shared list is exhausted.
    for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) await runJob(job);
  };
  await Promise.all(Array.from({ length: config.concurrency }, submitter));
  return report;
}
