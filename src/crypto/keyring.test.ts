// The keyring on every store kind: KEK loading refuses missing and weak keys, sealed values resist
// tampering and swapping, and a rotation in the middle of concurrent writers and readers loses
// nothing: rewrap moves every record to the new version and only then is the old one retired.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { SecretValue } from '../config.ts';
import { createTestDatabase, testStoreKinds } from '../store/testing.ts';
import type { Store } from '../store/index.ts';
import { gmProfile } from './gm.ts';
import { Kek, loadKek } from './kek.ts';
import { Keyring } from './keyring.ts';
import { countReferences, retireUnused, rewrap } from './keyring-rewrap.ts';
import { selectKeyEvents } from './keyring-store.ts';
import { createPeopleTable, peopleProtection, peopleTable, randomKek, readPerson, samplePerson, testKeyring, writePerson } from './testing.ts';

const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;

describe('KEK loading', () => {
  const base = { dataDir: mkdtempSync(join(tmpdir(), 'anfu-kek-')), kekFile: undefined, kek: undefined };

  it('refuses a missing KEK outside development', () => {
    assert.throws(() => loadKek({ ...base, environment: 'production' }), code('keyring_kek_missing'));
    assert.throws(() => loadKek({ ...base, environment: 'test' }), code('keyring_kek_missing'));
  });

  it('refuses weak keys: wrong length, all zero, low entropy, text', () => {
    const weak = [Buffer.alloc(16, 7), Buffer.alloc(32), Buffer.from('0123456789abcdef0123456789abcdef'.split('').map((c) => c.charCodeAt(0) % 8)), Buffer.from('correct horse battery staple!!!!')];
    for (const bytes of weak) {
      assert.throws(() => loadKek({ ...base, environment: 'production', kek: new SecretValue(bytes.toString('base64')) }), code('keyring_kek_weak'));
    }
    assert.throws(() => loadKek({ ...base, environment: 'production', kek: new SecretValue('not base64 at all') }), code('keyring_kek_weak'));
  });

  it('accepts base64 of 32 random bytes from the environment or a file, and never prints it', () => {
    const text = randomBytes(32).toString('base64');
    const fromEnv = loadKek({ ...base, environment: 'production', kek: new SecretValue(text) });
    const file = join(base.dataDir, 'kek.b64');
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
    const fromFile = loadKek({ ...base, environment: 'production', kekFile: file });
    assert.equal(fromEnv.id, fromFile.id);
    for (const shown of [JSON.stringify({ fromEnv }), inspect(fromEnv), String(fromEnv), inspect(new SecretValue(text)), JSON.stringify(new SecretValue(text))]) {
      assert.ok(!shown.includes(text) && !shown.includes(Buffer.from(text, 'base64').toString('hex')), shown);
    }
  });

  it('generates a development KEK once, mode 0600, and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'anfu-kek-dev-'));
    const first = loadKek({ ...base, dataDir, environment: 'development' });
    const second = loadKek({ ...base, dataDir, environment: 'development' });
    assert.equal(first.id, second.id);
    const path = join(dataDir, 'keys', 'kek');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').length, 32);
  });
});

