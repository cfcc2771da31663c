// Idempotency keys per intent: one key for one thing the caller means to do ("refund order 42 by
// 5.00"), reused by every retry of it, and a different key for a different intent. `keyForIntent` is
// stable across processes (a hash of namespace and intent), so a merchant that crashed and retries
// after a restart sends the same key; `IdempotencyKeys` remembers random keys within one process.

const pattern = /^[A-Za-z0-9_.:-]{8,128}$/;

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');

/** A fresh random key (22 characters of base64url). */
export function newIdempotencyKey(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** The same key for the same (namespace, intent), everywhere: SHA-256, base64url, 43 characters. */
export async function keyForIntent(namespace: string, intent: string): Promise<string> {
  const data = new TextEncoder().encode(`${namespace}\u0000${intent}`);
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}

export function isIdempotencyKey(key: string): boolean {
  return pattern.test(key);
}

/** Random keys remembered per intent for the life of this object (a retry loop, a UI flow). */
export class IdempotencyKeys {
  readonly #keys = new Map<string, string>();

  keyFor(intent: string): string {
    let key = this.#keys.get(intent);
    if (key === undefined) {
      key = newIdempotencyKey();
      this.#keys.set(intent, key);
    }
    return key;
  }

  /** The intent is done (succeeded or definitively refused): a new attempt gets a new key. */
  forget(intent: string): void {
    this.#keys.delete(intent);
  }
}
