// Versioned migrations, applied in order, each in its own transaction. A migration is written once
// in a neutral dialect; `ddl()` maps the few type names that differ between SQLite and PostgreSQL.
// Numbers are never reused or edited once released: a change is a new migration.
import type { TableRebuild } from '../sqlite-rebuild.ts';
import { ledger } from './001-ledger.ts';
import { keyring } from './002-keyring.ts';
import { audit } from './003-audit.ts';
import { access } from './004-access.ts';
import { identity } from './005-identity.ts';
import { events } from './006-events.ts';
import { payments } from './007-payments.ts';
import { paymentsCards } from './008-payments-cards.ts';
import { keyringPurposes } from './009-keyring-purposes.ts';
import { auditCheckpointSize } from './010-audit-checkpoint-size.ts';
import { paymentsRiskIndexes } from './011-payments-risk-indexes.ts';
import { operatorCredentials } from './100-operator-credentials.ts';
import { smsMessages } from './110-sms-messages.ts';
import { customerControls } from './120-customer-controls.ts';
import { cardBinding } from './140-card-binding.ts';
import { paymentsLifecycle } from './150-payments-lifecycle.ts';
import { storeLeases } from './170-store-leases.ts';
import { oneLeaseTable } from './180-one-lease-table.ts';
import { ledgerApplyFunction } from './190-ledger-apply-function.ts';
import { ledgerApplyFence } from './202-ledger-apply-fence.ts';
import { ledgerApplyOverflow } from './203-ledger-apply-overflow.ts';
import { cases } from './200-cases.ts';
import { support } from './201-support.ts';
import { riskEngine } from './210-risk-engine.ts';
import { paymentsReviewHolds } from './211-payments-review-holds.ts';
import { sanctions } from './230-sanctions.ts';
import { aml } from './231-aml.ts';
import { riskProfiles } from './216-risk-profiles.ts';
import { sanctionsClearances } from './232-sanctions-clearances.ts';
import { sanctionsRescreens } from './217-sanctions-rescreens.ts';
import { clearing } from './250-clearing.ts';
import { backupChangeLog } from './251-backup-change-log.ts';
import { assessmentAttestations } from './252-assessment-attestations.ts';
import { consoleLookups } from './260-console-lookups.ts';
import { clearingNetting } from './255-clearing-netting.ts';
import { assessmentRuns } from './270-assessment-runs.ts';
import { requestLatency } from './271-request-latency.ts';
import { backupJobs } from './272-backup-jobs.ts';
import { clearingIncomingReversals } from './242-clearing-incoming-reversals.ts';
import { clearingNotifiedEntries } from './243-clearing-notified-entries.ts';
import { sanctionsFreezes } from './247-sanctions-freezes.ts';
import { amlCustomerRatings } from './212-aml-customer-ratings.ts';
import { fundingReviewHolds } from './208-funding-review-holds.ts';
import { sanctionsMerchantFreezes } from './204-sanctions-merchant-freezes.ts';
import { ledgerJournalBuckets } from './214-ledger-journal-buckets.ts';
import { amlOverrideAgainst } from './273-aml-override-against.ts';
import { fundingSentAt } from './274-funding-sent-at.ts';
import { amlLevelFactors } from './275-aml-level-factors.ts';

export interface Migration {
  readonly id: number;
  readonly name: string;
  /** Statements separated by lines holding only `--;`. */
  readonly sql: string;
  /** PostgreSQL only (server-side functions), after `sql`; statements separated the same way, not mapped by ddl(). */
  readonly postgresSql?: string;
  /** SQLite only (an index shape PostgreSQL does not need), after `sql`; separated the same way, not ddl()-mapped. */
  readonly sqliteSql?: string;
  /**
   * SQLite only, before `sql`: tables rebuilt through the generic procedure (store/sqlite-rebuild.ts),
   * for the changes SQLite cannot ALTER (a CHECK constraint); PostgreSQL does the same in `postgresSql`.
   */
  readonly sqliteRebuilds?: readonly TableRebuild[];
}

export const migrations: readonly Migration[] = [
  ledger,
  keyring,
  audit,
  access,
  identity,
  events,
  payments,
  paymentsCards,
  keyringPurposes,
  auditCheckpointSize,
  paymentsRiskIndexes,
  operatorCredentials,
  smsMessages,
  customerControls,
  cardBinding,
  paymentsLifecycle,
  storeLeases,
  oneLeaseTable,
  ledgerApplyFunction,
  ledgerApplyFence,
  cases,
  support,
  riskEngine,
  riskProfiles,
  paymentsReviewHolds,
  sanctions,
  aml,
  sanctionsClearances,
  // 217 after 232: it rebuilds sanctions_screenings, which 230 creates (list order is apply order).
  sanctionsRescreens,
  clearing,
  backupChangeLog,
  assessmentAttestations,
  clearingNetting,
  consoleLookups,
  assessmentRuns,
  requestLatency,
  backupJobs,
  // 242 after 255: it alters clearing_incoming, which 255 creates (list order is apply order).
  clearingIncomingReversals,
  clearingNotifiedEntries,
  sanctionsFreezes,
  ledgerApplyOverflow,
  amlCustomerRatings,
  // 208, 204 and 214 after 212: stores already past 272 apply them after everything released
  // (list order is apply order).
  fundingReviewHolds,
  sanctionsMerchantFreezes,
  ledgerJournalBuckets,
  amlOverrideAgainst,
  fundingSentAt,
  amlLevelFactors,
];