for (const kind of testStoreKinds()) {
  describe(`keyring on ${kind}`, () => {
    it('seals and opens; tampering, swapping, wrong purpose and unknown versions are typed errors', async () => {
      const database = await createTestDatabase(kind);
      const store = database.open();
      try {
        const kek = randomKek();
        const keyring = await testKeyring(store, { kek });
        const context = Buffer.from('customers|name|c1');
        const sealed = await keyring.seal('pii', Buffer.from('张三'), context);
        assert.equal((await keyring.open('pii', sealed, context)).toString(), '张三');
        const tampered = Buffer.from(sealed);
        tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
        await assert.rejects(keyring.open('pii', tampered, context), code('crypto_decrypt_failed'));
        await assert.rejects(keyring.open('pii', sealed, Buffer.from('customers|name|c2')), code('crypto_decrypt_failed'));
        await assert.rejects(keyring.open('card-vault', sealed, context), code('crypto_key_mismatch'));
        await assert.rejects(keyring.open('pii', sealed.subarray(0, 12), context), code('crypto_decrypt_failed'));
        await assert.rejects(keyring.open('pii', randomBytes(40), context), code('crypto_decrypt_failed'));
        const future = Buffer.from(sealed);
        future.writeUInt32BE(99, 3 + 'pii'.length);
        await assert.rejects(keyring.open('pii', future, context), code('keyring_key_not_found'));
        // A DEK's wrapped form swapped onto another purpose's row does not unwrap.
        await keyring.seal('card-vault', Buffer.from('x'));
        await store.run(`UPDATE key_versions SET wrapped_key = (SELECT wrapped_key FROM key_versions WHERE purpose = 'pii') WHERE purpose = 'card-vault'`);
        await assert.rejects((await testKeyring(store, { kek })).seal('card-vault', Buffer.from('x')), code('crypto_decrypt_failed'));
        await assert.rejects(testKeyring(store), code('keyring_kek_mismatch'));
      } finally {
        await store.close();
        await database.drop();
      }
    });

    it('keeps values of an earlier gm or intl profile readable after the deployment switches', async () => {
      const database = await createTestDatabase(kind);
      const store = database.open();
      try {
        const kek = randomKek();
        const gm = await testKeyring(store, { kek, profile: gmProfile });
        const sealedGm = await gm.seal('pii', Buffer.from('李四'));
        assert.equal(sealedGm[3 + 'pii'.length + 4], 0x02, 'SM4-CBC + HMAC-SM3 tag');
        const signed = await gm.sign('audit-signing', Buffer.from('checkpoint'));
        const intl = await testKeyring(store, { kek });
        await intl.rotate('pii');
        const sealedIntl = await intl.seal('pii', Buffer.from('王五'));
        assert.equal(sealedIntl[3 + 'pii'.length + 4], 0x01, 'AES-256-GCM tag');
        assert.equal((await intl.open('pii', sealedGm)).toString(), '李四');
        assert.equal(await intl.verify('audit-signing', signed.version, Buffer.from('checkpoint'), signed.signature), true);
        assert.equal(await intl.verify('audit-signing', signed.version, Buffer.from('forged'), signed.signature), false);
      } finally {
        await store.close();
        await database.drop();
      }
    });

    it('rotates mid-traffic, rewraps in batches while serving, reads every record, and retires only unused versions', { timeout: 120_000 }, async () => {
      await rotationScenario(kind);
    });
  });
}

interface Traffic {
  written: Map<string, ReturnType<typeof samplePerson>>;
  stop: boolean;
  reads: number;
}

