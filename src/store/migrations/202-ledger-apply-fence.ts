import type { Migration } from './index.ts';
import { ledgerApplyFunction } from './190-ledger-apply-function.ts';
import { replayFenceCall } from '../replay-fence.ts';

// Rebuilds anfu_ledger_apply (migration 190) with a replay fence that writes WAL. 190 fenced a
// replay by taking a transaction id, and PostgreSQL does not make a commit that wrote no WAL wait
// for the synchronous standby, so a replay could be answered before the replayed row was replicated
// (store/replay-fence.ts). The body is 190's, with only the fence and the comment above it changed.
const oldFence = `  -- A replay answers from a row another transaction wrote: taking a transaction id makes this
  -- statement's commit wait for the synchronous standby to hold everything up to it (postgres-batch.ts).
  IF any_replayed THEN PERFORM pg_current_xact_id(); END IF;`;
const newFence = `  -- A replay answers from a row another transaction wrote: a transactional WAL message makes this
  -- statement's commit wait for the synchronous standby to hold everything up to it (replay-fence.ts).
  IF any_replayed THEN PERFORM ${replayFenceCall}; END IF;`;

function rebuilt(body: string): string {
  if (!body.includes(oldFence) || !body.includes('CREATE FUNCTION anfu_ledger_apply(')) {
    throw new Error('migration 202: the body of migration 190 is not the one it rebuilds');
  }
  return body.replace('CREATE FUNCTION anfu_ledger_apply(', 'CREATE OR REPLACE FUNCTION anfu_ledger_apply(')
    .replace(oldFence, newFence);
}

export const ledgerApplyFence: Migration = {
  id: 202,
  name: 'ledger-apply-fence',
  sql: '',
  postgresSql: rebuilt(ledgerApplyFunction.postgresSql ?? ''),
};
