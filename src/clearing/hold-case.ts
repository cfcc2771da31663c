// Instructions held by a partner's net debit cap do not wait unseen: once one has waited longer than the
// deployment's limit (ANFU_CLEARING_HOLD_MAX_MS) a clearing run opens a `clearing_hold` case for it (once,
// by its dedupe key) in the run's transaction, so operations either raise the cap (a maker–checker
// proposal) or chase the bank's answers that would free liquidity. When a later run batches the
// instruction, the case closes itself (closeResolvedElsewhere through the cases door, given by wiring).
import type { CaseKindRegistration } from '../cases/index.ts';
import type { Tx } from '../store/index.ts';
import type { Instruction } from './instructions.ts';

const hour = 3_600_000;

export interface HoldCaseInput {
  readonly kind: 'clearing_hold';
  readonly dedupeKey: string;
  readonly title: string;
  readonly subject: { readonly type: 'payment'; readonly id: string };
  readonly severity: 'medium';
  readonly amount: { readonly minor: bigint; readonly currency: string };
  readonly openedBy: string;
  readonly details: Record<string, unknown>;
}

/** The case system's door, given by wiring (clearing does not depend on cases). */
export type HoldCaseOpener = (tx: Tx, input: HoldCaseInput, now: Date) => Promise<{ readonly id: string }>;

/**
 * The case system's `closeResolvedElsewhere`, given by wiring: a held instruction later batched closes
 * its case (if one was opened) with the reason, in the run's transaction.
 */
export type HoldCaseCloser = (
  tx: Tx, subject: { readonly kind: 'clearing_hold'; readonly dedupeKey: string }, reason: string, now: Date,
) => Promise<{ readonly id: string } | undefined>;

export interface HoldLimits {
  /** An instruction held this long (since it was requested) opens its case. */
  readonly maxMs: number;
  readonly open: HoldCaseOpener;
  /** Without it a case stays open after its instruction is batched (tests that do not look at cases). */
  readonly close?: HoldCaseCloser | undefined;
}

export const holdCaseKey = (instructionId: string): string => `hold:${instructionId}`;

export function holdCaseInput(i: Instruction, heldMs: number): HoldCaseInput {
  return {
    kind: 'clearing_hold', dedupeKey: holdCaseKey(i.id), title: 'A payment held by the net debit cap too long',
    subject: { type: 'payment', id: i.id }, severity: 'medium', amount: { minor: i.amount, currency: i.currency },
    openedBy: 'system:clearing', details: { partnerId: i.partnerId, instructionId: i.id, heldMs },
  };
}

export const clearingHoldKind: CaseKindRegistration = {
  definition: {
    kind: 'clearing_hold',
    queue: 'clearing',
    sla: { firstResponse: 4 * hour, resolution: 24 * hour, calendar: 'business' },
    decisions: { keep_waiting: { fourEyes: false }, cap_change_proposed: { fourEyes: false } },
    roles: { work: ['operations', 'administrator'], decide: ['operations', 'administrator'] },
  },
};
