// One database transaction for a caller's rows and its ledger postings together (ledger.applyWithin):
// clearing's files, the payments group commit and a refund's money with its state and freeze check.
import { queryableOf, retriedTransaction, type Store, type Tx } from '../store/index.ts';
import type { LedgerTransaction } from './ledger.ts';

/** Runs `work` in one transaction of `store`; on PostgreSQL a deadlock or serialisation failure runs it again whole. */
export async function withinLedger<T>(
  store: Store,
  work: (tx: Tx, ledgerTx: LedgerTransaction) => Promise<T>,
): Promise<T> {
  if (store.dialect === 'sqlite') return store.transaction((tx) => work(tx, { dialect: 'sqlite' }));
  return retriedTransaction(store, (client) => work(queryableOf(client), { dialect: 'postgres', client }));
}
