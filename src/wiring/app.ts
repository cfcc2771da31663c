// The composition root of one app instance: operator access, customer identity, payments' view of
// identity and the proposal executors are built here from the store, ledger and keyring the caller
// opened (serve, the test harness), then handed to the HTTP edge (src/http/app.ts).
import { createOperatorAccess } from '../access/index.ts';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import { buildApp, type App } from '../http/app.ts';
import type { AppContext } from '../http/context.ts';
import { createMetrics, type Metrics } from '../http/metrics.ts';
import type { TlsMaterial } from '../http/tls.ts';
import { endCustomerSessions, openIdentity, type Identity } from '../identity/index.ts';
import type { Ledger } from '../ledger/index.ts';
import { createSignatureCheckPool, paymentSettingsOf, type PaymentIdentity } from '../payments/index.ts';
import { providersFor, type Providers } from '../providers/index.ts';
import { RiskEngine } from '../risk/index.ts';
import { identityRiskPorts } from './identity-risk.ts';
import { createLatencyRecorder } from '../reports/index.ts';
import type { Store } from '../store/index.ts';
import { withdrawalOutcomeCaseKind } from '../flows/withdrawal-outcome-case.ts';
import { identityForPayments } from './identity-for-payments.ts';
import { registerProposalExecutors } from './proposal-executors.ts';
import { operationsReportSections as reportSections } from './report-sections.ts';
import { riskObserver } from './risk-metrics.ts';
import { caseKindRegistrations, wireCases } from './cases.ts';
import { applicantScreeningOf, sanctionsFor } from './sanctions-screening.ts';
import { registrationRating } from './aml-rating.ts';
import { withPaymentFreezes } from './payment-freezes.ts';
import { supportWiring } from './support.ts';
import { clearingContextFor } from './clearing.ts';
import type { CaseKindRegistration } from '../cases/index.ts';

export interface ComposeAppOptions {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  /** The keyring opened once for this app (serve: after loadKek + migrate; tests: createTestApp). */
  readonly keyring: Keyring;
  readonly metrics?: Metrics;
  readonly tls?: TlsMaterial | undefined;
  readonly clock?: () => number;
  /** Where log lines go (tests capture them); default stdout. */
  readonly logStream?: NodeJS.WritableStream;
  /** Customer identity with its SMS sender and verification sources (tests pass their own). */
  readonly identity?: Identity;
  /** Replaces payments' view of identity (the payments benchmark's pre-made customers); default: `identity`. */
  readonly paymentIdentity?: PaymentIdentity | undefined;
  /** Replaces the providers the configuration sets up (tests). */
  readonly providers?: Providers;
  /** Case kinds added to the app's own (tests of the case system). */
  readonly caseKinds?: readonly CaseKindRegistration[];
}

/** Every capability an app instance uses, built once. */
export async function createAppContext(options: ComposeAppOptions): Promise<AppContext> {
  const { config, store, ledger, keyring } = options;
  const clock = options.clock ?? Date.now;
  const access = createOperatorAccess({ config, store, keyring, clock });
  // Real providers when configured; otherwise identity keeps its development stand-ins (production refuses those).
  const providers = options.providers ?? providersFor({ config, store, keyring, clock });
  const metrics = options.metrics ?? createMetrics();
  const settings = paymentSettingsOf(config);
  const risk = new RiskEngine({
    store, thresholds: settings.risk, currencies: config.currencies,
    pollMs: config.riskPollMs,
    observe: riskObserver(metrics),
  });
  await risk.refresh();
  risk.start();
  const sanctions = sanctionsFor(config, store, clock);
  const identity = options.identity ?? (await openIdentity({
    store, config, clock, keyring, lazy: true, ...identityRiskPorts(risk, store, clock),
    screenApplicant: applicantScreeningOf(sanctions), rateRegistered: registrationRating,
    ...(providers.sms === undefined ? {} : { sms: providers.sms }),
    ...(providers.verifiers === undefined ? {} : { verifiers: providers.verifiers }),
  }));
  const paymentIdentity = withPaymentFreezes(options.paymentIdentity ?? identityForPayments(identity), store);
  metrics.countSecurityEventsFrom(() => access.securityEventCounts());
  const workers = config.verifyWorkers;
  const signatureChecks = workers > 0 ? createSignatureCheckPool({ workers }) : undefined;
  const payments = { store, ledger, identity: paymentIdentity, settings, clock, riskEngine: risk, signatureChecks };
  const clearing = await clearingContextFor({ store, ledger, keyring, config, clock });
  registerProposalExecutors(access.registry, { config, ledger, payments, clearing });
  const service = supportWiring({ store, ledger, keyring, clock, endCustomerSessions });
  const withdrawals = withdrawalOutcomeCaseKind(payments);
  const caseKinds = caseKindRegistrations(clock, payments);
  const kinds = [...caseKinds, ...service.kinds, withdrawals, ...(options.caseKinds ?? [])];
  const cases = wireCases({ config, store, clock, registry: access.registry, metrics, kinds, onClose: service.stop });
  const support = service.complete(cases);
  const latency = createLatencyRecorder();
  const parts = { config, store, ledger, metrics, clock, keyring, access, identity, paymentIdentity, providers };
  return { ...parts, cases, risk, latency, sanctions, support, reportSections, clearing, signatureChecks };
}

/** The app: its capabilities composed, then the HTTP edge over them. */
export async function composeApp(options: ComposeAppOptions): Promise<App> {
  return buildApp(await createAppContext(options), { tls: options.tls, logStream: options.logStream });
}