async function writer(store: Store, keyring: Keyring, traffic: Traffic, prefix: string, count: number, offset: number): Promise<void> {
  const table = peopleProtection(keyring);
  for (let i = 0; i < count; i++) {
    const id = `${prefix}${String(i).padStart(4, '0')}`;
    const person = samplePerson(offset + i);
    await writePerson(store, table, id, person);
    traffic.written.set(id, person);
    if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function reader(store: Store, keyring: Keyring, traffic: Traffic): Promise<void> {
  const table = peopleProtection(keyring);
  while (!traffic.stop) {
    const ids = [...traffic.written.keys()];
    const id = ids[Math.floor(Math.random() * ids.length)];
    if (id !== undefined) {
      assert.deepEqual(await readPerson(store, table, id), traffic.written.get(id));
      traffic.reads += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function rotationScenario(kind: 'sqlite' | 'postgres'): Promise<void> {
  const database = await createTestDatabase(kind);
  // Two "processes": on PostgreSQL two pools; SQLite is one process's file, so one connection.
  const storeA = database.open();
  const storeB = kind === 'postgres' ? database.open() : storeA;
  try {
    const kek = randomKek();
    const a = await testKeyring(storeA, { kek, actor: 'process-a' });
    const b = await testKeyring(storeB, { kek, actor: 'process-b', activeVersionTtlMs: 20 });
    await createPeopleTable(storeA);
    await peopleProtection(a).register();
    const traffic: Traffic = { written: new Map(), stop: false, reads: 0 };
    const readers = [reader(storeA, a, traffic), reader(storeB, b, traffic)];
    const firstWriters = [writer(storeA, a, traffic, 'a1-', 30, 0), writer(storeB, b, traffic, 'b1-', 30, 1000)];
    while (traffic.written.size < 20) await new Promise((resolve) => setTimeout(resolve, 2));
    const rotated = await a.rotate('pii');
    await a.rotate('blind-index');
    assert.equal(rotated.version, 2);
    await Promise.all(firstWriters);

    // Before rewrap version 1 is still referenced, so it must not be retired.
    const early = await retireUnused(a, { graceMs: 0 });
    assert.ok(early.some((o) => o.purpose === 'pii' && o.version === 1 && o.outcome === 'referenced' && o.references > 0), JSON.stringify(early));
    assert.ok((await countReferences(storeA, 'pii', 2)) > 0, 'writes after the rotation used version 2');

    // Rewrap in small batches while writers and readers keep going.
    const secondWriters = [writer(storeA, a, traffic, 'a2-', 20, 2000), writer(storeB, b, traffic, 'b2-', 20, 3000)];
    const results = await rewrap(a, { batchSize: 7 });
    await Promise.all(secondWriters);
    await rewrap(a, { batchSize: 7 }); // catches rows a stale writer sealed under v1 during the first pass
    traffic.stop = true;
    await Promise.all(readers);
    assert.ok(traffic.reads > 20, `readers ran (${traffic.reads} reads)`);
    assert.ok(results.some((r) => r.table === peopleTable && r.purpose === 'pii' && r.rewrapped > 0));
    assert.equal(await countReferences(storeA, 'pii', 1), 0);
    assert.equal(await countReferences(storeA, 'blind-index', 1), 0);

    const retired = await retireUnused(a, { graceMs: 0 });
    assert.deepEqual(retired.filter((o) => o.outcome === 'retired').map((o) => `${o.purpose} v${o.version}`).sort(), ['blind-index v1', 'pii v1']);
    await checkEveryRecord(storeA, kek, traffic);
    const operations = (await selectKeyEvents(storeA, 100)).map((e) => `${e.operation} ${e.purpose} v${e.version}`);
    for (const expected of ['created pii v1', 'rotated pii v2', 'rewrapped pii v2', 'retired pii v1', 'retired blind-index v1']) assert.ok(operations.includes(expected), expected);
  } finally {
    if (storeB !== storeA) await storeB.close();
    await storeA.close();
    await database.drop();
  }
}

/** A fresh process (empty caches) reads and finds every record, and nothing references retired keys. */
async function checkEveryRecord(store: Store, kek: Kek, traffic: Traffic): Promise<void> {
  const fresh = await testKeyring(store, { kek });
  const table = peopleProtection(fresh);
  assert.equal(traffic.written.size, 100);
  for (const [id, person] of traffic.written) {
    assert.deepEqual(await readPerson(store, table, id), person);
    const lookup = await table.lookup('phone', `+86 ${person.phone.slice(0, 3)} ${person.phone.slice(3)}`);
    const found = await store.all<{ id: string }>(`SELECT id FROM ${peopleTable} WHERE ${lookup.sql}`, lookup.params);
    assert.deepEqual(found.map((r) => r.id), [id]);
  }
  const versions = await fresh.versions('pii');
  assert.deepEqual(versions.map((v) => `${v.version}:${v.state}:${v.wrappedKey === undefined ? 'destroyed' : 'wrapped'}`), ['1:retired:destroyed', '2:active:wrapped']);
}
