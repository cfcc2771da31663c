// Test support: a clearing context over a test store — a keyring with a random KEK, the creditor
// account protection registered, an SM2 (gm profile) file signer, and merchants' accounts revealed
// through payments' own protection.
import { cryptoProfile, type Keyring, type PublicKey } from '../../crypto/index.ts';
import { testKeyring } from '../../crypto/testing.ts';
import type { Ledger } from '../../ledger/index.ts';
import { merchantProtectionWith, type MerchantProtection } from '../../payments/index.ts';
import type { Store } from '../../store/index.ts';
import { creditorAccountProtection, profileFileSigner, type ClearingContext } from '../context.ts';

export interface TestClearing {
  readonly ctx: ClearingContext;
  readonly keyring: Keyring;
  readonly merchants: MerchantProtection;
  readonly publicKey: PublicKey;
}

export async function testClearing(store: Store, ledger: Ledger, clock: () => number): Promise<TestClearing> {
  const keyring = await testKeyring(store);
  const creditorAccounts = creditorAccountProtection(keyring);
  await creditorAccounts.register(store);
  const merchants = merchantProtectionWith(keyring);
  await merchants.merchants.register(store);
  await merchants.apiKeys.register(store);
  const gm = cryptoProfile('gm');
  const pair = gm.generateSigningKeyPair();
  const merchantAccount = async (merchantId: string): Promise<string | undefined> => {
    const row = await store.get('SELECT id, settlement_account_sealed FROM merchants WHERE id = ?', [merchantId]);
    return row === undefined
      ? undefined
      : (await merchants.merchants.reveal(merchantId, row, ['settlementAccount'])).settlementAccount;
  };
  return {
    ctx: { store, ledger, clock, signer: profileFileSigner(gm, pair.privateKey), creditorAccounts, merchantAccount },
    keyring,
    merchants,
    publicKey: pair.publicKey,
  };
}
