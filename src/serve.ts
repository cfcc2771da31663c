// Starting the server: open and migrate the store, find TLS material (configured, or a development
// certificate made on first start), create the first operator token if there is none, listen, and
// shut down cleanly on SIGTERM/SIGINT with every queued transfer committed first.
import { issueApiToken, countApiTokens, reportAuditVerificationFailure } from './access/index.ts';
import { AuditIntegrityError, fileAuditSigner, startCheckpointer } from './audit/index.ts';
import type { Config } from './config.ts';
import { describeDemo, seedDemo } from './commands/demo.ts';
import type { AppContext } from './http/context.ts';
import { createMetrics } from './http/metrics.ts';
import { developmentCertificate, loadTlsFiles, type TlsMaterial } from './http/tls.ts';
import { clientCaFor } from './http/platform-ca.ts';
import { loadKek, sealMarkedPlaintext } from './crypto/index.ts';
import { Ledger } from './ledger/index.ts';
import { outboxDispatcherFor } from './events/index.ts';
import { openPlatformKeyring } from './wiring/platform-keyring.ts';
import { composeApp } from './wiring/app.ts';
import { provideCardFundingFrom } from './wiring/card-funding.ts';
import { sealPlaintextTotpSecrets } from './access/index.ts';
import { paymentSweepIntervalMs, sweepPayments } from './wiring/payment-schedules.ts';
import { migrate, openStore } from './store/index.ts';
import type { PaymentIdentity } from './payments/index.ts';

const holdSweepIntervalMs = 5_000;

async function tlsFor(config: Config): Promise<TlsMaterial | undefined> {
  if (config.insecureHttp) return undefined;
  const clientCa = await clientCaFor(config);
  if (config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined) return { ...loadTlsFiles(config.tlsCertFile, config.tlsKeyFile), clientCa };
  if (config.environment === 'production') throw new Error('production needs ANFU_TLS_CERT_FILE and ANFU_TLS_KEY_FILE');
  return { ...(await developmentCertificate(config.dataDir)), clientCa };
}

export interface Running {
  readonly url: string;
  /** The app's capabilities (the demo seed and tests use them without going through HTTP). */
  readonly context: AppContext;
  close(): Promise<void>;
}

export async function serve(config: Config, options: { demo: boolean; quiet?: boolean; paymentIdentity?: PaymentIdentity }): Promise<Running> {
  const say = options.quiet === true ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
  // The KEK is checked before anything opens: a missing or weak one stops start-up (outside development).
  const kek = loadKek(config);
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: config.databasePoolSize, backgroundCheckpoint: true });
  const migrations = await migrate(store);
  // The one keyring of this process: every capability seals and indexes through it; key events are audited.
  const keyring = await openPlatformKeyring({ store, config, kek });
  // Secrets written in plain before their columns were sealed are sealed now (idempotent).
  const sealedAtStart = (await sealMarkedPlaintext(keyring, ['webhook-secret'])) + (await sealPlaintextTotpSecrets(store, keyring));
  const metrics = createMetrics();
  const ledger = new Ledger({
    store,
    transferBatchMax: config.transferBatchMax,
    onBatch: (size, ms) => {
      metrics.ledgerBatchSize.observe(size);
      metrics.ledgerBatchSeconds.observe(ms / 1000);
    },
  });
  const tls = await tlsFor(config);
  const app = await composeApp({ config, store, ledger, keyring, metrics, tls, paymentIdentity: options.paymentIdentity });
  const firstToken = (await countApiTokens(store)) === 0 ? await issueApiToken(store, { name: 'first administrator', role: 'administrator' }, Date.now()) : undefined;
  await app.ready();
  const demo = options.demo ? await seedDemo(app.context) : undefined;
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `${tls === undefined ? 'http' : 'https'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const sweep = setInterval(() => {
    ledger.expireHolds().catch((error: unknown) => app.log.error({ err: error }, 'hold expiry sweep failed'));
  }, holdSweepIntervalMs);
  sweep.unref();
  // Webhooks and other outbox messages go out after their transactions commit; each process runs one.
  const outbox = outboxDispatcherFor(config, store, keyring, { onError: (error) => app.log.error({ err: error }, 'outbox dispatcher failed') });
  outbox.start();
  // Payments: the card link (when configured) and the sweep of stuck payments, top-ups and withdrawals.
  const cardLink = provideCardFundingFrom(config, store, keyring);
  const paymentSweep = setInterval(() => {
    void sweepPayments(config, store, ledger, app.context.paymentIdentity, (error) => app.log.error({ err: error }, 'payment sweep failed'));
  }, paymentSweepIntervalMs);
  paymentSweep.unref();
  // Audit checkpoints: the log's Merkle root is signed whenever the log has grown. Altered entries make
  // the checkpointer refuse to sign: that is a critical security event (raised once per entry named).
  let reportedSeq: bigint | undefined;
  const checkpointer = startCheckpointer(store, fileAuditSigner(config.dataDir, config.cryptoProfile), {
    intervalMs: config.auditCheckpointIntervalMs,
    onError: (error) => {
      app.log.error({ err: error }, 'audit checkpoint failed');
      if (!(error instanceof AuditIntegrityError) || error.seq === reportedSeq) return;
      reportedSeq = error.seq;
      reportAuditVerificationFailure(store, { reason: error.message, entry: error.seq }, Date.now()).catch((e: unknown) => app.log.error({ err: e }, 'audit security event failed'));
    },
  });

  say(`Anfu is serving on ${url}  (store: ${store.description}; schema: ${migrations.applied.length > 0 ? `applied ${migrations.applied.join(', ')}` : 'current'})`);
  if (tls !== undefined) say(`TLS certificate: ${tls.source}`);
  if (tls?.clientCa !== undefined) say(`Mutual TLS:      client certificates requested (CA ${config.mtlsCaFile ?? ''})`);
  say(`Key-encryption key: ${kek.source} (id ${kek.id})${sealedAtStart > 0 ? `; sealed ${sealedAtStart} secrets stored in plain` : ''}`);
  say(`OpenAPI docs:    ${url}/docs   (JSON: ${url}/docs/json)`);
  say(`Health:          ${url}/health  ${url}/ready  ${url}/metrics`);
  if (firstToken !== undefined) say(`\nOperator API token created for the first administrator (shown once; store it safely):\n  ${firstToken.token}\nTry: curl -k -H "Authorization: Bearer ${firstToken.token}" ${url}/v1/accounts`);
  if (demo !== undefined) say(describeDemo(demo));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sweep);
      clearInterval(paymentSweep);
      cardLink?.close();
      await outbox.stop();
      await checkpointer.stop();
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
