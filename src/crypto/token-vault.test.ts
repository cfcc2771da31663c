// The card vault on every store kind: a PAN is tokenised only when Luhn-valid, the token is random,
// the PAN is shown only masked, and after a top-up-like flow that carried a CVV the database (file
// bytes or every table's rows) and the captured trace-level logs hold neither the PAN nor the CVV.
// Detokenisation needs a named purpose and every attempt leaves a vault_access row.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { loggerOptions } from '../http/logging.ts';
import { createTestDatabase, testStoreKinds, type TestDatabase } from '../store/testing.ts';
import { testKeyring } from './testing.ts';
import { holdsSecret } from '../testing/holds-secret.ts';
import { luhnValid } from '../cards/index.ts';
import { TokenVault, type CardInput, type DetokenisePurpose } from './token-vault.ts';

/** Appends the Luhn check digit. */
export function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable');
}

const pan = withCheckDigit('622202881234567');
const otherPan = withCheckDigit('438857009911223');
const cvv = '8264';

export function capturedLogger(): { log: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const options = loggerOptions('trace', stream);
  if (typeof options === 'boolean') throw new Error('logging disabled');
  return { log: pino(options, stream), text: () => chunks.join('') };
}

async function rawDatabaseText(database: TestDatabase): Promise<string> {
  if (database.kind === 'sqlite') {
    return [database.sqlitePath, `${database.sqlitePath}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString('latin1')).join('\n');
  }
  const client = new pg.Client({ connectionString: database.databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [database.schema]);
    const texts: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${database.schema}.${table_name} t`);
      texts.push(...rows.rows.map((r) => r.row));
    }
    return texts.join('\n');
  } finally {
    await client.end();
  }
}

const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;

for (const kind of testStoreKinds()) {
  describe(`token vault on ${kind}`, () => {
    it('tokenises a PAN, never stores or logs the PAN or the CVV, and audits detokenisation', async () => {
      const database = await createTestDatabase(kind);
      const store = database.open();
      const captured = capturedLogger();
      try {
        const vault = new TokenVault(await testKeyring(store), { log: captured.log, clock: () => 1_700_000_000_000 });
        // A top-up request as a careless caller might pass and log it: the CVV rides along.
        const request = { amount: '100.00', card: { pan: `${pan.slice(0, 4)} ${pan.slice(4, 8)} ${pan.slice(8, 12)} ${pan.slice(12)}`, cvv, expiryMonth: 12, expiryYear: 2030 } };
        captured.log.trace({ request }, 'top-up received');
        captured.log.info({ pan, cvv, cvc: cvv }, 'careless top-level logging');
        const card = await vault.tokenise(request.card as CardInput);
        assert.match(card.token, /^ctk_[A-Za-z0-9_-]{24}$/);
        assert.equal(card.maskedPan, `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`);
        assert.equal((await vault.tokenise({ pan })).token, card.token, 'the same card keeps its token');
        const other = await vault.tokenise({ pan: otherPan });
        assert.notEqual(other.token, card.token);
        assert.deepEqual(await vault.describe(card.token), card);

        for (const bad of [pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10), '41111111111', '4'.repeat(20), 'abcd', '']) {
          await assert.rejects(vault.tokenise({ pan: bad }), (error: unknown) => code('card_number_invalid')(error) && !String((error as Error).message).includes(bad.slice(4) || '#'));
        }

        const detokenised = await vault.detokenise(card.token, { purpose: 'card_authorisation', actor: 'payments:top-up' });
        assert.deepEqual(detokenised, { pan, expiry: '12/2030' });
        await assert.rejects(vault.detokenise('ctk_unknown', { purpose: 'card_refund', actor: 'payments:refund' }), code('card_token_not_found'));
        await assert.rejects(vault.detokenise(card.token, { purpose: 'marketing' as DetokenisePurpose, actor: 'x' }), code('keyring_unknown_purpose'));
        const accesses = await store.all<{ token: string; purpose: string; outcome: string }>('SELECT token, purpose, outcome FROM vault_access ORDER BY seq');
        assert.deepEqual(accesses.map((a) => `${a.token === card.token ? 'card' : a.token} ${a.purpose} ${a.outcome}`), ['card card_authorisation granted', 'ctk_unknown card_refund not_found']);

        await store.close();
        const raw = await rawDatabaseText(database);
        const logs = captured.text();
        assert.ok(logs.includes('card tokenised') && logs.includes(card.maskedPan), 'the logs were captured');
        assert.ok(raw.includes(card.maskedPan), 'the scan reads the vault rows');
        for (const secret of [pan, otherPan, request.card.pan, cvv, Buffer.from(pan).toString('hex'), Buffer.from(cvv).toString('hex')]) {
          assert.equal(holdsSecret(raw, secret), false, `card data in the raw ${kind} database`);
          assert.equal(holdsSecret(logs, secret), false, 'card data in the logs');
        }
      } finally {
        await store.close().catch(() => undefined);
        await database.drop();
      }
    });
  });
}
