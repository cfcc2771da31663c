// Versioned migrations, applied in order, each in its own transaction. A migration is written once
// in a neutral dialect; `ddl()` maps the few type names that differ between SQLite and PostgreSQL.
// Numbers are never reused or edited once released: a change is a new migration.
import { ledger } from './001-ledger.ts';

export interface Migration {
  readonly id: number;
  readonly name: string;
  /** Statements separated by lines holding only `--;`. */
  readonly sql: string;
}

export const migrations: readonly Migration[] = [ledger];
