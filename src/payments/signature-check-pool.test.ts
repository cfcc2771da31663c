// The signature-check pool (ANFU_VERIFY_WORKERS): the same verdicts and refusal codes as the check on the
// event loop for every kind of instruction a device or an attacker can send, in both crypto profiles; a
// worker that crashes, stalls or is ended fails its checks with a 503-class error, never a refusal that
// blames the customer, and never leaves a check waiting; checks that queue up travel together.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { AnfuError } from '../errors.ts';
import { createSignatureCheckPool, type SignatureChecks } from './signature-check-pool.ts';
import { createTestIdentity, instructionFor, signInstruction, type TestCustomer } from './testing.ts';
import { verifyInstruction, verifyInstructionWith, type InstructionContext } from './verify-instruction.ts';

const windowMs = 300_000;
const modes = [
  'valid', 'tampered', 'foreign_key', 'stale', 'future', 'wrong_device', 'other_customer', 'revoked',
  'expired_certificate',
  'wrong_ca', 'certificate_names_another', 'no_certificate', 'garbage_certificate', 'malformed_body', 'extra_field',
  'garbage_signature', 'random_signature', 'empty_signature',
] as const;
type Mode = (typeof modes)[number];

interface Fixture {
  readonly profile: 'intl' | 'gm';
  readonly caPem: string;
  readonly customers: readonly TestCustomer[];
  readonly expired: TestCustomer;
  readonly stranger: TestCustomer;
}

async function fixture(profile: 'intl' | 'gm'): Promise<Fixture> {
  const identity = await createTestIdentity(profile);
  const customers: TestCustomer[] = [];
  for (let i = 0; i < 3; i += 1) customers.push(await identity.addCustomer());
  const expired = await identity.addCustomer({ certificateValidMs: -60_000 });
  const stranger = await (await createTestIdentity(profile)).addCustomer();
  return { profile, caPem: await identity.deviceCaCertificatePem(), customers, expired, stranger };
}

const garbageCertificate = '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n';

interface Case {
  readonly body: unknown;
  readonly signature: string;
  readonly context: InstructionContext;
}

/** One request of the given kind, from customer `index`, for `cents`, at `now`. */
function caseOf(f: Fixture, mode: Mode, index: number, cents: number, now: number): Case {
  const payer = mode === 'expired_certificate' ? f.expired : mode === 'wrong_ca' ? f.stranger : f.customers[index % 3]!;
  const payee = f.customers[(index + 1) % 3]!;
  const signedAt = mode === 'stale' ? now - windowMs - 1 : mode === 'future' ? now + windowMs + 1 : now;
  const fields = { kind: 'transfer', target: payee.customer.id, amount: (cents / 100).toFixed(2) } as const;
  const instruction = instructionFor(payer, fields, signedAt);
  const signer = mode === 'foreign_key' ? payee : payer;
  const signed = mode === 'tampered' ? { ...instruction, amount: `${instruction.amount}1` } : instruction;
  let signature = signInstruction(f.profile, signer, signed);
  if (mode === 'garbage_signature') signature = `!${signature.slice(1)}`;
  if (mode === 'random_signature') signature = Buffer.from(signature, 'base64').reverse().toString('base64');
  if (mode === 'empty_signature') signature = '';
  let device = payer.device;
  if (mode === 'wrong_device') device = payee.device;
  if (mode === 'other_customer') device = { ...payer.device, customerId: payee.customer.id };
  if (mode === 'revoked') device = { ...payer.device, status: 'revoked' };
  if (mode === 'certificate_names_another') device = { ...payer.device, certificatePem: payee.device.certificatePem };
  if (mode === 'no_certificate') device = { ...payer.device, certificatePem: null };
  if (mode === 'garbage_certificate') device = { ...payer.device, certificatePem: garbageCertificate };
  let body: unknown = instruction;
  if (mode === 'malformed_body') body = [instruction];
  if (mode === 'extra_field') body = { ...instruction, admin: true };
  const context = { profile: f.profile, timestampWindowMs: windowMs, now, device, caCertificatePem: f.caPem };
  return { body, signature, context };
}

