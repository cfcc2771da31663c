// A small pool of worker threads for the CPU-heavy part of a signed instruction's check (certificate
// chain and parsing, signature), so the event loop keeps serving while they run. Checks that queue up
// while every worker is busy travel together, one message per batch. A worker that dies or stalls
// fails its pending checks with `signature_check_unavailable` (503: the service, not the customer's
// signature) and is replaced on the next check; nothing waits forever.
import { Worker } from 'node:worker_threads';
import { AnfuError } from '../errors.ts';
import { checkInstructionSignature, type SignatureCheck, type SignatureCheckRequest } from './verify-instruction.ts';

export interface SignatureChecks {
  check(request: SignatureCheckRequest): Promise<SignatureCheck>;
  /** Resolves when every worker has loaded (checks do not wait for this; a benchmark's timing may). */
  ready(): Promise<void>;
  /** Ends the workers; checks still pending or asked later fail with `signature_check_unavailable`. */
  close(): Promise<void>;
}

export interface SignatureCheckPoolOptions {
  readonly workers: number;
  /** Checks sent in one message at most. */
  readonly checksPerMessageMax?: number;
  /** A batch not answered by then is failed and its worker replaced. */
  readonly batchTimeoutMs?: number;
  /** The worker module (tests give one that crashes or stalls). */
  readonly workerEntry?: URL;
  /** Called with every worker started (tests end one to see it replaced). */
  readonly onWorkerStart?: (worker: Worker) => void;
}

interface Pending {
  readonly request: SignatureCheckRequest;
  readonly resolve: (check: SignatureCheck) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  /** The worker has loaded its module and said so: until then checks run on this thread. */
  ready: boolean;
  /** The one batch in flight on this worker, if any. */
  batch: { readonly id: number; readonly checks: readonly Pending[]; readonly timer: NodeJS.Timeout } | undefined;
}

/** A worker's answer to one batch (the checks' outcomes in the order they were sent), or that it is ready. */
type Answer = { readonly id: number; readonly results: readonly SignatureCheck[] } | { readonly ready: true };

const defaultEntry = new URL('./signature-check-entry.mjs', import.meta.url);

function unavailable(detail: string): AnfuError {
  return new AnfuError('signature_check_unavailable', detail);
}

export function createSignatureCheckPool(options: SignatureCheckPoolOptions): SignatureChecks {
  return new SignatureCheckPool(options);
}

class SignatureCheckPool implements SignatureChecks {
  private readonly checksPerMessageMax: number;
  private readonly batchTimeoutMs: number;
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private nextBatchId = 1;
  private dispatchScheduled = false;
  private closed = false;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly options: SignatureCheckPoolOptions) {
    this.checksPerMessageMax = options.checksPerMessageMax ?? 64;
    this.batchTimeoutMs = options.batchTimeoutMs ?? 10_000;
    this.slots = Array.from({ length: options.workers }, () => ({ worker: undefined, ready: false, batch: undefined }));
    for (const slot of this.slots) this.start(slot);
  }

  check(request: SignatureCheckRequest): Promise<SignatureCheck> {
    if (this.closed) return Promise.reject(unavailable('the signature check pool is closed'));
    return new Promise<SignatureCheck>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      // Checks arriving in the same turn of the event loop go out together.
      if (this.dispatchScheduled) return;
      this.dispatchScheduled = true;
      setImmediate(() => {
        this.dispatchScheduled = false;
        this.dispatch();
      });
    });
  }

  ready(): Promise<void> {
    if (this.slots.every((slot) => slot.ready)) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(unavailable('the signature check pool is closed'));
    await Promise.all(this.slots.map((slot) => {
      const worker = slot.worker;
      return worker === undefined ? undefined : this.fail(slot, worker, 'closed');
    }));
  }

  /** Fails the slot's batch and forgets its worker; a new one starts when there is work again. */
  private fail(slot: Slot, worker: Worker, detail: string): Promise<unknown> {
    if (slot.worker !== worker) return Promise.resolve();
    slot.worker = undefined;
    slot.ready = false;
    const batch = slot.batch;
    slot.batch = undefined;
    if (batch !== undefined) {
      clearTimeout(batch.timer);
      for (const pending of batch.checks) pending.reject(unavailable(`the signature check worker: ${detail}`));
    }
    const ended = worker.terminate();
    if (!this.closed) this.dispatch();
    return ended;
  }

  private start(slot: Slot): Worker {
    const worker = new Worker(this.options.workerEntry ?? defaultEntry);
    slot.worker = worker;
    worker.on('message', (message: Answer) => this.answer(slot, worker, message));
    worker.on('error', () => void this.fail(slot, worker, 'failed'));
    worker.on('exit', () => void this.fail(slot, worker, 'stopped'));
    // After the listeners (a 'message' listener refs the port again): an idle worker keeps no process alive.
    worker.unref();
    this.options.onWorkerStart?.(worker);
    return worker;
  }

  private answer(slot: Slot, worker: Worker, message: Answer): void {
    if (slot.worker !== worker) return;
    if ('ready' in message) {
      slot.ready = true;
      if (this.slots.every((each) => each.ready)) for (const resolve of this.readyWaiters.splice(0)) resolve();
      this.dispatch();
      return;
    }
    const batch = slot.batch;
    if (batch === undefined || batch.id !== message.id) return;
    slot.batch = undefined;
    clearTimeout(batch.timer);
    worker.unref();
    batch.checks.forEach((pending, i) => {
      const result = message.results[i];
      if (result === undefined) pending.reject(unavailable('the signature check worker gave no answer'));
      else pending.resolve(result);
    });
    this.dispatch();
  }

  private send(slot: Slot, worker: Worker, checks: readonly Pending[]): void {
    const id = this.nextBatchId++;
    const timeoutMs = this.batchTimeoutMs;
    const timer = setTimeout(() => void this.fail(slot, worker, `no answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    slot.batch = { id, checks, timer };
    // Referenced while it owes answers, so a process waiting only on a check does not exit under it.
    worker.ref();
    worker.postMessage({ id, requests: checks.map((pending) => pending.request) });
  }

  private checkHere(pending: Pending): void {
    try {
      pending.resolve(checkInstructionSignature(pending.request));
    } catch {
      pending.reject(unavailable('the signature check failed on the event loop'));
    }
  }

  /**
   * Shares the queue among the idle ready workers, at most checksPerMessageMax to each. While no worker is
   * ready (starting, or replacing one that failed) the checks run here, as with no pool, instead of waiting.
   */
  private dispatch(): void {
    if (this.queue.length === 0 || this.closed) return;
    for (const slot of this.slots) if (slot.worker === undefined) this.start(slot);
    const ready = this.slots.filter((slot) => slot.ready);
    if (ready.length === 0) {
      for (const pending of this.queue.splice(0)) this.checkHere(pending);
      return;
    }
    const idle = ready.filter((slot) => slot.batch === undefined);
    idle.forEach((slot, i) => {
      const evenShare = Math.ceil(this.queue.length / (idle.length - i));
      const share = Math.min(this.checksPerMessageMax, evenShare);
      if (share > 0 && slot.worker !== undefined) this.send(slot, slot.worker, this.queue.splice(0, share));
    });
  }
}
