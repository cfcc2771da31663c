// System trace audit numbers (ISO 8583 field 11) from the database: 000001..999999, unique per UTC
// day across every process and restart, so a reversal or a status query after a crash names exactly
// one request. One row per day; the upsert both creates the day and takes the next number.
import { AnfuError } from '../../errors.ts';
import { toNumber, type Queryable } from '../../store/index.ts';

export const stanMax = 999_999;

export function stanDayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

export async function nextStan(q: Queryable, now: number): Promise<string> {
  const row = await q.get<{ last_stan: unknown }>(
    'INSERT INTO card_stans (day, last_stan) VALUES (?, 1) ON CONFLICT (day) DO UPDATE SET last_stan = card_stans.last_stan + 1 WHERE card_stans.last_stan < ? RETURNING last_stan',
    [stanDayOf(now), stanMax],
  );
  // A millionth card message in one day: nothing is sent rather than a STAN repeated.
  if (row === undefined) throw new AnfuError('card_issuer_unavailable', 'the day’s trace numbers are used up');
  return String(toNumber(row.last_stan)).padStart(6, '0');
}
