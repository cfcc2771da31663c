// Proves the ledger is whole: every account's materialised counters equal the sums of its journal,
// every hold is resolved exactly once, and money is conserved per currency (all balances of a
// currency sum to zero, since every transfer debits one account and credits another by the same amount).
import { entriesByAction } from '../audit/index.ts';
import { toBigInt, type Store } from '../store/index.ts';
import { journalDigest, parseSeqRanges, postingsAction } from './journal-digest.ts';
import { transferColumns, transferFromRow } from './rows.ts';

export interface CurrencyTotal {
  readonly currency: string;
  readonly balanceSum: bigint;
  readonly debitsPendingSum: bigint;
  readonly creditsPendingSum: bigint;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly accounts: number;
  readonly transfers: number;
  readonly currencies: CurrencyTotal[];
  readonly problems: string[];
}

type Sums = Map<string, bigint>;

async function sums(store: Store, sql: string): Promise<Sums> {
  const rows = await store.all<{ id: string; total: unknown }>(sql);
  return new Map(rows.map((r) => [String(r.id), toBigInt(r.total)]));
}

export async function verifyLedger(store: Store): Promise<VerifyReport> {
  const problems: string[] = [];
  const posted = "kind IN ('single', 'post')";
  const [debits, credits, pendingDebits, pendingCredits] = await Promise.all([
    sums(store, `SELECT debit_account_id AS id, SUM(amount) AS total FROM ledger_transfers WHERE ${posted} GROUP BY debit_account_id`),
    sums(store, `SELECT credit_account_id AS id, SUM(amount) AS total FROM ledger_transfers WHERE ${posted} GROUP BY credit_account_id`),
    sums(store, "SELECT debit_account_id AS id, SUM(amount) AS total FROM ledger_holds WHERE state = 'pending' GROUP BY debit_account_id"),
    sums(store, "SELECT credit_account_id AS id, SUM(amount) AS total FROM ledger_holds WHERE state = 'pending' GROUP BY credit_account_id"),
  ]);
  const accounts = await store.all<Record<string, unknown>>(
    'SELECT id, currency, allow_negative, debits_posted, credits_posted, debits_pending, credits_pending FROM ledger_accounts ORDER BY id',
  );
  const totals = new Map<string, { balance: bigint; debitsPending: bigint; creditsPending: bigint }>();
  for (const a of accounts) {
    const id = String(a.id);
    const expect: Array<[string, bigint, bigint]> = [
      ['debits_posted', toBigInt(a.debits_posted), debits.get(id) ?? 0n],
      ['credits_posted', toBigInt(a.credits_posted), credits.get(id) ?? 0n],
      ['debits_pending', toBigInt(a.debits_pending), pendingDebits.get(id) ?? 0n],
      ['credits_pending', toBigInt(a.credits_pending), pendingCredits.get(id) ?? 0n],
    ];
    for (const [column, stored, journal] of expect) {
      if (stored !== journal) problems.push(`account ${id}: ${column} is ${stored} but the journal sums to ${journal}`);
    }
    const balance = toBigInt(a.credits_posted) - toBigInt(a.debits_posted);
    if (toBigInt(a.allow_negative) === 0n && balance - toBigInt(a.debits_pending) < 0n) problems.push(`account ${id}: negative available balance`);
    const currency = String(a.currency);
    const total = totals.get(currency) ?? { balance: 0n, debitsPending: 0n, creditsPending: 0n };
    total.balance += balance;
    total.debitsPending += toBigInt(a.debits_pending);
    total.creditsPending += toBigInt(a.credits_pending);
    totals.set(currency, total);
  }
  const currencies = [...totals].map(([currency, t]) => ({ currency, balanceSum: t.balance, debitsPendingSum: t.debitsPending, creditsPendingSum: t.creditsPending }));
  for (const c of currencies) {
    if (c.balanceSum !== 0n) problems.push(`currency ${c.currency}: balances sum to ${c.balanceSum}, not 0`);
    if (c.debitsPendingSum !== c.creditsPendingSum) problems.push(`currency ${c.currency}: pending debits ${c.debitsPendingSum} ≠ pending credits ${c.creditsPendingSum}`);
  }
  problems.push(...(await structuralProblems(store)));
  const count = await store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM ledger_transfers');
  const transfers = toBigInt(count?.n ?? 0n);
  problems.push(...(await journalAuditProblems(store, transfers)));
  return { ok: problems.length === 0, accounts: accounts.length, transfers: Number(transfers), currencies, problems };
}

