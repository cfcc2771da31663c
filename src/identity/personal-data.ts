// The one place identity touches the keyring (the app's one keyring, handed in): personal data
// sealed with the 'pii' data key and found by blind index (src/crypto field protection), and
// identity's own keys in identity_keys, each under a purpose of its own: the access-token MAC key
// ('customer-token') and the device CA's private key ('device-ca'). Keyring calls may create a key
// version in their own transaction, so callers protect values *before* opening theirs.
import { ProtectedTable, normalise, type Keyring } from '../crypto/index.ts';
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
  /** One of identity's keys, created with `create` on first use, sealed under its own purpose. */
  identityKey(name: IdentityKeyName, create: () => Promise<IdentityKeyMaterial>): Promise<{ secret: string; publicText: string | null }>;
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

export type IdentityKeyName = 'customer-token' | 'device-ca';
export interface IdentityKeyMaterial {
  readonly secret: string;
  readonly publicText?: string;
}

/** identity_keys: one sealed column per purpose (key_usages, migration 009). */
const identityKeySpecs = {
  'customer-token': { table: 'identity_keys', idColumn: 'name', sealPurpose: 'customer-token', fields: { secret: { column: 'customer_token_sealed', normaliser: 'exact' } } },
  'device-ca': { table: 'identity_keys', idColumn: 'name', sealPurpose: 'device-ca', fields: { secret: { column: 'device_ca_sealed', normaliser: 'exact' } } },
} as const;

/** Before migration 009 both keys were sealed under 'pii' in identity_secrets, under these names. */
const legacySecretNames: Readonly<Record<IdentityKeyName, string>> = { 'customer-token': 'access-token-mac', 'device-ca': 'device-ca' };
const legacySpec = { table: 'identity_secrets', idColumn: 'name', fields: { secret: { column: 'sealed', normaliser: 'exact' } } } as const;

type KeyTables = Readonly<Record<IdentityKeyName, ProtectedTable<'secret'>>> & { readonly legacy: ProtectedTable<'secret'> };

/** The legacy 'pii'-sealed value of a key, if identity_secrets still holds one (it is moved, then deleted). */
async function legacyKey(store: Store, tables: KeyTables, name: IdentityKeyName): Promise<IdentityKeyMaterial | undefined> {
  const legacyName = legacySecretNames[name];
  const row = await store.get('SELECT name, sealed, public_text FROM identity_secrets WHERE name = ?', [legacyName]);
  if (row === undefined) return undefined;
  const revealed = (await tables.legacy.reveal(legacyName, row, ['secret'])).secret;
  if (revealed === undefined) throw new Error(`identity key ${name} is unreadable`);
  const publicText = row.public_text === null || row.public_text === undefined ? undefined : String(row.public_text);
  return publicText === undefined ? { secret: revealed } : { secret: revealed, publicText };
}

async function loadOrCreateKey(store: Store, tables: KeyTables, name: IdentityKeyName, create: () => Promise<IdentityKeyMaterial>, now: number): Promise<{ secret: string; publicText: string | null }> {
  const table = tables[name];
  const column = identityKeySpecs[name].fields.secret.column;
  const existing = await store.get(`SELECT name, ${column}, public_text FROM identity_keys WHERE name = ?`, [name]);
  if (existing !== undefined) {
    const revealed = (await table.reveal(name, existing, ['secret'])).secret;
    if (revealed === undefined) throw new Error(`identity key ${name} is unreadable`);
    await store.run('DELETE FROM identity_secrets WHERE name = ?', [legacySecretNames[name]]);
    return { secret: revealed, publicText: (existing.public_text as string | null) ?? null };
  }
  const made = (await legacyKey(store, tables, name)) ?? (await create());
  const columns = await table.protect(name, { secret: made.secret });
  // Two processes may race to create it: the first insert wins and both read the winner back.
  await store.run(`INSERT INTO identity_keys (name, ${column}, public_text, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`, [name, columns[column] ?? null, made.publicText ?? null, now]);
  return loadOrCreateKey(store, tables, name, () => Promise.reject(new Error('identity key vanished')), now);
}

export async function personalDataProtection(store: Store, keyring: Keyring): Promise<PersonalDataProtection> {
  const customers = new ProtectedTable(keyring, customersSpec);
  const tables: KeyTables = {
    'customer-token': new ProtectedTable(keyring, identityKeySpecs['customer-token']),
    'device-ca': new ProtectedTable(keyring, identityKeySpecs['device-ca']),
    legacy: new ProtectedTable(keyring, legacySpec),
  };
  await customers.register(store);
  for (const table of Object.values(tables)) await table.register(store);
  const phoneBytes = (phone: string) => Buffer.from(normalise('phone', phone), 'utf8');
  return {
    protectCustomer: (id, values) => customers.protect(id, values),
    revealCustomer: (id, row, fields) => customers.reveal(id, row, fields),
    lookupCustomer: (field, value) => customers.lookup(field, value),
    phoneIndex: (phone) => keyring.blindIndex('blind-index', phoneBytes(phone)),
    phoneIndexCandidates: (phone) => keyring.blindIndexCandidates('blind-index', phoneBytes(phone)),
    identityKey: (name, create) => loadOrCreateKey(store, tables, name, create, Date.now()),
  };
}
