// Procedures the writer-thread tests load into the thread: echo values back, throw the errors callers
// tell apart, and end the thread while calls are waiting.
import type Database from 'better-sqlite3';
import { AnfuError } from '../../errors.ts';

export function writerProcedures(db: Database.Database): Record<string, (...args: never[]) => unknown> {
  return {
    'test.echo': (...args: unknown[]) => args,
    'test.inTransaction': () => db.inTransaction,
    'test.anfuError': () => {
      throw new AnfuError('account_exists', 'an account with this code already exists', { code: 'W1' });
    },
    'test.invariant': () => {
      throw new Error('ledger invariant: a touched account was not loaded');
    },
    // Blocks the thread a moment (so calls queue behind it), then ends it as a crash would.
    'test.exit': () => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      process.exit(7);
    },
  };
}
