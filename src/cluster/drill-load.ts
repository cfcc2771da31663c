// The drills' client: transfers through the API nodes (haproxy), each with its own idempotency key,
// every request and its outcome recorded. A request whose answer is lost or unavailable (network
// error, 502/503) is asked again with the same key, as a careful client would, until it settles or
// its time is up; only then is it recorded as unknown.

export type Outcome = 'acknowledged' | 'refused' | 'unknown';

export interface RequestRecord {
  readonly key: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountMinor: bigint;
  readonly sentAtMs: number;
  settledAtMs: number;
  outcome: Outcome;
  attempts: number;
  /** The refusal code, or the last error of an unknown request. */
  detail?: string;
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly accountIds: readonly string[];
  readonly currency: string;
  readonly workers: number;
  readonly keyPrefix: string;
  /** How long one request may keep being retried with its key before it counts as unknown. */
  readonly settleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Upper bound on the requests of one run, whatever the time. */
  readonly requestsMax: number;
}

export interface LoadRun {
  readonly records: RequestRecord[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Attempt =
  | { kind: 'settled'; outcome: 'acknowledged' | 'refused'; detail?: string }
  | { kind: 'retry'; detail: string };

async function attemptOnce(options: LoadOptions, record: RequestRecord): Promise<Attempt> {
  try {
    const response = await fetch(`${options.baseUrl}/v1/transfers`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.token}`, 'idempotency-key': record.key, 'content-type': 'application/json',
      },
      body: JSON.stringify({
        debitAccountId: record.debitAccountId, creditAccountId: record.creditAccountId,
        amount: formatMinor(record.amountMinor), currency: options.currency,
      }),
      signal: AbortSignal.timeout(options.requestTimeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { code?: string };
    if (response.status === 200 || response.status === 201) return { kind: 'settled', outcome: 'acknowledged' };
    if (response.status >= 500 || response.status === 429) {
      return { kind: 'retry', detail: `${response.status} ${body.code ?? ''}`.trim() };
    }
    return { kind: 'settled', outcome: 'refused', detail: body.code ?? String(response.status) };
  } catch (error) {
    return { kind: 'retry', detail: error instanceof Error ? error.name : 'error' };
  }
}

/** Sends one request until it settles or `settleTimeoutMs` passes. */
async function send(options: LoadOptions, record: RequestRecord): Promise<void> {
  const deadline = record.sentAtMs + options.settleTimeoutMs;
  for (;;) {
    record.attempts++;
    const attempt = await attemptOnce(options, record);
    record.settledAtMs = Date.now();
    if (attempt.kind === 'settled') {
      record.outcome = attempt.outcome;
      if (attempt.detail !== undefined) record.detail = attempt.detail;
      return;
    }
    record.detail = attempt.detail;
    if (Date.now() >= deadline) return;
    await sleep(Math.min(500, 100 * record.attempts));
  }
}

export function formatMinor(minor: bigint): string {
  const whole = minor / 100n;
  const cents = (minor % 100n).toString().padStart(2, '0');
  return `${whole}.${cents}`;
}

/** Starts `workers` loops of transfers between random accounts (small amounts); stop() waits for them. */
export function startLoad(options: LoadOptions, random: () => number = Math.random): LoadRun {
  const records: RequestRecord[] = [];
  let stopped = false;
  let counter = 0;
  const pick = () => options.accountIds[Math.floor(random() * options.accountIds.length)] as string;
  const worker = async (id: number) => {
    while (!stopped && counter < options.requestsMax) {
      const debitAccountId = pick();
      let creditAccountId = pick();
      while (creditAccountId === debitAccountId) creditAccountId = pick();
      const record: RequestRecord = {
        key: `${options.keyPrefix}-${id}-${counter++}`, debitAccountId, creditAccountId,
        amountMinor: BigInt(1 + Math.floor(random() * 500)),
        sentAtMs: Date.now(), settledAtMs: 0, outcome: 'unknown', attempts: 0,
      };
      records.push(record);
      await send(options, record);
    }
  };
  const running = Array.from({ length: options.workers }, (_, i) => worker(i));
  return {
    records,
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}
