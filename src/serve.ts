// Starting the server: open and migrate the store, find TLS material (configured, or a development
// certificate made on first start), listen, and shut down cleanly on SIGTERM/SIGINT with every queued
// transfer committed first. Start-up mints no operator credential: operators are bootstrapped with
// `anfu operators create-admin` (docs/OPERATIONS.md); only the development demo prints a demo token.
import { reportAuditVerificationFailure } from './access/index.ts';
import { AuditIntegrityError, keyringAuditSigner, startCheckpointer } from './audit/index.ts';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.ts';
import { describeDemo, seedDemo } from './commands/demo.ts';
import type { AppContext } from './http/context.ts';
import { createMetrics } from './http/metrics.ts';
import { developmentCertificate, loadTlsFiles, type TlsMaterial } from './http/tls.ts';
import { clientCaFor } from './http/platform-ca.ts';
import { loadKek, loadPreviousKek, sealMarkedPlaintext } from './crypto/index.ts';
import { Ledger } from './ledger/index.ts';
import { outboxDispatcherFor } from './events/index.ts';
import { openPlatformKeyring } from './wiring/platform-keyring.ts';
import { composeApp } from './wiring/app.ts';
import { provideCardFundingFrom } from './wiring/card-funding.ts';
import { sealPlaintextTotpSecrets } from './access/index.ts';
import { sweepCounters } from './throttle/index.ts';
import { paymentSweepIntervalMs, sweepPayments } from './wiring/payment-schedules.ts';
import { complianceLeases, startComplianceSchedule } from './wiring/compliance-schedule.ts';
import { clearingLeases, startClearingSchedule } from './wiring/clearing-schedule.ts';
import {
  acquireLease, migrate, openStore, releaseLease, runUnderLease, startDurabilityMonitor, type DurabilityMonitor,
  type Store,
} from './store/index.ts';
import type { PaymentIdentity } from './payments/index.ts';
import { smsSweepIntervalMs, sweepStaleSmsMessages } from './providers/index.ts';
import { startOperationsSchedules } from './wiring/operations-schedules.ts';

const holdSweepIntervalMs = 5_000;
/** Singletons (outbox dispatcher, audit checkpointer) move to another process this long after their holder stops
 * renewing. */
const singletonLeaseMs = 15_000;

async function tlsFor(config: Config): Promise<TlsMaterial | undefined> {
  if (config.insecureHttp) return undefined;
  const clientCa = await clientCaFor(config);
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) return { ...loadTlsFiles(config.tlsCertFile, config.tlsKeyFile), clientCa };
  if (config.environment === 'production') throw new Error('production needs ANFU_TLS_CERT_FILE and ANFU_TLS_KEY_FILE');
  return { ...(await developmentCertificate(config.dataDir)), clientCa };
}

/**
 * On PostgreSQL, a once-a-second look at whether the write address can make writes durable; the
 * ledger refuses batches while it cannot, and each change is logged with its reason.
 */
function durabilityMonitorFor(config: Config, store: Store): DurabilityMonitor | undefined {
  if (store.dialect !== 'postgres') return undefined;
  return startDurabilityMonitor(store, {
    requireSyncStandby: config.databaseRequireSyncStandby,
    intervalMs: 1_000,
    onChange: (refusal) => {
      const msg = refusal === undefined ? 'database: writes durable again' : `database: refusing writes: ${refusal}`;
      const level = refusal === undefined ? 30 : 40;
      process.stderr.write(`${JSON.stringify({ level, time: Date.now(), msg })}\n`);
    },
  });
}

export interface Running {
  readonly url: string;
  /** The app's capabilities (the demo seed and tests use them without going through HTTP). */
  readonly context: AppContext;
  close(): Promise<void>;
}

