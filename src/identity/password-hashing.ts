// argon2id with the cost from configuration. A hash made with an older cost still verifies, and is
// replaced at the next successful login (`needsRehash`), so raising the cost needs no migration.
import { hash, verify } from '@node-rs/argon2';

/** Algorithm.Argon2id of @node-rs/argon2 (an ambient const enum, which isolated modules cannot read). */
const argon2id = 2;

export interface Argon2Cost {
  readonly memoryKib: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export function hashPassword(password: string, cost: Argon2Cost): Promise<string> {
  return hash(password, { algorithm: argon2id, memoryCost: cost.memoryKib, timeCost: cost.timeCost, parallelism: cost.parallelism });
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** True when the stored hash was made with other parameters than the configured ones. */
export function needsRehash(stored: string, cost: Argon2Cost): boolean {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
  if (match === null) return true;
  return Number(match[1]) !== cost.memoryKib || Number(match[2]) !== cost.timeCost || Number(match[3]) !== cost.parallelism;
}

const dummyHashes = new Map<string, Promise<string>>();

/** A hash to verify against when the account does not exist, so timing does not reveal it. */
export function dummyHash(cost: Argon2Cost): Promise<string> {
  const key = `${cost.memoryKib}/${cost.timeCost}/${cost.parallelism}`;
  let made = dummyHashes.get(key);
  if (made === undefined) {
    made = hashPassword('anfu-timing-equaliser', cost);
    dummyHashes.set(key, made);
  }
  return made;
}
