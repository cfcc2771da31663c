// Merchant fees: a rate in basis points per merchant, rounded half-up to the minor unit, never more
// than the amount. Integer arithmetic only.

export const basisPointsPerUnit = 10_000n;

/** fee = round_half_up(amount × feeBps / 10 000), clamped to [0, amount]. */
export function feeOf(amountMinor: bigint, feeBps: number): bigint {
  if (amountMinor <= 0n) throw new Error('fee: amount must be positive');
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new Error('fee: rate must be 0–10000 basis points');
  const scaled = amountMinor * BigInt(feeBps);
  const fee = (scaled + basisPointsPerUnit / 2n) / basisPointsPerUnit;
  return fee > amountMinor ? amountMinor : fee;
}
