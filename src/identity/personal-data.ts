// The one place identity touches the keyring: personal data sealed with the 'pii' data key and
// found by blind index (src/crypto field protection), plus identity's own secrets (the access-token
// MAC key, the device CA key) sealed the same way. Keyring calls may create a key version in their
// own transaction, so callers protect values *before* opening theirs (load, decide, persist).
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { cryptoProfile } from '../crypto/index.ts';
import { Kek, loadKek } from '../crypto/kek.ts';
import { Keyring } from '../crypto/keyring.ts';
import { ProtectedTable } from '../crypto/field-protection.ts';
import { normalise } from '../crypto/normalisers.ts';
import type { Row, Store } from '../store/index.ts';

export type CustomerField = 'phone' | 'name' | 'idNumber' | 'totpSecret';

export interface PersonalDataProtection {
  /** Column name → bytes for the customers row `customerId`. */
  protectCustomer(customerId: string, values: Partial<Record<CustomerField, string>>): Promise<Record<string, Buffer>>;
  revealCustomer(customerId: string, row: Row, fields: readonly CustomerField[]): Promise<Partial<Record<CustomerField, string>>>;
  /** `column IN (…)` over every live blind-index version, for exact lookup by phone or ID number. */
  lookupCustomer(field: 'phone' | 'idNumber', value: string): Promise<{ sql: string; params: Buffer[] }>;
  /** The blind index of a phone number under the active version (rows that only index, like SMS codes). */
  phoneIndex(phone: string): Promise<Buffer>;
  /** The candidates of `phoneIndex` under every live version. */
  phoneIndexCandidates(phone: string): Promise<Buffer[]>;
  /** A named identity secret, created with `create` on first use (sealed under 'pii'). */
  secret(name: string, create: () => Promise<{ secret: string; publicText?: string }>): Promise<{ secret: string; publicText: string | null }>;
}

const customersSpec = {
  table: 'customers',
  idColumn: 'id',
  fields: {
    phone: { column: 'phone_sealed', normaliser: 'phone', blindIndexColumn: 'phone_index' },
    name: { column: 'name_sealed', normaliser: 'name' },
    idNumber: { column: 'id_number_sealed', normaliser: 'id-number', blindIndexColumn: 'id_number_index' },
    totpSecret: { column: 'totp_secret_sealed', normaliser: 'exact' },
  },
} as const;

const secretsSpec = { table: 'identity_secrets', idColumn: 'name', fields: { secret: { column: 'sealed', normaliser: 'exact' } } } as const;

let ephemeralKek: Kek | undefined;

/** The keyring the deployment configured; in tests without a KEK one ephemeral KEK per process (data dies with the test). */
async function openKeyring(store: Store, config: Config): Promise<Keyring> {
  const ephemeral = config.environment === 'test' && config.kek === undefined && config.kekFile === undefined;
  if (ephemeral) ephemeralKek ??= new Kek(randomBytes(32), 'ephemeral test KEK');
  const kek = ephemeral && ephemeralKek !== undefined ? ephemeralKek : loadKek(config);
  return Keyring.open({ store, kek, profile: cryptoProfile(config.cryptoProfile) });
}

async function loadOrCreateSecret(store: Store, table: ProtectedTable<'secret'>, name: string, create: () => Promise<{ secret: string; publicText?: string }>, now: number): Promise<{ secret: string; publicText: string | null }> {
  const existing = await store.get('SELECT name, sealed, public_text FROM identity_secrets WHERE name = ?', [name]);
  if (existing !== undefined) {
    const revealed = (await table.reveal(name, existing, ['secret'])).secret;
    if (revealed === undefined) throw new Error(`identity secret ${name} is unreadable`);
    return { secret: revealed, publicText: (existing.public_text as string | null) ?? null };
  }
  const made = await create();
  const columns = await table.protect(name, { secret: made.secret });
  // Two processes may race to create it: the first insert wins and both read the winner back.
  await store.run('INSERT INTO identity_secrets (name, sealed, public_text, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING', [name, columns.sealed ?? null, made.publicText ?? null, now]);
  return loadOrCreateSecret(store, table, name, () => Promise.reject(new Error('identity secret vanished')), now);
}

export async function personalDataProtection(store: Store, config: Config, keyring?: Keyring): Promise<PersonalDataProtection> {
  const ring = keyring ?? (await openKeyring(store, config));
  const customers = new ProtectedTable(ring, customersSpec);
  const secrets = new ProtectedTable(ring, secretsSpec);
  await customers.register(store);
  await secrets.register(store);
  const phoneBytes = (phone: string) => Buffer.from(normalise('phone', phone), 'utf8');
  return {
    protectCustomer: (id, values) => customers.protect(id, values),
    revealCustomer: (id, row, fields) => customers.reveal(id, row, fields),
    lookupCustomer: (field, value) => customers.lookup(field, value),
    phoneIndex: (phone) => ring.blindIndex('blind-index', phoneBytes(phone)),
    phoneIndexCandidates: (phone) => ring.blindIndexCandidates('blind-index', phoneBytes(phone)),
    secret: (name, create) => loadOrCreateSecret(store, secrets, name, create, Date.now()),
  };
}
