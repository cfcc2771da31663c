// What every route is given: the app's capabilities, built once per process by the composition root
// (src/wiring/app.ts) and handed to src/http/app.ts. Routes reach everything through it.
import type { OperatorAccess } from '../access/index.ts';
import type { CasesContext } from '../cases/index.ts';
import { payeeScreeningOf, type Sanctions } from '../sanctions/index.ts';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Identity } from '../identity/index.ts';
import type { Ledger } from '../ledger/index.ts';
import {
  paymentSettingsOf, type PaymentIdentity, type PaymentsContext, type SignatureChecks,
} from '../payments/index.ts';
import type { Providers } from '../providers/index.ts';
import type { RiskEngine } from '../risk/index.ts';
import type { LatencyRecorder, ReportSection } from '../reports/index.ts';
import type { Store } from '../store/index.ts';
import type { SupportContext } from '../support/index.ts';
import type { ClearingContext } from '../clearing/index.ts';
import type { Metrics } from './metrics.ts';

export interface AppContext {
  readonly config: Config;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly metrics: Metrics;
  readonly clock: () => number;
  /** The app's one keyring (KEK-wrapped data keys; key events audited), shared by every capability. */
  readonly keyring: Keyring;
  readonly access: OperatorAccess;
  /** Customer identity and authentication (src/identity). */
  readonly identity: Identity;
  /** Payments' view of identity (customers, devices, sessions, step-up), answered by `identity`. */
  readonly paymentIdentity: PaymentIdentity;
  /** SMS gateway and identity provider adapters (src/providers); the outbox dispatcher takes their handlers. */
  readonly providers: Providers;
  /** The risk engine: the approved rule set, hot-reloaded (src/risk). */
  readonly risk: RiskEngine;
  /** The shared case system (src/cases) with every capability's case kinds. */
  readonly cases: CasesContext;
  /** Sanctions screening (src/sanctions): the lists in force in this process and the thresholds. */
  readonly sanctions: Sanctions;
  /** Customer service (src/support): complaints, claims, disputes. */
  readonly support: SupportContext;
  /** Clearing and reconciliation (src/clearing, src/reconciliation; docs/banks.md). */
  readonly clearing: ClearingContext;
  /** Request latency counted for the operational reports (src/reports), flushed to the store by serve(). */
  readonly latency: LatencyRecorder;
  /** The operational report's sections, capability-owned ones plugged in at wiring (src/wiring/report-sections.ts). */
  readonly reportSections: readonly ReportSection[];
  /** The signature-check worker pool (ANFU_VERIFY_WORKERS > 0), ended when the app closes. */
  readonly signatureChecks?: SignatureChecks | undefined;
}

/** What every payments use case is given, from the app's context. */
export function paymentsContextOf(context: AppContext): PaymentsContext {
  const { store, ledger, paymentIdentity: identity, clock } = context;
  const screenPayee = payeeScreeningOf(context.sanctions);
  const settings = paymentSettingsOf(context.config);
  const { risk: riskEngine, signatureChecks } = context;
  return { store, ledger, identity, settings, clock, riskEngine, screenPayee, signatureChecks };
}
