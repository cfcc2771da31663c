// Card top-ups in clearing (docs/banks.md): a completed top-up is money the card link's partner owes us, so
// its completion records a `card_capture` credit for the next clearing run to net — in the transaction that
// makes it `succeeded`, once per top-up (idempotent on its id). A reversed top-up withdraws its credit (or,
// already netted, makes it owed back) in the transaction that makes it `reversed`.
import {
  partnerForCardBank, recordIncoming, reverseIncoming, type IncomingReversal,
} from '../clearing/index.ts';
import type { FundingPayment } from '../payments/index.ts';
import type { Tx } from '../store/index.ts';

type TopUp = Pick<FundingPayment, 'id' | 'bank' | 'currency' | 'amount'>;

/** The partner's id when one clears this bank and currency; a bank with no partner has nothing to net. */
export async function recordTopUpCapture(tx: Tx, topUp: TopUp, now: number): Promise<string | undefined> {
  const partner = await partnerForCardBank(tx, topUp.bank, topUp.currency);
  if (partner === undefined) return undefined;
  await recordIncoming(tx, {
    partnerId: partner.id, kind: 'card_capture', reference: topUp.id, currency: topUp.currency, amount: topUp.amount,
  }, now);
  return partner.id;
}

export async function withdrawTopUpCapture(tx: Tx, topUp: TopUp, now: number): Promise<IncomingReversal> {
  const partner = await partnerForCardBank(tx, topUp.bank, topUp.currency);
  if (partner === undefined) return 'not_recorded';
  return reverseIncoming(tx, { partnerId: partner.id, kind: 'card_capture', reference: topUp.id }, now);
}
