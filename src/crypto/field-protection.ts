// Field-level protection of personal data: each protected column holds the value sealed under the
// 'pii' data key, with the table, column and row id authenticated (a value copied to another row does
// not open), and optionally a keyed blind index ('blind-index' key, normalised input) for exact-match
// lookup. A capability declares its table once and uses `protect` / `reveal` / `lookup`.
import type { Queryable, Row } from '../store/index.ts';
import { fieldContext } from './envelope.ts';
import type { KeyPurpose, Keyring } from './keyring.ts';
import { upsertKeyUsage, type KeyUsage } from './keyring-store.ts';
import { normalise, type NormaliserName } from './normalisers.ts';

/** The personal data SPEC R8.1 names, and the normaliser each one's blind index uses. */
export const personalFieldNormalisers = {
  name: 'name',
  idNumber: 'id-number',
  phone: 'phone',
  bankAccount: 'bank-account',
  cardNumber: 'card',
} as const satisfies Record<string, NormaliserName>;

export interface ProtectedFieldSpec {
  /** The BYTES column holding the sealed value. */
  readonly column: string;
  readonly normaliser: NormaliserName;
  /** The BYTES column holding the blind index, if the field is looked up by exact match. */
  readonly blindIndexColumn?: string;
}

export interface ProtectedTableSpec<F extends string> {
  readonly table: string;
  readonly idColumn: string;
  readonly fields: Readonly<Record<F, ProtectedFieldSpec>>;
  readonly sealPurpose?: KeyPurpose;
  readonly indexPurpose?: KeyPurpose;
}

/** What a field-protection call may log: names of tables and fields, never values. */
export interface ProtectionLog {
  debug(details: Record<string, unknown>, message: string): void;
}

const identifierPattern = /^[a-z_][a-z0-9_]{0,62}$/;

export class ProtectedTable<F extends string> {
  readonly #keyring: Keyring;
  readonly #spec: ProtectedTableSpec<F>;
  readonly #sealPurpose: KeyPurpose;
  readonly #indexPurpose: KeyPurpose;
  readonly #log: ProtectionLog | undefined;

  constructor(keyring: Keyring, spec: ProtectedTableSpec<F>, log?: ProtectionLog) {
    const columns = Object.values<ProtectedFieldSpec>(spec.fields).flatMap((f) => [f.column, f.blindIndexColumn ?? f.column]);
    for (const name of [spec.table, spec.idColumn, ...columns]) if (!identifierPattern.test(name)) throw new Error(`malformed identifier ${name}`);
    this.#keyring = keyring;
    this.#spec = spec;
    this.#sealPurpose = spec.sealPurpose ?? 'pii';
    this.#indexPurpose = spec.indexPurpose ?? 'blind-index';
    this.#log = log;
  }

  /** The key_usages rows that let rewrap and retirement find this table's protected columns. */
  usages(): KeyUsage[] {
    const { table, idColumn } = this.#spec;
    return Object.values<ProtectedFieldSpec>(this.#spec.fields).flatMap((field) => [
      { table, column: field.column, idColumn, purpose: this.#sealPurpose, kind: 'sealed' as const },
      ...(field.blindIndexColumn === undefined ? [] : [{
        table, column: field.blindIndexColumn, idColumn, purpose: this.#indexPurpose, kind: 'blind-index' as const, sourceColumn: field.column, normaliser: field.normaliser,
      }]),
    ]);
  }

  /** Registers the columns (idempotent); call at start-up or from the migration that creates the table. */
  async register(q: Queryable = this.#keyring.store): Promise<void> {
    for (const usage of this.usages()) await upsertKeyUsage(q, usage);
  }

  /** Column name → bytes to write (sealed values and their blind indexes) for the given fields of one row. */
  async protect(rowId: string, values: Partial<Record<F, string>>): Promise<Record<string, Buffer>> {
    const columns: Record<string, Buffer> = {};
    for (const [name, value] of Object.entries(values) as Array<[F, string | undefined]>) {
      if (value === undefined) continue;
      const field = this.#field(name);
      columns[field.column] = await this.#keyring.seal(this.#sealPurpose, Buffer.from(value, 'utf8'), fieldContext(this.#spec.table, field.column, rowId));
      if (field.blindIndexColumn !== undefined) columns[field.blindIndexColumn] = await this.#blindIndex(field, value);
    }
    this.#log?.debug({ table: this.#spec.table, fields: Object.keys(values) }, 'personal data sealed');
    return columns;
  }

  /** The plaintext of the requested fields of a row read from the table (null columns are left out). */
  async reveal(rowId: string, row: Row, fields: readonly F[] = Object.keys(this.#spec.fields) as F[]): Promise<Partial<Record<F, string>>> {
    const values: Partial<Record<F, string>> = {};
    for (const name of fields) {
      const field = this.#field(name);
      const sealed = row[field.column];
      if (sealed === null || sealed === undefined) continue;
      const plaintext = await this.#keyring.open(this.#sealPurpose, sealed as Uint8Array, fieldContext(this.#spec.table, field.column, rowId));
      values[name] = plaintext.toString('utf8');
    }
    return values;
  }

  /** `column IN (?, …)` and its parameters: one blind index per live key version, so lookups work mid-rotation. */
  async lookup(name: F, value: string): Promise<{ sql: string; params: Buffer[] }> {
    const field = this.#field(name);
    if (field.blindIndexColumn === undefined) throw new Error(`${this.#spec.table}.${name} has no blind index`);
    const params = await this.#keyring.blindIndexCandidates(this.#indexPurpose, Buffer.from(normalise(field.normaliser, value), 'utf8'));
    return { sql: `${field.blindIndexColumn} IN (${params.map(() => '?').join(', ')})`, params };
  }

  async #blindIndex(field: ProtectedFieldSpec, value: string): Promise<Buffer> {
    return this.#keyring.blindIndex(this.#indexPurpose, Buffer.from(normalise(field.normaliser, value), 'utf8'));
  }

  #field(name: F): ProtectedFieldSpec {
    const field = Object.hasOwn(this.#spec.fields, name) ? this.#spec.fields[name] : undefined;
    if (field === undefined) throw new Error(`${this.#spec.table} has no protected field ${String(name)}`);
    return field;
  }
}
