// Field protection of merchants' secrets through the keyring (src/crypto): the settlement bank
// account (sealed, with a blind index) and each API key's request-signing key (sealed), always
// through the app's one keyring (AppContext.keyring).
import { ProtectedTable, type Keyring } from '../crypto/index.ts';

export interface MerchantProtection {
  readonly merchants: ProtectedTable<'settlementAccount'>;
  readonly apiKeys: ProtectedTable<'signingKey'>;
}

export function merchantProtectionWith(keyring: Keyring): MerchantProtection {
  return {
    merchants: new ProtectedTable(keyring, { table: 'merchants', idColumn: 'id', fields: { settlementAccount: { column: 'settlement_account_sealed', normaliser: 'bank-account', blindIndexColumn: 'settlement_account_bidx' } } }),
    apiKeys: new ProtectedTable(keyring, { table: 'merchant_api_keys', idColumn: 'id', fields: { signingKey: { column: 'signing_key_sealed', normaliser: 'exact' } } }),
  };
}

const opened = new WeakMap<Keyring, Promise<MerchantProtection>>();

/** The protection over the app's one keyring, its columns registered once per keyring. */
export function merchantProtectionFor(keyring: Keyring): Promise<MerchantProtection> {
  let protection = opened.get(keyring);
  if (protection === undefined) {
    protection = (async () => {
      const result = merchantProtectionWith(keyring);
      await result.merchants.register(keyring.store);
      await result.apiKeys.register(keyring.store);
      return result;
    })();
    // A failed registration is not remembered: the next request tries again.
    protection.catch(() => opened.delete(keyring));
    opened.set(keyring, protection);
  }
  return protection;
}
