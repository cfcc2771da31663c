// Demo data for a first look: one partner bank with its settlement account, two customers' wallets,
// one merchant, and the platform's own revenue and fee accounts. Seeded once; a second run finds
// the bank account by its code and does nothing.
import type { Ledger } from '../ledger/index.ts';

export interface DemoAccounts {
  readonly seeded: boolean;
  readonly bank: string;
  readonly customers: readonly string[];
  readonly merchant: string;
}

const bankCode = 'bank_settlement:DEMOBANK:CNY';

export async function seedDemo(ledger: Ledger): Promise<DemoAccounts> {
  const existing = await ledger.accountByCode(bankCode);
  if (existing !== undefined) {
    const ids = async (code: string) => (await ledger.accountByCode(code))?.id ?? '(missing)';
    return { seeded: false, bank: existing.id, customers: [await ids('demo:customer:1'), await ids('demo:customer:2')], merchant: await ids('demo:merchant:1') };
  }
  const bank = await ledger.openAccount({ kind: 'bank_settlement', currency: 'CNY', name: 'Demo Bank settlement (CNY)', code: bankCode, ownerId: 'bank_demo' });
  await ledger.openAccount({ kind: 'platform_revenue', currency: 'CNY', name: 'Platform revenue (CNY)', code: 'platform:revenue:CNY' });
  await ledger.openAccount({ kind: 'fees', currency: 'CNY', name: 'Fees collected (CNY)', code: 'platform:fees:CNY' });
  await ledger.openAccount({ kind: 'suspense', currency: 'CNY', name: 'Suspense (CNY)', code: 'platform:suspense:CNY' });
  const customers = [];
  for (const n of [1, 2]) {
    const wallet = await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: `Demo customer ${n} wallet`, code: `demo:customer:${n}` });
    const outcome = await ledger.submit({ kind: 'single', key: `demo:fund:${n}`, debitAccountId: bank.id, creditAccountId: wallet.id, amount: 100_000n * BigInt(n), currency: 'CNY', reference: 'demo funding' });
    if (!outcome.ok) throw new Error(`demo funding failed: ${outcome.code}`);
    customers.push(wallet.id);
  }
  const merchant = await ledger.openAccount({ kind: 'merchant', currency: 'CNY', name: 'Demo merchant', code: 'demo:merchant:1' });
  return { seeded: true, bank: bank.id, customers, merchant: merchant.id };
}
