// The 18-character resident identity number of GB 11643-1999: a 6-digit administrative region
// code, the birth date (YYYYMMDD), a 3-digit sequence (odd for men) and an ISO 7064 MOD 11-2 check
// character (0–9 or X). Pure: the clock is passed in for the adult-age rule.

const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const checkCharacters = '10X98765432';
/** First two digits of the region code: the provinces, autonomous regions and municipalities of GB/T 2260. */
const provinceCodes = new Set(['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82']);
export const adultAgeYears = 18;
/** Birth dates are read on the calendar of China Standard Time (UTC+8). */
const chinaOffsetMs = 8 * 3600_000;

export type ResidentIdProblem = 'format' | 'region' | 'birth_date' | 'check_digit';

export interface ResidentId {
  /** Normalised: digits and an upper-case X. */
  readonly number: string;
  readonly birthDate: { readonly year: number; readonly month: number; readonly day: number };
}

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (weights[i] ?? 0);
  return checkCharacters[sum % 11] ?? '?';
}

function birthDateOf(number: string, now: number): ResidentId['birthDate'] | undefined {
  const year = Number(number.slice(6, 10));
  const month = Number(number.slice(10, 12));
  const day = Number(number.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (date.getTime() > now + chinaOffsetMs) return undefined;
  return { year, month, day };
}

export function parseResidentId(text: string, now: number): ResidentId | ResidentIdProblem {
  const number = text.normalize('NFKC').trim().toUpperCase();
  if (!/^[0-9]{17}[0-9X]$/.test(number)) return 'format';
  if (!provinceCodes.has(number.slice(0, 2)) || number.slice(2, 6) === '0000') return 'region';
  const birthDate = birthDateOf(number, now);
  if (birthDate === undefined) return 'birth_date';
  if (checkCharacter(number.slice(0, 17)) !== number[17]) return 'check_digit';
  return { number, birthDate };
}

export function ageOn(birthDate: ResidentId['birthDate'], now: number): number {
  const today = new Date(now + chinaOffsetMs);
  const year = today.getUTCFullYear();
  const beforeBirthday = today.getUTCMonth() + 1 < birthDate.month || (today.getUTCMonth() + 1 === birthDate.month && today.getUTCDate() < birthDate.day);
  return year - birthDate.year - (beforeBirthday ? 1 : 0);
}
