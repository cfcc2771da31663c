// The operator-access services one app instance uses: authentication of bearer credentials
// (sessions and API tokens), the maker–checker registry with its executors, the security-alert
// outbox and the API error-rate signal. Built once from the configuration.
import { appendAudit, openRefusalLog, type RefusalLog } from '../audit/index.ts';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import { auditEventOf, type Actor, type AuditLine } from './actor.ts';
import { authenticateApiToken, type Principal } from './api-tokens.ts';
import { ProposalRegistry, sweepProposals, type ApprovalsContext } from './approvals.ts';
import type { EnrolmentPolicy } from './create-operator.ts';
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
/** Sources × kinds of refusal tracked per window; beyond it, refusals share one count per action. */
const refusalKeysMax = 10_000;

export interface OperatorAccess {
  readonly approvals: ApprovalsContext;
  readonly registry: ProposalRegistry;
  readonly alerts: SecurityAlerts;
  readonly loginPolicy: LoginPolicy;
  readonly sessionPolicy: SessionPolicy;
  readonly enrolmentPolicy: EnrolmentPolicy;
  /** The longest lifetime an API token may ask for, in days. */
  readonly tokenDaysMax: number;
  /** Operators' TOTP secrets, sealed with the app's keyring. */
  readonly totpSecrets: TotpSecrets;
  authenticate(token: string): Promise<Principal | undefined>;
  /**
   * Audits a refused attempt in its own transaction (the refusal itself changes nothing else): the
   * first of its kind from its address in a window in full, the rest as one count (audit/refusal-windows.ts).
   */
  auditRefusal(actor: Actor, line: AuditLine): Promise<void>;
  /** The same windows, for refusals recorded elsewhere (merchant requests). */
  readonly refusals: RefusalLog;
  /** Feeds the error-rate signal; raises an `api_error_rate` event when it trips. */
  recordResponse(status: number): Promise<void>;
  securityEventCounts(): Promise<{ type: string; severity: string; count: number }[]>;
  /** Stops the sweeps and writes the refusal counts still open. */
  close(): Promise<void>;
}

/**
 * What makes two refusals "the same" for counting. An anonymous caller's route is left out (a flood
 * spread over every route is still one count); an operator's is kept (bounded by the routes), so
 * each thing a known operator was refused stays on record.
 */
function refusalKindOf(actor: Actor, line: AuditLine): string {
  const details = JSON.stringify(line.details ?? {});
  if (actor.principal === undefined) return `-|${line.action}|${details}`;
  // Each credential counts apart: a refusal through a second token or session is news, not a repeat.
  const credential = actor.principal.sessionId ?? actor.principal.tokenId ?? '-';
  return `${actor.principal.id}|${credential}|${line.action}|${line.target ?? '-'}|${details}`;
}

export function createOperatorAccess(options: {
  config: Config;
  store: Store;
  keyring: Keyring;
  clock: () => number;
  onError?: (error: unknown) => void;
}): OperatorAccess {
  const { config, store, clock } = options;
  // What approvals execute is registered by the composition root (src/wiring/proposal-executors.ts).
  const registry = new ProposalRegistry();
  const alerts = new SecurityAlerts({
    store,
    webhookUrl: config.securityWebhookUrl,
    clock,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  alerts.start(alertSweepMs);
  const errorRate = new ErrorRateMonitor({ windowMs: config.apiErrorWindowMs, errorsMax: config.apiErrorsMax });
  const sessionPolicy: SessionPolicy = {
    idleMs: config.operatorSessionIdleMs,
    absoluteMs: config.operatorSessionAbsoluteMs,
  };
  const approvals: ApprovalsContext = { store, registry, ttlMs: config.proposalTtlMs };
  // Expire stale proposals and finish approvals a crash interrupted (both are also handled lazily).
  const sweep = setInterval(
    () => sweepProposals(approvals, clock).catch((error: unknown) => options.onError?.(error)),
    proposalSweepMs,
  );
  sweep.unref();
  const refusals = openRefusalLog({
    store,
    clock,
    limits: { windowMs: config.auditRefusalWindowMs, keysMax: refusalKeysMax },
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  return {
    approvals,
    registry,
    alerts,
    loginPolicy: {
      loginFailuresMax: config.operatorLoginFailuresMax,
      lockoutMs: config.operatorLockoutMs,
      stuffingAccountsMax: config.credentialStuffingAccountsMax,
      stuffingWindowMs,
    },
    sessionPolicy,
    enrolmentPolicy: { enrolmentTtlMs: config.operatorEnrolmentTtlMs, proposalTtlMs: config.proposalTtlMs },
    tokenDaysMax: config.operatorTokenTtlDaysMax,
    totpSecrets: totpSecretsWith(options.keyring),
    authenticate: (token) =>
      sessionTokenPattern.test(token)
        ? authenticateSession(store, token, sessionPolicy, clock())
        : authenticateApiToken(store, token, clock()),
    // Effects (who moved money through the ledger's group commit) are written as they happen; only
    // refusals are counted per window, so a flood costs bounded space.
    auditRefusal: (actor, line) =>
      line.outcome === 'success'
        ? store.transaction(async (tx) => {
            await appendAudit(tx, [auditEventOf(actor, line)], clock());
          })
        : refusals.record(auditEventOf(actor, line), refusalKindOf(actor, line)),
    refusals,
    async recordResponse(status) {
      const now = clock();
      const errors = errorRate.record(status, now);
      if (errors === undefined) return;
      await store.transaction((tx) =>
        raiseSecurityEvent(tx, { type: 'api_error_rate', details: { errors, windowMs: config.apiErrorWindowMs } }, now),
      );
      alerts.kick();
    },
    securityEventCounts: () => securityEventCounts(store),
    async close() {
      clearInterval(sweep);
      alerts.stop();
      await refusals.close();
    },
  };
}
