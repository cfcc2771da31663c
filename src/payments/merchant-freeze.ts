// A merchant frozen by a sanctions hit (docs/sanctions.md "Merchants") opens no order and refunds
// nothing until its case is decided: the merchant's request is refused with `merchant_frozen` and the
// refusal audited, so what a frozen merchant tried is on record.
import { appendAudit } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { merchantFrozen } from '../sanctions/index.ts';
import type { Store } from '../store/index.ts';

/** Throws `merchant_frozen` (audited as the merchant's denied `action`) when a case freezes the merchant. */
export async function refuseIfMerchantFrozen(
  store: Store,
  merchantId: string,
  request: { readonly action: 'order.create' | 'refund.request'; readonly target: string | null; readonly now: number },
): Promise<void> {
  if (!(await merchantFrozen(store, merchantId))) return;
  const { action, target, now } = request;
  const details = { code: 'merchant_frozen' };
  await store.transaction((tx) =>
    appendAudit(tx, [{ actorType: 'merchant', actorId: merchantId, action, target, outcome: 'denied', details }], now),
  );
  throw new AnfuError('merchant_frozen');
}
