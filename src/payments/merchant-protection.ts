// Field protection of merchants' secrets through the keyring (src/crypto): the settlement bank
// account (sealed, with a blind index) and each API key's request-signing key (sealed).
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { cryptoProfile } from '../crypto/index.ts';
import { ProtectedTable } from '../crypto/field-protection.ts';
import { Kek, loadKek } from '../crypto/kek.ts';
import { Keyring } from '../crypto/keyring.ts';
import type { Store } from '../store/index.ts';

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

const opened = new WeakMap<Store, Promise<MerchantProtection>>();

/** The deployment's keyring (in tests without a KEK an ephemeral one), opened once per store. */
export function merchantProtectionFor(store: Store, config: Config): Promise<MerchantProtection> {
  let protection = opened.get(store);
  if (protection === undefined) {
    protection = (async () => {
      const kek = config.environment === 'test' && config.kek === undefined && config.kekFile === undefined ? new Kek(randomBytes(32), 'ephemeral test KEK') : loadKek(config);
      const result = merchantProtectionWith(await Keyring.open({ store, kek, profile: cryptoProfile(config.cryptoProfile) }));
      await result.merchants.register(store);
      await result.apiKeys.register(store);
      return result;
    })();
    opened.set(store, protection);
  }
  return protection;
}