export async function serve(config: Config, options: { demo: boolean; quiet?: boolean; paymentIdentity?: PaymentIdentity; say?: (line: string) => void }): Promise<Running> {
  const say = options.quiet === true ? () => undefined : (options.say ?? ((line: string) => process.stdout.write(`${line}\n`)));
  // The KEK is checked before anything opens: a missing or weak one stops start-up (outside development).
  const kek = loadKek(config);
  const store = openStore({
    databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: config.databasePoolSize, backgroundCheckpoint: true,
    sqliteWriter: config.sqliteWriter,
  });
  const migrations = await migrate(store);
  // The one keyring of this process: every capability seals and indexes through it; key events are audited.
  // During a KEK rotation (docs/OPERATIONS.md) the previous KEK is named too, for the keys it still wraps.
  const keyring = await openPlatformKeyring({ store, config, kek, previousKek: loadPreviousKek(config) });
  // Secrets written in plain before their columns were sealed are sealed now (idempotent).
  const sealedAtStart = (await sealMarkedPlaintext(keyring, ['webhook-secret'])) + (await sealPlaintextTotpSecrets(store, keyring));
  // The audit signing key is sealed in the keyring too; a plain PEM from an earlier version is adopted and deleted.
  const auditSigner = await keyringAuditSigner(keyring, { dataDir: config.dataDir, profile: config.cryptoProfile });
  const metrics = createMetrics();
  const durability = durabilityMonitorFor(config, store);
  const ledger = new Ledger({
    store,
    transferBatchMax: config.transferBatchMax,
    failoverWaitMs: config.databaseFailoverWaitMs,
    ...(durability === undefined ? {} : { writeRefusal: () => durability.refusal() }),
    onBatch: (size, ms) => {
      metrics.ledgerBatchSize.observe(size);
      metrics.ledgerBatchSeconds.observe(ms / 1000);
    },
  });
  const tls = await tlsFor(config);
  const app = await composeApp({ config, store, ledger, keyring, metrics, tls, paymentIdentity: options.paymentIdentity });
  await app.ready();
  const demo = options.demo ? await seedDemo(app.context) : undefined;
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `${tls === undefined ? 'http' : 'https'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  // Sweeps run in one process of the cluster at a time: the one holding the job's lease.
  const leaseHolder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const leased = (name: string, intervalMs: number, work: () => Promise<unknown>) => async () => {
    if (!(await acquireLease(store, { name, holder: leaseHolder, ttlMs: intervalMs * 3, now: Date.now() }))) return;
    await work();
  };
  const sweepHolds = leased('sweep:holds', holdSweepIntervalMs, () => ledger.expireHolds());
  const sweep = setInterval(() => {
    sweepHolds().catch((error: unknown) => app.log.error({ err: error }, 'hold expiry sweep failed'));
    // Ended rate windows (src/throttle); a small batch per tick keeps each delete short.
    store.transaction((tx) => sweepCounters(tx, Date.now())).catch((error: unknown) => app.log.error({ err: error }, 'rate counter sweep failed'));
  }, holdSweepIntervalMs);
  sweep.unref();
  // Webhooks and other outbox messages go out after their transactions commit, from one process of the
  // cluster at a time (the lease holder), so per-endpoint limits hold for the cluster; messages are
  // claimed one by one as well, so a holder that froze and lost the lease never sends one twice.
  const outbox = outboxDispatcherFor(config, store, keyring, {
    handlers: app.context.providers.outboxHandlers,
    onError: (error) => app.log.error({ err: error }, 'outbox dispatcher failed'),
  });
  const outboxLease = runUnderLease(store, {
    name: 'outbox:dispatch', holder: leaseHolder, ttlMs: singletonLeaseMs,
    start: () => outbox.start(), stop: () => outbox.stop(),
    onError: (error) => app.log.error({ err: error }, 'outbox lease failed'),
  });
  // Payments: the card link (when configured) and the sweep of stuck payments, top-ups and withdrawals.
  const cardLink = provideCardFundingFrom(config, store, keyring, app.context.clock);
  const onPaymentSweepError = (error: unknown) => app.log.error({ err: error }, 'payment sweep failed');
  const sweepPaymentsNow = () => sweepPayments(config, store, ledger, app.context.paymentIdentity, onPaymentSweepError);
  const sweepPaymentsLeased = leased('sweep:payments', paymentSweepIntervalMs, sweepPaymentsNow);
  const paymentSweep = setInterval(() => {
    sweepPaymentsLeased().catch(onPaymentSweepError);
  }, paymentSweepIntervalMs);
  paymentSweep.unref();
  // SMS the outbox gave up on are ended after their deadline, which erases their sealed number and text.
  const smsSweep = setInterval(() => {
    const failed = (error: unknown) => app.log.error({ err: error }, 'SMS sweep failed');
    sweepStaleSmsMessages(store, Date.now()).catch(failed);
  }, smsSweepIntervalMs);
  smsSweep.unref();
  // AML monitors and the daily large-value report (src/aml), each under its own lease.
  const onAmlError = (error: unknown) => app.log.error({ err: error }, 'AML schedule failed');
  const compliance = startComplianceSchedule(config, app.context, leased, onAmlError);
  // Clearing runs (when ANFU_CLEARING_RUN_INTERVAL_MS > 0) and approved break corrections (docs/banks.md).
  const onClearingError = (error: unknown) => app.log.error({ err: error }, 'clearing schedule failed');
  const clearingJobs = startClearingSchedule(config, app.context, leased, onClearingError);
  // Audit checkpoints: the log's Merkle root is signed whenever the log has grown. Altered entries make
  // the checkpointer refuse to sign: that is a critical security event (raised once per entry named).
  let reportedSeq: bigint | undefined;
  const startAuditCheckpointer = () => startCheckpointer(store, auditSigner, {
    intervalMs: config.auditCheckpointIntervalMs,
    onError: (error) => {
      app.log.error({ err: error }, 'audit checkpoint failed');
      if (!(error instanceof AuditIntegrityError) || error.seq === reportedSeq) return;
      reportedSeq = error.seq;
      reportAuditVerificationFailure(store, { reason: error.message, entry: error.seq }, Date.now()).catch((e: unknown) => app.log.error({ err: e }, 'audit security event failed'));
    },
  });
  // One signer of checkpoints in the cluster: the lease holder.
  let checkpointer: ReturnType<typeof startCheckpointer> | undefined;
  const checkpointLease = runUnderLease(store, {
    name: 'audit:checkpoint', holder: leaseHolder, ttlMs: singletonLeaseMs,
    start: () => { checkpointer = startAuditCheckpointer(); },
    stop: async () => { await checkpointer?.stop(); checkpointer = undefined; },
    onError: (error) => app.log.error({ err: error }, 'audit checkpoint lease failed'),
  });

  // Operations (issue 14): latency for the reports; scheduled backups under the backup lease.
  const operations = startOperationsSchedules({
    config, store, kek, latency: app.context.latency, node: leaseHolder,
    auditPublicKeyPem: async () => auditSigner.publicKeyPem,
    onError: (what, error) => app.log.error({ err: error }, `${what} failed`),
  });

  say(`Anfu is serving on ${url}  (store: ${store.description}; schema: ${migrations.applied.length > 0 ? `applied ${migrations.applied.join(', ')}` : 'current'})`);
  if (tls !== undefined) say(`TLS certificate: ${tls.source}`);
  if (tls?.clientCa !== undefined) say(`Mutual TLS:      client certificates requested (CA ${config.mtlsCaFile ?? ''})`);
  say(`Key-encryption key: ${kek.source} (id ${kek.id})${sealedAtStart > 0 ? `; sealed ${sealedAtStart} secrets stored in plain` : ''}`);
  say(`Wallet:          ${url}/wallet/   Console: ${url}/console/`);
  say(`OpenAPI docs:    ${url}/docs   (JSON: ${url}/docs/json)`);
  say(`Health:          ${url}/health  ${url}/ready  ${url}/metrics`);
  if (demo !== undefined) say(describeDemo(demo));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sweep);
      clearInterval(paymentSweep);
      clearInterval(smsSweep);
      compliance.stop();
      clearingJobs.stop();
      durability?.stop();
      await operations.stop();
      for (const name of ['sweep:holds', 'sweep:payments', ...complianceLeases, ...clearingLeases]) {
        await releaseLease(store, name, leaseHolder).catch(() => undefined);
      }
      cardLink?.close();
      await outboxLease.stop();
      await checkpointLease.stop();
      await app.close();
      await ledger.close();
      await store.close();
    })();
    return closing;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      close().then(() => process.exit(0), () => process.exit(1));
    });
  }
  return { url, context: app.context, close };
}
