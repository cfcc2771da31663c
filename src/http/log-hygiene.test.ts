// Log hygiene: the real app at log level 'trace' with a captured log stream is driven with requests
// whose bodies, paths, headers and malformed JSON carry personal and card data; the field protection
// and the card vault run with the app's logger; careless log calls put the data in objects, messages
// and errors. The captured log text must hold none of the plaintext values.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { loadConfig } from '../config.ts';
import { loadKek, type CardInput } from '../crypto/index.ts';
import { openPlatformKeyring, platformTokenVault } from '../wiring/platform-keyring.ts';
import { createPeopleTable, peopleProtection, writePerson } from '../crypto/testing.ts';
import { luhnValid } from '../cards/index.ts';
import { Ledger } from '../ledger/index.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import { holdsSecret } from '../testing/holds-secret.ts';
import { composeApp } from '../wiring/app.ts';

function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable');
}

const person = {
  name: '欧阳娜娜',
  idNumber: '11010519491231002X',
  phone: '13912345678',
  bankAccount: '6217000010012345678',
  pan: withCheckDigit('625807123456789'),
  cvv: '5917',
};

function captureStream(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const jsonHeaders = { 'content-type': 'application/json' };

for (const kind of testStoreKinds()) {
  describe(`log hygiene on ${kind}`, () => {
    it('no personal or card data reaches the logs at trace level', async () => {
      const database = await createTestDatabase(kind);
      const store = database.open();
      const ledger = new Ledger({ store, transferBatchMax: 100 });
      const captured = captureStream();
      const config = loadConfig({ ANFU_ENV: 'development', ANFU_LOG_LEVEL: 'trace', ANFU_DATA_DIR: mkdtempSync(join(tmpdir(), 'anfu-logs-')) });
      const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config) });
      const app = await composeApp({ config, store, ledger, keyring, logStream: captured.stream });
      try {
        const body = { customer: { realName: person.name, name: person.name, idNumber: person.idNumber, phone: person.phone, bankAccount: person.bankAccount }, card: { pan: person.pan, cvv: person.cvv } };
        const requests = [
          app.inject({ method: 'POST', url: '/v1/accounts', headers: jsonHeaders, payload: body }),
          app.inject({ method: 'POST', url: '/v1/transfers', headers: { ...jsonHeaders, authorization: `Bearer ${person.pan}` }, payload: body }),
          app.inject({ method: 'POST', url: '/v1/customers', headers: jsonHeaders, payload: body }),
          app.inject({ method: 'POST', url: '/v1/top-ups', headers: jsonHeaders, payload: `{"pan":"${person.pan}","cvv":"${person.cvv}",` }),
          app.inject({ method: 'GET', url: `/v1/accounts/${person.pan}` }),
          app.inject({ method: 'GET', url: `/v1/customers/${person.idNumber}?phone=${person.phone}&name=${encodeURIComponent(person.name)}` }),
        ];
        for (const response of await Promise.all(requests)) assert.ok(response.statusCode >= 400 && response.statusCode < 500, String(response.statusCode));

        const table = peopleProtection(keyring);
        await createPeopleTable(store);
        await writePerson(store, table, 'p1', { name: person.name, idNumber: person.idNumber, phone: person.phone, bankAccount: person.bankAccount, cardNumber: person.pan });
        const vault = platformTokenVault(keyring, { log: app.log });
        const card = await vault.tokenise({ pan: person.pan, cvv: person.cvv, expiryMonth: 1, expiryYear: 2031 } as CardInput);
        await vault.detokenise(card.token, { purpose: 'card_authorisation', actor: 'test' });

        // Careless calls a developer might write: the data in objects, nested bodies, messages and errors.
        app.log.trace({ body }, 'registration body');
        app.log.debug({ request: { body } }, 'nested body');
        app.log.info(person, 'flat person');
        app.log.info(`top-up for card ${person.pan} from ${person.phone}`);
        app.log.error({ err: new Error(`bank refused account ${person.bankAccount} of ${person.idNumber}`) }, 'bank error');

        const logs = captured.text();
        assert.ok(logs.includes('"level":10') && logs.includes('card tokenised') && logs.includes(card.maskedPan), 'trace lines were captured');
        for (const [field, value] of Object.entries(person)) assert.equal(holdsSecret(logs, value), false, `${field} reached the logs: ${logs.split("\n").filter((l) => l.includes(value)).join("\n")}`);
      } finally {
        await app.close();
        await ledger.close();
        await store.close();
        await database.drop();
      }
    });
  });
}
