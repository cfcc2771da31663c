// Identifiers: a prefix saying what it is, then 10 characters of time (sorts by creation, which
// keeps cursor pagination and B-tree inserts cheap) and 16 of randomness (80 bits).
import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

export function newId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (const byte of bytes) random += alphabet[byte % 32];
  return `${prefix}_${time}${random}`;
}

export const idPattern = '^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$';
