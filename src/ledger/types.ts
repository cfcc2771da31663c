// The ledger's vocabulary: accounts with materialised balances, transfer requests, and outcomes.

export const accountKinds = ['customer_wallet', 'merchant', 'platform_revenue', 'fees', 'bank_settlement', 'suspense'] as const;
export type AccountKind = (typeof accountKinds)[number];

export interface Account {
  readonly id: string;
  readonly code: string | null;
  readonly kind: AccountKind;
  readonly currency: string;
  readonly name: string;
  readonly ownerId: string | null;
  readonly allowNegative: boolean;
  readonly status: 'open' | 'closed';
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
  readonly createdAt: number;
}

/** Posted balance: what the account holds (credit-normal: credits add, debits take away). */
export function balanceOf(account: Pick<Account, 'creditsPosted' | 'debitsPosted'>): bigint {
  return account.creditsPosted - account.debitsPosted;
}

/** What may still be debited: the balance less what holds have reserved. */
export function availableOf(account: Pick<Account, 'creditsPosted' | 'debitsPosted' | 'debitsPending'>): bigint {
  return account.creditsPosted - account.debitsPosted - account.debitsPending;
}

export type TransferKind = 'single' | 'hold' | 'post' | 'void' | 'expire';

interface RequestBase {
  /** The caller's idempotency key, already scoped to the caller. */
  readonly key: string;
  readonly reference?: string | undefined;
}

/** A hold's `timeoutMs` null: it never lapses on its own (an outside party, a bank, decides how it ends). */
export type TransferRequest =
  | (RequestBase & { readonly kind: 'single'; readonly debitAccountId: string; readonly creditAccountId: string; readonly amount: bigint; readonly currency: string })
  | (RequestBase & { readonly kind: 'hold'; readonly debitAccountId: string; readonly creditAccountId: string; readonly amount: bigint; readonly currency: string; readonly timeoutMs: number | null })
  | (RequestBase & { readonly kind: 'post'; readonly holdSeq: bigint; readonly amount?: bigint | undefined })
  | (RequestBase & { readonly kind: 'void'; readonly holdSeq: bigint })
  | (RequestBase & { readonly kind: 'expire'; readonly holdSeq: bigint });

export interface Transfer {
  readonly seq: bigint;
  readonly key: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly holdSeq: bigint | null;
  readonly reference: string | null;
  readonly createdAt: number;
}

export type HoldState = 'pending' | 'posted' | 'voided' | 'expired';

export interface Hold {
  readonly seq: bigint;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly state: HoldState;
  readonly expiresAt: number | null;
  readonly resolvedSeq: bigint | null;
}

/** Expected refusals of a transfer: values the caller must handle, each a registered problem code. */
export type TransferFailure =
  | 'invalid_amount'
  | 'linked_transfer_failed'
  | 'account_not_found'
  | 'account_closed'
  | 'currency_mismatch'
  | 'same_account'
  | 'insufficient_funds'
  | 'idempotency_conflict'
  | 'hold_not_found'
  | 'hold_not_pending'
  | 'hold_expired'
  | 'post_exceeds_hold'
  | 'account_totals_overflow';

export type TransferOutcome =
  | { readonly ok: true; readonly transfer: Transfer; readonly replayed: boolean }
  | { readonly ok: false; readonly code: TransferFailure; readonly detail: string };

/** The outcome of linked transfers: every leg applied (or replayed), or none, with the leg that was refused. */
export type LinkedOutcome =
  | { readonly ok: true; readonly transfers: Transfer[]; readonly replayed: boolean }
  | { readonly ok: false; readonly index: number; readonly code: TransferFailure; readonly detail: string };
