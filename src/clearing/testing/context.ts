// Test support: a clearing context over a test store — a keyring with a random KEK, the creditor
// account protection registered, an SM2 (gm profile) file signer, and merchants' accounts revealed
// through payments' own protection.
import { cryptoProfile, type Keyring, type PublicKey } from '../../crypto/index.ts';
import { testKeyring } from '../../crypto/testing.ts';
import type { Ledger } from '../../ledger/index.ts';
import { merchantProtectionWith, type MerchantProtection } from '../../payments/index.ts';
import type { Store } from '../../store/index.ts';
import { creditorAccountProtection, profileFileSigner, type ClearingContext } from '../context.ts';
import { requestTransferOut, type Instruction } from '../instructions.ts';

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

/**
 * A customer wallet funded with 100,000 from a bank account, and a maker of withdrawals from it to the
 * partner, each a second after the last (`advance` moves the test's clock). Keys and creditor
 * accounts are numbered from `tag`, so two tests on one store never collide.
 */
export async function fundedWithdrawals(
  ctx: ClearingContext, ledger: Ledger, partnerId: string, ownerId: string, tag: string, advance: () => void,
): Promise<{ readonly walletId: string; out(amount: bigint, n: number): Promise<Instruction> }> {
  const funding = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Top-ups' });
  const wallet = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: 'W', ownerId });
  const funded = await ledger.submit({
    kind: 'single', key: `fund-${tag}`, debitAccountId: funding.id, creditAccountId: wallet.id, amount: 100_000n,
    currency: 'CNY',
  });
  if (!funded.ok) throw new Error('the test wallet could not be funded');
  const out = async (amount: bigint, n: number): Promise<Instruction> => {
    advance();
    return requestTransferOut(ctx, {
      kind: 'withdrawal', partnerId, ownerId, sourceAccountId: wallet.id, amount,
      creditorName: `Payee ${n}`, creditorAccount: `6217000${tag.length}${n.toString().padStart(7, '0')}`,
      creditorAgent: '102100099996', key: `${tag}-${n}`, actorId: ownerId,
    });
  };
  return { walletId: wallet.id, out };
}
