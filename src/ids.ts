// Identifiers: a prefix saying what it is, then 10 characters of time (sorts by creation, which
// keeps cursor pagination and B-tree inserts cheap) and 16 of randomness (80 bits).
import { randomFillSync } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
const randomCharacters = 16;

// The randomness comes from the system generator in blocks of 256 ids' worth (one call where there was
// one per id, which cost a payment batch a call per id it made); every byte of a block is used once,
// for one id, so ids are exactly as unpredictable as before and a block is never reused.
const randomBlockBytes = 256 * randomCharacters;
const block = Buffer.allocUnsafe(randomBlockBytes);
let blockUsed = randomBlockBytes;

export function newId(prefix: string, nowMs: number = Date.now()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  if (blockUsed + randomCharacters > randomBlockBytes) {
    randomFillSync(block);
    blockUsed = 0;
  }
  let random = '';
  for (let i = blockUsed; i < blockUsed + randomCharacters; i++) random += alphabet[(block[i] as number) % 32];
  blockUsed += randomCharacters;
  return `${prefix}_${time}${random}`;
}

export const idPattern = '^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$';
