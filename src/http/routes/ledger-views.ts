// What the ledger API shows: response schemas (a whitelist) and the mapping from domain values.
// Amounts leave as decimal strings in major units; times as ISO 8601.
import { Type } from 'typebox';
import { availableOf, balanceOf, type Account, type Hold, type Transfer, type VerifyReport } from '../../ledger/index.ts';
import { findCurrency, formatMajor } from '../../money/index.ts';
import { Nullable, Page } from '../schemas.ts';

const Money = Type.String({ description: 'Decimal string in major units' });

export const AccountView = Type.Object({
  id: Type.String(),
  code: Nullable(Type.String()),
  kind: Type.String(),
  currency: Type.String(),
  name: Type.String(),
  ownerId: Nullable(Type.String()),
  status: Type.String(),
  allowNegative: Type.Boolean(),
  balance: Money,
  available: Money,
  pendingDebits: Money,
  pendingCredits: Money,
  createdAt: Type.String({ format: 'date-time' }),
});

export const TransferView = Type.Object({
  id: Type.String({ description: 'Journal sequence number' }),
  kind: Type.String({ enum: ['single', 'hold', 'post', 'void', 'expire'] }),
  debitAccountId: Type.String(),
  creditAccountId: Type.String(),
  amount: Money,
  currency: Type.String(),
  holdId: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

export const HoldView = Type.Object({
  id: Type.String(),
  state: Type.String({ enum: ['pending', 'posted', 'voided', 'expired'] }),
  debitAccountId: Type.String(),
  creditAccountId: Type.String(),
  amount: Money,
  currency: Type.String(),
  expiresAt: Nullable(Type.String({ format: 'date-time' })),
  resolvedById: Nullable(Type.String()),
});

export const AccountPage = Page(AccountView);
export const JournalPage = Page(TransferView);

export const VerifyView = Type.Object({
  ok: Type.Boolean(),
  accounts: Type.Integer(),
  transfers: Type.Integer(),
  currencies: Type.Array(Type.Object({ currency: Type.String(), balanceSum: Money, pendingDebits: Money, pendingCredits: Money })),
  problems: Type.Array(Type.String()),
});

function money(minor: bigint, currencyCode: string): string {
  const currency = findCurrency(currencyCode);
  if (currency === undefined) throw new Error(`ledger holds an unknown currency ${currencyCode}`);
  return formatMajor(minor, currency);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function accountView(a: Account) {
  return {
    id: a.id,
    code: a.code,
    kind: a.kind,
    currency: a.currency,
    name: a.name,
    ownerId: a.ownerId,
    status: a.status,
    allowNegative: a.allowNegative,
    balance: money(balanceOf(a), a.currency),
    available: money(availableOf(a), a.currency),
    pendingDebits: money(a.debitsPending, a.currency),
    pendingCredits: money(a.creditsPending, a.currency),
    createdAt: iso(a.createdAt),
  };
}

export function transferView(t: Transfer) {
  return {
    id: String(t.seq),
    kind: t.kind,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    amount: money(t.amount, t.currency),
    currency: t.currency,
    holdId: t.holdSeq === null ? null : String(t.holdSeq),
    reference: t.reference,
    createdAt: iso(t.createdAt),
  };
}

export function holdView(h: Hold) {
  return {
    id: String(h.seq),
    state: h.state,
    debitAccountId: h.debitAccountId,
    creditAccountId: h.creditAccountId,
    amount: money(h.amount, h.currency),
    currency: h.currency,
    expiresAt: h.expiresAt === null ? null : iso(h.expiresAt),
    resolvedById: h.resolvedSeq === null ? null : String(h.resolvedSeq),
  };
}

export function verifyView(report: VerifyReport) {
  return {
    ok: report.ok,
    accounts: report.accounts,
    transfers: report.transfers,
    currencies: report.currencies.map((c) => ({
      currency: c.currency,
      balanceSum: money(c.balanceSum, c.currency),
      pendingDebits: money(c.debitsPendingSum, c.currency),
      pendingCredits: money(c.creditsPendingSum, c.currency),
    })),
    problems: report.problems,
  };
}
