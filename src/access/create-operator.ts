// Creating an operator: a generated password (argon2id) and TOTP secret, shown once to whoever
// creates the account and never stored in the clear (the TOTP secret must stay readable to verify
// codes, so it is sealed under the keyring's 'totp-secret' key). The first administrator comes from the CLI; later operators from an administrator.
import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { newId } from '../ids.ts';
import type { Store } from '../store/index.ts';
import { audit, systemActor, type Actor } from './actor.ts';
import type { OperatorRole } from './api-tokens.ts';
import { countAdministrators, insertOperator, operatorByName } from './store.ts';
import { newTotpSecret, otpauthUriOf } from './totp.ts';
import type { TotpSecrets } from './totp-secrets.ts';

export const operatorNameRegex = /^[a-z0-9][a-z0-9._-]{2,63}$/;
export const operatorNamePattern = operatorNameRegex.source;

export interface CreatedOperator {
  readonly id: string;
  readonly name: string;
  readonly role: OperatorRole;
  /** Secrets shown once: never stored in the clear, never logged. */
  readonly password: string;
  readonly totpSecret: string;
  readonly otpauthUri: string;
}

export type CreateOperatorOutcome = { readonly ok: true; readonly operator: CreatedOperator } | { readonly ok: false; readonly code: 'operator_exists' | 'validation_failed' };

/** argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's recommended minimum). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function createOperator(store: Store, totpSecrets: TotpSecrets, actor: Actor, input: { name: string; role: OperatorRole }, now: number): Promise<CreateOperatorOutcome> {
  if (!operatorNameRegex.test(input.name)) return { ok: false, code: 'validation_failed' };
  const password = randomBytes(18).toString('base64url');
  const totpSecret = newTotpSecret();
  const passwordHash = await hashPassword(password);
  const id = newId('opr', now);
  // Sealed before the transaction: the keyring may read the store (load, decide, persist).
  const totpSecretSealed = await totpSecrets.seal(id, totpSecret);
  const created = await store.transaction(async (tx) => {
    if ((await operatorByName(tx, input.name)) !== undefined) {
      await audit(tx, actor, [{ action: 'operator.create', target: null, outcome: 'failure', details: { reason: 'operator_exists', role: input.role } }], now);
      return false;
    }
    await insertOperator(tx, { id, name: input.name, role: input.role, passwordHash, totpSecretSealed, createdAt: now });
    await audit(tx, actor, [{ action: 'operator.create', target: id, outcome: 'success', details: { role: input.role } }], now);
    return true;
  });
  if (!created) return { ok: false, code: 'operator_exists' };
  return { ok: true, operator: { id, name: input.name, role: input.role, password, totpSecret, otpauthUri: otpauthUriOf(totpSecret, input.name) } };
}

/** `anfu operators create-admin`: only while no active administrator exists, so it cannot mint a second one. */
export async function createFirstAdministrator(store: Store, totpSecrets: TotpSecrets, name: string, now: number): Promise<CreateOperatorOutcome | { readonly ok: false; readonly code: 'administrator_exists' }> {
  if ((await countAdministrators(store)) > 0) return { ok: false, code: 'administrator_exists' };
  return createOperator(store, totpSecrets, systemActor, { name, role: 'administrator' }, now);
}