const expectedCode: Record<Mode, string> = {
  valid: 'ok', tampered: 'signature_invalid', foreign_key: 'signature_invalid',
  stale: 'instruction_stale', future: 'instruction_stale',
  wrong_device: 'device_certificate_invalid', other_customer: 'device_certificate_invalid', revoked: 'device_revoked',
  expired_certificate: 'certificate_expired', wrong_ca: 'device_certificate_invalid',
  certificate_names_another: 'device_certificate_invalid', no_certificate: 'device_certificate_invalid',
  garbage_certificate: 'device_certificate_invalid', malformed_body: 'instruction_invalid',
  extra_field: 'instruction_invalid', garbage_signature: 'signature_invalid', random_signature: 'signature_invalid',
  empty_signature: 'signature_invalid',
};

const pools: SignatureChecks[] = [];
after(async () => { await Promise.all(pools.map((pool) => pool.close())); });

function pool(options: Parameters<typeof createSignatureCheckPool>[0]): SignatureChecks {
  const created = createSignatureCheckPool(options);
  pools.push(created);
  return created;
}

/** A pool whose workers have all said they are ready (before that, checks run on this thread). */
async function readyPool(options: Parameters<typeof createSignatureCheckPool>[0]): Promise<SignatureChecks> {
  const created = pool(options);
  // Idle workers keep no process alive: something must, while the test waits for them.
  const keepAlive = setInterval(() => undefined, 1000);
  await created.ready();
  clearInterval(keepAlive);
  return created;
}

/** A worker module given as source (one that crashes or stalls). */
function workerOf(source: string, ready = true): URL {
  const announce = ready ? 'parentPort.postMessage({ ready: true });' : '';
  const module = `import { parentPort } from 'node:worker_threads'; ${source} ${announce}`;
  return new URL(`data:text/javascript,${encodeURIComponent(module)}`);
}

const isUnavailable = (error: unknown) => error instanceof AnfuError && error.code === 'signature_check_unavailable';

for (const profile of ['intl', 'gm'] as const) {
  describe(`the pool decides as the event loop (${profile})`, async () => {
    const f = await fixture(profile);
    const two = await readyPool({ workers: 2 });

    test('every kind of request: the same verdict and refusal code, and the one expected', async () => {
      const now = Date.now();
      for (const mode of modes) {
        const c = caseOf(f, mode, 0, 1234, now);
        const inline = verifyInstruction(c.body, c.signature, c.context);
        const pooled = await verifyInstructionWith(two, c.body, c.signature, c.context);
        assert.deepEqual(pooled, inline, mode);
        assert.equal(pooled.ok ? 'ok' : pooled.code, expectedCode[mode], mode);
      }
    });

    test('property: many requests at once, in any mix, get exactly the inline verdicts', async () => {
      const now = Date.now();
      const cents = fc.integer({ min: 1, max: 999_999 });
      const request = fc.record({ mode: fc.constantFrom(...modes), index: fc.nat(2), cents });
      await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 40 }), async (requests) => {
        const cases = requests.map((r) => caseOf(f, r.mode, r.index, r.cents, now));
        const pooled = await Promise.all(cases.map((c) => verifyInstructionWith(two, c.body, c.signature, c.context)));
        cases.forEach((c, i) => assert.deepEqual(pooled[i], verifyInstruction(c.body, c.signature, c.context)));
      }), { numRuns: profile === 'gm' ? 8 : 25 });
    });
  });
}

