// Which ledger accounts an operator may move money between directly: only the platform's own
// (bank settlement, revenue, fees, suspense). A customer's wallet or a merchant's account is
// debited or credited by hand only through an approved `ledger.adjustment` (adjust-ledger.ts), so
// no single operator credential can move customer money.
import type { AccountKind } from '../ledger/index.ts';

const platformKinds: ReadonlySet<AccountKind> = new Set<AccountKind>([
  'bank_settlement', 'platform_revenue', 'fees', 'suspense',
]);

export function isPlatformAccount(kind: AccountKind): boolean {
  return platformKinds.has(kind);
}

/** Pure: the refusal for a direct operator movement touching these accounts, if any. */
export function directMovementRefusal(kinds: readonly AccountKind[]): 'adjustment_required' | undefined {
  return kinds.every(isPlatformAccount) ? undefined : 'adjustment_required';
}