/** Checks that need joins: currencies agree, holds resolve exactly once. Each query counts violations. */
async function structuralProblems(store: Store): Promise<string[]> {
  const checks: Array<[string, string]> = [
    ['transfers whose currency differs from an account', `SELECT COUNT(*) AS n FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id WHERE t.currency <> d.currency OR t.currency <> c.currency`],
    ['hold transfers without a hold record', `SELECT COUNT(*) AS n FROM ledger_transfers t WHERE t.kind = 'hold' AND NOT EXISTS (SELECT 1 FROM ledger_holds h WHERE h.seq = t.seq AND h.amount = t.amount AND h.debit_account_id = t.debit_account_id AND h.credit_account_id = t.credit_account_id)`],
    ['holds without a hold transfer', `SELECT COUNT(*) AS n FROM ledger_holds h WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.seq = h.seq AND t.kind = 'hold')`],
    ['resolutions that do not resolve their hold', `SELECT COUNT(*) AS n FROM ledger_transfers t WHERE t.kind IN ('post', 'void', 'expire') AND NOT EXISTS (SELECT 1 FROM ledger_holds h WHERE h.seq = t.hold_seq AND h.resolved_seq = t.seq)`],
    ['resolved holds without their resolution', `SELECT COUNT(*) AS n FROM ledger_holds h WHERE (h.state = 'pending') <> (h.resolved_seq IS NULL)`],
    ['posts above the amount held', `SELECT COUNT(*) AS n FROM ledger_transfers t JOIN ledger_holds h ON h.seq = t.hold_seq WHERE t.kind = 'post' AND t.amount > h.amount`],
  ];
  const problems: string[] = [];
  for (const [label, sql] of checks) {
    const row = await store.get<{ n: unknown }>(sql);
    const n = toBigInt(row?.n ?? 0n);
    if (n !== 0n) problems.push(`${n} ${label}`);
  }
  return problems;
}

/**
 * Every journal row must be covered by exactly one `ledger.postings` audit entry whose digest still
 * matches: a row edited, removed or slipped in beside the ledger shows up here (and the audit log's
 * own verifier proves the entries themselves are intact).
 */
async function journalAuditProblems(store: Store, transfers: bigint): Promise<string[]> {
  const problems: string[] = [];
  let covered = 0n;
  for (let after = 0n; ; ) {
    const entries = await entriesByAction(store, postingsAction, { after, limit: 500 });
    for (const entry of entries) {
      after = entry.seq;
      const details = JSON.parse(entry.details) as { seqs?: unknown; count?: unknown; digest?: unknown };
      const ranges = typeof details.seqs === 'string' ? parseSeqRanges(details.seqs) : undefined;
      if (ranges === undefined || typeof details.count !== 'number' || typeof details.digest !== 'string') {
        problems.push(`audit entry ${entry.seq}: malformed ledger.postings details`);
        continue;
      }
      const rows = [];
      for (const [from, to] of ranges) {
        const found = await store.all(`SELECT ${transferColumns} FROM ledger_transfers WHERE seq BETWEEN ? AND ? ORDER BY seq`, [from, to]);
        rows.push(...found.map(transferFromRow));
      }
      covered += BigInt(details.count);
      if (rows.length !== details.count) problems.push(`journal seqs ${details.seqs}: ${rows.length} rows where audit entry ${entry.seq} recorded ${details.count}`);
      else if (journalDigest(rows) !== details.digest) problems.push(`journal seqs ${details.seqs}: rows differ from the digest in audit entry ${entry.seq}`);
    }
    if (entries.length < 500) break;
  }
  if (covered !== transfers) problems.push(`the journal holds ${transfers} rows but audit entries cover ${covered}`);
  return problems;
}
