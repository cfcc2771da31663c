// The case system's words (docs/cases.md): what a case is, how it is opened, what each kind declares
// at wiring (queue, SLA, decisions and whether they need four eyes), and who acts on a case. Shared by
// every capability that opens cases (risk, aml, clearing, support) through the door.
import type { Actor, OperatorRole } from '../access/index.ts';
import type { Queryable, Tx } from '../store/index.ts';

/** Each capability names its own kinds: `risk_review`, `aml_alert`, `complaint`, `merchant_dispute` … */
export type CaseKind = string;

export const caseStatuses = ['open', 'assigned', 'waiting', 'decided', 'closed'] as const;
export type CaseStatus = (typeof caseStatuses)[number];

export const caseSeverities = ['low', 'medium', 'high', 'critical'] as const;
export type CaseSeverity = (typeof caseSeverities)[number];

export interface CaseSubject {
  /** 'customer' | 'merchant' | 'payment' | 'account' | 'statement' | … */
  readonly type: string;
  readonly id: string;
}

export interface EvidenceLink {
  /** 'payment' | 'device' | 'login' | 'list_entry' | 'statement_line' | 'ledger_entry' | 'decision' |
   * 'attachment' | … */
  readonly type: string;
  readonly ref: string;
  readonly note?: string | undefined;
}

export interface CaseAmount {
  readonly minor: bigint;
  readonly currency: string;
}

export interface OpenCaseInput {
  readonly kind: CaseKind;
  /** With `kind`, what makes a case the same case: opening it twice returns the first. */
  readonly dedupeKey: string;
  readonly title: string;
  readonly subject: CaseSubject;
  readonly customerId?: string | undefined;
  readonly severity: CaseSeverity;
  readonly amount?: CaseAmount | undefined;
  readonly evidence?: readonly EvidenceLink[] | undefined;
  /** An actor id (operator, customer) or 'system:<capability>'. */
  readonly openedBy: string;
  /** Non-personal JSON the owning capability needs later (rule ids, scores, statement ids …). */
  readonly details?: Record<string, unknown> | undefined;
  /** Defaults to the kind; the kind definition's queue is what listings by queue use. */
  readonly queue?: string | undefined;
}

export interface CaseRecord {
  readonly id: string;
  readonly kind: CaseKind;
  readonly dedupeKey: string;
  readonly queue: string;
  readonly title: string;
  readonly subject: CaseSubject;
  readonly customerId: string | null;
  readonly severity: CaseSeverity;
  readonly amount: CaseAmount | null;
  readonly status: CaseStatus;
  readonly assignee: string | null;
  readonly openedBy: string;
  readonly details: Record<string, unknown>;
  readonly decision: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
  /** The `case.decide` proposal awaiting a checker, if any. */
  readonly pendingProposalId: string | null;
  readonly waitingSince: number | null;
  /** Continuous milliseconds spent waiting (SLA clocks are paused then). */
  readonly pausedMs: number;
  readonly firstResponseAt: number | null;
  readonly firstResponseDueAt: number | null;
  readonly resolutionDueAt: number | null;
  /** The SLA clocks that ran out ('first_response', 'resolution'), recorded by the breach sweep. */
  readonly breached: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface CaseEvent {
  readonly seq: number;
  readonly caseId: string;
  /** opened, assigned, note, evidence, waiting, resumed, decision_proposed, decided, closed, sla_breached … */
  readonly type: string;
  readonly actor: string;
  readonly at: number;
  readonly details: Record<string, unknown>;
}

export interface CaseEvidence {
  readonly id: string;
  readonly type: string;
  readonly ref: string;
  readonly note: string | null;
  readonly addedBy: string;
  readonly addedAt: number;
}

export interface CaseNote {
  readonly id: string;
  readonly author: string;
  readonly body: string;
  readonly at: number;
}

/** A duration in milliseconds; against a business calendar, only business time counts. */
export type DurationMs = number;

export interface CaseSlaDefinition {
  readonly firstResponse: DurationMs;
  readonly update?: DurationMs | undefined;
  readonly resolution: DurationMs;
  readonly calendar: 'business' | 'continuous';
}

export interface CaseDecisionDefinition {
  readonly fourEyes: boolean;
}

export interface CaseKindDefinition {
  readonly kind: CaseKind;
  readonly queue: string;
  readonly sla: CaseSlaDefinition;
  readonly decisions: Readonly<Record<string, CaseDecisionDefinition>>;
  /** Who may work and decide this kind (default: every role holding cases.work / cases.decide). */
  readonly roles?:
    | {
        readonly work?: readonly OperatorRole[] | undefined;
        /** Who may make (decide, or propose under four eyes). */
        readonly decide?: readonly OperatorRole[] | undefined;
        /** Who may check a four-eyes decision (default administrator, operations, risk_analyst). */
        readonly approve?: readonly OperatorRole[] | undefined;
      }
    | undefined;
}

/** Whoever acts on a case: an operator or the system (access's Actor), a customer or a merchant. */
export type CaseActor =
  | Actor
  | {
      readonly type: 'customer' | 'merchant';
      readonly id: string;
      readonly ip?: string | null | undefined;
      readonly device?: string | null | undefined;
    };

/** A refusal the handler returns leaves the case undecided and the proposal failed with that code. */
export type CaseHandlerResult = void | { readonly ok: false; readonly code: string } | { readonly ok: true };

/**
 * The owning capability's effect of a decision, run in the transaction that marks the case decided
 * (after the checker approved, when the decision needs four eyes).
 */
export type CaseDecisionHandler = (
  tx: Tx,
  caseRecord: CaseRecord,
  decision: string,
  actor: CaseActor,
  /** The decision's clock (the time the case is marked decided). */
  now: number,
) => Promise<CaseHandlerResult>;

/**
 * Money a four-eyes decision moves (compensation, a refund), run after the checker approved and before
 * the transaction that decides the case; idempotent on `key` (the proposal's), so a retried execution
 * never pays twice. Decisions without four eyes never move money.
 */
export type CaseMoneyHandler = (
  caseRecord: CaseRecord,
  decision: string,
  key: string,
) => Promise<
  { readonly ok: true; readonly result?: Record<string, unknown> } | { readonly ok: false; readonly code: string }
>;

export interface CaseListFilter {
  readonly kind?: string | undefined;
  readonly kinds?: readonly string[] | undefined;
  readonly queue?: string | undefined;
  readonly status?: CaseStatus | undefined;
  readonly assignee?: string | undefined;
  readonly customerId?: string | undefined;
  /** The id of the last case of the previous page. */
  readonly cursor?: string | undefined;
  readonly limit?: number | undefined;
}

export interface CasePage {
  readonly items: readonly CaseRecord[];
  readonly nextCursor: string | null;
}

export type CaseRefusal =
  | 'case_not_found'
  | 'case_closed'
  | 'case_already_decided'
  | 'case_decision_unknown'
  | 'case_decision_pending'
  | 'case_kind_unknown'
  | 'case_status_invalid'
  | 'case_four_eyes'
  | 'case_not_decided'
  | 'forbidden'
  | 'mfa_required';

export type CaseOutcome<T = CaseRecord> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: CaseRefusal | string };

/** Timestamps: a Date or epoch milliseconds. */
export type When = Date | number;

export const msOf = (when: When): number => (typeof when === 'number' ? when : when.getTime());

export type { Queryable };