describe('a worker that fails', async () => {
  const f = await fixture('intl');
  const valid = () => caseOf(f, 'valid', 0, 100, Date.now());

  test('a crashing worker fails its check as signature_check_unavailable, and starts again for the next', async () => {
    let started = 0;
    const crashing = await readyPool({
      workers: 1, onWorkerStart: () => { started += 1; },
      workerEntry: workerOf("parentPort.on('message', () => { throw new Error('boom'); });"),
    });
    const c = valid();
    await assert.rejects(verifyInstructionWith(crashing, c.body, c.signature, c.context), isUnavailable);
    // The next check starts a new worker and, until it is ready, is answered on this thread.
    const next = await verifyInstructionWith(crashing, c.body, c.signature, c.context);
    assert.deepEqual(next, verifyInstruction(c.body, c.signature, c.context));
    assert.equal(next.ok, true);
    assert.equal(started, 2);
  });

  test('a stalled worker: its checks fail after the batch timeout instead of waiting forever', async () => {
    const stalled = await readyPool({
      workers: 1, batchTimeoutMs: 300,
      workerEntry: workerOf("parentPort.on('message', () => {});"),
    });
    const c = valid();
    const began = Date.now();
    const checks = [1, 2, 3].map(() => verifyInstructionWith(stalled, c.body, c.signature, c.context));
    await assert.rejects(Promise.all(checks), isUnavailable);
    assert.ok(Date.now() - began < 5_000);
  });

  test('a worker ended under load: its checks fail as unavailable or answer right; a new worker answers', async () => {
    const workers: Worker[] = [];
    const killed = await readyPool({ workers: 1, onWorkerStart: (worker) => workers.push(worker) });
    const c = valid();
    const expected = verifyInstruction(c.body, c.signature, c.context);
    const pending = Array.from({ length: 50 }, () => verifyInstructionWith(killed, c.body, c.signature, c.context));
    await new Promise((resolve) => setImmediate(resolve));
    await workers[0]!.terminate();
    const outcomes = await Promise.allSettled(pending);
    assert.ok(outcomes.some((o) => o.status === 'rejected'), 'the ended worker owed answers');
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') assert.deepEqual(outcome.value, expected);
      else assert.ok(isUnavailable(outcome.reason));
    }
    assert.deepEqual(await verifyInstructionWith(killed, c.body, c.signature, c.context), expected);
    assert.equal(workers.length, 2);
  });

  test('close ends the workers; later checks fail as unavailable', async () => {
    const workers: Worker[] = [];
    const closing = createSignatureCheckPool({ workers: 2, onWorkerStart: (worker) => workers.push(worker) });
    const c = valid();
    assert.equal((await verifyInstructionWith(closing, c.body, c.signature, c.context)).ok, true);
    const exits = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    await closing.close();
    await Promise.all(exits);
    await assert.rejects(verifyInstructionWith(closing, c.body, c.signature, c.context), isUnavailable);
  });
});

test('until a worker is ready the checks run on this thread, with the same verdicts, instead of waiting', async () => {
  const f = await fixture('intl');
  const neverReady = pool({ workers: 2, workerEntry: workerOf("parentPort.on('message', () => {});", false) });
  const now = Date.now();
  for (const mode of ['valid', 'tampered', 'expired_certificate'] as const) {
    const c = caseOf(f, mode, 0, 100, now);
    const pooled = await verifyInstructionWith(neverReady, c.body, c.signature, c.context);
    assert.deepEqual(pooled, verifyInstruction(c.body, c.signature, c.context), mode);
  }
});

test('checks that arrive together travel in few messages', async () => {
  const f = await fixture('intl');
  let messages = 0;
  const counted = await readyPool({
    workers: 1, checksPerMessageMax: 64,
    onWorkerStart: (worker) => {
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (value: unknown) => { messages += 1; post(value); };
    },
  });
  const now = Date.now();
  const cases = Array.from({ length: 200 }, (_, i) => caseOf(f, 'valid', i, 100 + i, now));
  const verdicts = await Promise.all(cases.map((c) => verifyInstructionWith(counted, c.body, c.signature, c.context)));
  assert.ok(verdicts.every((v) => v.ok));
  assert.ok(messages >= 4 && messages <= 8, `200 checks in ${messages} messages (64 at most in each)`);
});
