// The clearing context of a deployment: the app's store, ledger and keyring; files signed with the
// keyring's `bank-file-signing` key under the configured crypto profile (SM2 under gm); creditor
// accounts sealed through field protection; merchants' settlement accounts from payments' protection;
// instructions held by the net debit cap past ANFU_CLEARING_HOLD_MAX_MS open a `clearing_hold` case,
// closed when a later run batches them.
import { systemActor } from '../access/index.ts';
import { closeResolvedElsewhere, openCase } from '../cases/index.ts';
import { creditorAccountProtection, keyringFileSigner, type ClearingContext } from '../clearing/index.ts';
import type { Config } from '../config.ts';
import { cryptoProfile, type Keyring } from '../crypto/index.ts';
import type { Ledger } from '../ledger/index.ts';
import { merchantProtectionFor } from '../payments/index.ts';
import type { Store } from '../store/index.ts';

export async function clearingContextFor(parts: {
  store: Store;
  ledger: Ledger;
  keyring: Keyring;
  config: Config;
  clock?: () => number;
}): Promise<ClearingContext> {
  const { store, ledger, keyring, config } = parts;
  const creditorAccounts = creditorAccountProtection(keyring);
  await creditorAccounts.register(store);
  const merchantAccount = async (merchantId: string): Promise<string | undefined> => {
    const protection = await merchantProtectionFor(keyring);
    const row = await store.get('SELECT id, settlement_account_sealed FROM merchants WHERE id = ?', [merchantId]);
    return row === undefined
      ? undefined
      : (await protection.merchants.reveal(merchantId, row, ['settlementAccount'])).settlementAccount;
  };
  return {
    store,
    ledger,
    clock: parts.clock ?? Date.now,
    signer: keyringFileSigner(keyring, cryptoProfile(config.cryptoProfile)),
    creditorAccounts,
    merchantAccount,
    holds: {
      maxMs: config.clearingHoldMaxMs,
      open: openCase,
      close: (tx, subject, reason, now) => closeResolvedElsewhere(tx, subject, reason, systemActor, now),
    },
  };
}
