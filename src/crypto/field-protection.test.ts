// Personal data written through the field protection is absent from the raw database: the SQLite file
// bytes (with its WAL) and the PostgreSQL rows rendered as text hold no name, ID number, phone, bank
// account or card number, in UTF-8 or hex. Blind indexes still find a record by normalised exact match,
// and a sealed value moved to another row does not open.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { createPeopleTable, peopleProtection, peopleTable, readPerson, samplePerson, testKeyring, writePerson } from './testing.ts';

const people = Array.from({ length: 25 }, (_, i) => samplePerson(i + 1));

/** Every way a plaintext value could sit in raw storage: UTF-8 text and its hex rendering (bytea). */
function needles(): string[] {
  return people.flatMap((person) => Object.values(person)).flatMap((value) => [value, Buffer.from(value, 'utf8').toString('hex')]);
}

async function rawDatabaseText(database: TestDatabase): Promise<string> {
  if (database.kind === 'sqlite') {
    const files = [database.sqlitePath, `${database.sqlitePath}-wal`].filter((f) => existsSync(f));
    // latin1 keeps every byte; the UTF-8 needles are searched for as their byte sequences.
    return files.map((f) => readFileSync(f).toString('latin1')).join('\n');
  }
  const client = new pg.Client({ connectionString: database.databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${database.schema}.${peopleTable} t`);
    assert.equal(rows.rows.length, people.length);
    return rows.rows.map((r) => r.row).join('\n');
  } finally {
    await client.end();
  }
}

for (const kind of testStoreKinds()) {
  describe(`field protection on ${kind}`, () => {
    it('stores no plaintext personal data, finds records by blind index, and refuses swapped values', async () => {
      const database = await createTestDatabase(kind);
      const store = database.open();
      try {
        const keyring = await testKeyring(store);
        const table = peopleProtection(keyring);
        await createPeopleTable(store);
        await table.register();
        for (const [i, person] of people.entries()) await writePerson(store, table, `p${i}`, person);
        assert.deepEqual(await readPerson(store, table, 'p3'), people[3]);

        const lookup = await table.lookup('idNumber', ` ${people[7]?.idNumber ?? ''} `);
        assert.deepEqual((await store.all(`SELECT id FROM ${peopleTable} WHERE ${lookup.sql}`, lookup.params)).map((r) => r.id), ['p7']);
        const byName = await table.lookup('name', `  ${people[9]?.name ?? ''}`);
        assert.deepEqual((await store.all(`SELECT id FROM ${peopleTable} WHERE ${byName.sql}`, byName.params)).map((r) => r.id), ['p9']);

        // Row p1's sealed phone copied into row p2 is authenticated against p2's id, and fails.
        await store.run(`UPDATE ${peopleTable} SET phone_sealed = (SELECT phone_sealed FROM ${peopleTable} WHERE id = 'p1') WHERE id = 'p2'`);
        await assert.rejects(readPerson(store, table, 'p2'), (error: unknown) => (error as { code?: string }).code === 'crypto_decrypt_failed');
        await store.run(`UPDATE ${peopleTable} SET phone_sealed = NULL WHERE id = 'p2'`);

        await store.close();
        const raw = await rawDatabaseText(database);
        const sqliteBytes = kind === 'sqlite' ? Buffer.from(raw, 'latin1') : undefined;
        for (const needle of needles()) {
          const found = sqliteBytes === undefined ? raw.includes(needle) : sqliteBytes.includes(Buffer.from(needle, 'utf8'));
          assert.equal(found, false, `plaintext found in the raw ${kind} database`);
        }
        // The scan would have seen plaintext: the table name, stored in clear in the schema, is there.
        assert.ok(raw.includes(kind === 'postgres' ? 'p24' : peopleTable));
      } finally {
        await store.close().catch(() => undefined);
        await database.drop();
      }
    });
  });
}
