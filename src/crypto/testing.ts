// Test support for the keyring: a random KEK, a keyring over a test store, and a table with protected
// personal-data columns created the way a capability's migration would.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { ddl } from '../store/migrate.ts';
import { intlProfile } from './intl.ts';
import { Kek } from './kek.ts';
import { Keyring, type KeyringOptions } from './keyring.ts';
import { ProtectedTable } from './field-protection.ts';

export function randomKek(): Kek {
  return new Kek(randomBytes(32), 'test');
}

export async function testKeyring(store: Store, options: Partial<KeyringOptions> = {}): Promise<Keyring> {
  return Keyring.open({ store, kek: options.kek ?? randomKek(), profile: intlProfile, activeVersionTtlMs: 0, ...options });
}

export type PersonField = 'name' | 'idNumber' | 'phone' | 'bankAccount' | 'cardNumber';

export const peopleTable = 'test_people';

export async function createPeopleTable(store: Store): Promise<void> {
  const columns = ['name', 'id_number', 'phone', 'bank_account', 'card_number'].flatMap((c) => [`${c}_sealed BYTES`, `${c}_bidx BYTES`]);
  await store.run(ddl(`CREATE TABLE ${peopleTable} (id TEXT PRIMARY KEY, ${columns.join(', ')})`, store.dialect));
}

export function peopleProtection(keyring: Keyring): ProtectedTable<PersonField> {
  return new ProtectedTable<PersonField>(keyring, {
    table: peopleTable,
    idColumn: 'id',
    fields: {
      name: { column: 'name_sealed', normaliser: 'name', blindIndexColumn: 'name_bidx' },
      idNumber: { column: 'id_number_sealed', normaliser: 'id-number', blindIndexColumn: 'id_number_bidx' },
      phone: { column: 'phone_sealed', normaliser: 'phone', blindIndexColumn: 'phone_bidx' },
      bankAccount: { column: 'bank_account_sealed', normaliser: 'bank-account', blindIndexColumn: 'bank_account_bidx' },
      cardNumber: { column: 'card_number_sealed', normaliser: 'card', blindIndexColumn: 'card_number_bidx' },
    },
  });
}

/** Inserts (or replaces) one person through the protection, as a capability's store.ts would. */
export async function writePerson(store: Store, table: ProtectedTable<PersonField>, id: string, person: Record<PersonField, string>): Promise<void> {
  const columns = await table.protect(id, person);
  const names = Object.keys(columns);
  await store.run(
    `INSERT INTO ${peopleTable} (id, ${names.join(', ')}) VALUES (?, ${names.map(() => '?').join(', ')})`,
    [id, ...names.map((n) => columns[n] ?? null)],
  );
}

export async function readPerson(store: Store, table: ProtectedTable<PersonField>, id: string): Promise<Partial<Record<PersonField, string>>> {
  const row = await store.get(`SELECT * FROM ${peopleTable} WHERE id = ?`, [id]);
  if (row === undefined) throw new Error(`no person ${id}`);
  return table.reveal(id, row);
}

/** A plausible person with a valid-looking ID number, mobile number, bank account and card. */
export function samplePerson(i: number): Record<PersonField, string> {
  const n = String(i).padStart(4, '0');
  return {
    name: `张三丰${n}`,
    idNumber: `11010519491231${n}`,
    phone: `1380013${n}`,
    bankAccount: `62170000${n}9981`,
    cardNumber: `62220200${n}4455`,
  };
}
