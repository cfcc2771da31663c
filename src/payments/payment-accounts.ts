// Ledger accounts of payments, opened lazily by code: customer wallets, merchant accounts and the
// platform fee account.
import { AnfuError } from '../errors.ts';
import type { Account, AccountKind, Ledger } from '../ledger/index.ts';

export const walletCode = (customerId: string, currency: string) => `wallet:${customerId}:${currency}`;
export const merchantAccountCode = (merchantId: string, currency: string) => `merchant:${merchantId}:${currency}`;
export const feeAccountCode = (currency: string) => `platform:fees:${currency}`;
export const bankSettlementCode = (bank: string, currency: string) => `bank_settlement:${bank}:${currency}`;

/** A concurrent opener won: `account_exists` from the ledger's check, or the store's unique key (PostgreSQL 23505, SQLite constraint). */
function lostOpeningRace(error: unknown): boolean {
  if (error instanceof AnfuError) return error.code === 'account_exists';
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export async function ensureAccount(ledger: Ledger, input: { code: string; kind: AccountKind; currency: string; name: string; ownerId?: string }): Promise<Account> {
  const existing = await ledger.accountByCode(input.code);
  if (existing !== undefined) return existing;
  try {
    return await ledger.openAccount(input);
  } catch (error) {
    // Two requests raced to open it: the other one won.
    if (lostOpeningRace(error)) {
      const winner = await ledger.accountByCode(input.code);
      if (winner !== undefined) return winner;
    }
    throw error;
  }
}

export function walletOf(ledger: Ledger, customerId: string, currency: string): Promise<Account> {
  return ensureAccount(ledger, { code: walletCode(customerId, currency), kind: 'customer_wallet', currency, name: 'Customer wallet', ownerId: customerId });
}

export function merchantAccountOf(ledger: Ledger, merchantId: string, currency: string): Promise<Account> {
  return ensureAccount(ledger, { code: merchantAccountCode(merchantId, currency), kind: 'merchant', currency, name: 'Merchant account', ownerId: merchantId });
}

export function feeAccountOf(ledger: Ledger, currency: string): Promise<Account> {
  return ensureAccount(ledger, { code: feeAccountCode(currency), kind: 'fees', currency, name: 'Platform fees' });
}

/** The partner bank's settlement account (money held at that bank); it may go negative as money is issued. */
export function bankSettlementOf(ledger: Ledger, bank: string, currency: string): Promise<Account> {
  return ensureAccount(ledger, { code: bankSettlementCode(bank, currency), kind: 'bank_settlement', currency, name: `Settlement at ${bank}` });
}
