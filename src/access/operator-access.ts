// The operator-access services one app instance uses: authentication of bearer credentials
// (sessions and API tokens), the maker–checker registry with its executors, the security-alert
// outbox and the API error-rate signal. Built once from the configuration.
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import { audit, type Actor, type AuditLine } from './actor.ts';
import { authenticateApiToken, type Principal } from './api-tokens.ts';
import { ProposalRegistry, sweepProposals, type ApprovalsContext } from './approvals.ts';
import { ErrorRateMonitor } from './error-rate.ts';
import type { LoginPolicy } from './log-in-operator.ts';
import { SecurityAlerts } from './security-alerts.ts';
import { raiseSecurityEvent } from './security-events.ts';
import { authenticateSession, sessionTokenPattern, type SessionPolicy } from './sessions.ts';
import { securityEventCounts } from './store.ts';
import { totpSecretsWith, type TotpSecrets } from './totp-secrets.ts';

const stuffingWindowMs = 10 * 60_000;
const alertSweepMs = 10_000;
const proposalSweepMs = 60_000;

export interface OperatorAccess {
  readonly approvals: ApprovalsContext;
  readonly registry: ProposalRegistry;
  readonly alerts: SecurityAlerts;
  readonly loginPolicy: LoginPolicy;
  readonly sessionPolicy: SessionPolicy;
  /** Operators' TOTP secrets, sealed with the app's keyring. */
  readonly totpSecrets: TotpSecrets;
  authenticate(token: string): Promise<Principal | undefined>;
  /** Audits a refused attempt in its own transaction (the refusal itself changes nothing else). */
  auditRefusal(actor: Actor, line: AuditLine): Promise<void>;
  /** Feeds the error-rate signal; raises an `api_error_rate` event when it trips. */
  recordResponse(status: number): Promise<void>;
  securityEventCounts(): Promise<{ type: string; severity: string; count: number }[]>;
  close(): void;
}

export function createOperatorAccess(options: { config: Config; store: Store; keyring: Keyring; clock: () => number; onError?: (error: unknown) => void }): OperatorAccess {
  const { config, store, clock } = options;
  // What approvals execute is registered by the composition root (src/wiring/proposal-executors.ts).
  const registry = new ProposalRegistry();
  const alerts = new SecurityAlerts({ store, webhookUrl: config.securityWebhookUrl, clock, ...(options.onError === undefined ? {} : { onError: options.onError }) });
  alerts.start(alertSweepMs);
  const errorRate = new ErrorRateMonitor({ windowMs: config.apiErrorWindowMs, errorsMax: config.apiErrorsMax });
  const sessionPolicy: SessionPolicy = { idleMs: config.operatorSessionIdleMs, absoluteMs: config.operatorSessionAbsoluteMs };
  const approvals: ApprovalsContext = { store, registry, ttlMs: config.proposalTtlMs };
  // Expire stale proposals and finish approvals a crash interrupted (both are also handled lazily).
  const sweep = setInterval(() => sweepProposals(approvals, clock).catch((error: unknown) => options.onError?.(error)), proposalSweepMs);
  sweep.unref();
  return {
    approvals,
    registry,
    alerts,
    loginPolicy: { loginFailuresMax: config.operatorLoginFailuresMax, lockoutMs: config.operatorLockoutMs, stuffingAccountsMax: config.credentialStuffingAccountsMax, stuffingWindowMs },
    sessionPolicy,
    totpSecrets: totpSecretsWith(options.keyring),
    authenticate: (token) => (sessionTokenPattern.test(token) ? authenticateSession(store, token, sessionPolicy, clock()) : authenticateApiToken(store, token)),
    auditRefusal: (actor, line) => store.transaction((tx) => audit(tx, actor, [line], clock())),
    async recordResponse(status) {
      const now = clock();
      const errors = errorRate.record(status, now);
      if (errors === undefined) return;
      await store.transaction((tx) => raiseSecurityEvent(tx, { type: 'api_error_rate', details: { errors, windowMs: config.apiErrorWindowMs } }, now));
      alerts.kick();
    },
    securityEventCounts: () => securityEventCounts(store),
    close: () => {
      clearInterval(sweep);
      alerts.stop();
    },
  };
}
