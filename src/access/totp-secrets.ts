// Operators' TOTP secrets at rest: login must compute codes from them, so they are sealed (not
// hashed) under the keyring's 'totp-secret' data key, with the operator id authenticated. Rows from
// before sealing hold the secret in the old TEXT column; `sealPlaintextTotpSecrets` moves them at start.
import { fieldContext, type Keyring } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import type { OperatorRow } from './store.ts';

export interface TotpSecrets {
  seal(operatorId: string, secret: string): Promise<Buffer>;
  /** The operator's secret, or undefined when the row holds none (it then matches no code). */
  open(operator: Pick<OperatorRow, 'id' | 'totpSecretSealed' | 'totpSecretPlain'>): Promise<string | undefined>;
}

const contextOf = (operatorId: string) => fieldContext('operators', 'totp_secret_sealed', operatorId);

export function totpSecretsWith(keyring: Keyring): TotpSecrets {
  return {
    seal: (operatorId, secret) => keyring.seal('totp-secret', Buffer.from(secret, 'ascii'), contextOf(operatorId)),
    async open(operator) {
      if (operator.totpSecretSealed !== null) return (await keyring.open('totp-secret', operator.totpSecretSealed, contextOf(operator.id))).toString('ascii');
      return operator.totpSecretPlain ?? undefined;
    },
  };
}

/** Seals every TOTP secret still stored in plain and empties the plain column; returns how many. */
export async function sealPlaintextTotpSecrets(store: Store, keyring: Keyring): Promise<number> {
  const rows = await store.all<{ id: string; totp_secret: string }>("SELECT id, totp_secret FROM operators WHERE totp_secret <> '' AND totp_secret_sealed IS NULL");
  let sealed = 0;
  for (const row of rows) {
    const id = String(row.id);
    const value = await keyring.seal('totp-secret', Buffer.from(String(row.totp_secret), 'ascii'), contextOf(id));
    sealed += await store.run("UPDATE operators SET totp_secret_sealed = ?, totp_secret = '' WHERE id = ? AND totp_secret = ? AND totp_secret_sealed IS NULL", [value, id, String(row.totp_secret)]);
  }
  if (sealed > 0) {
    const version = await keyring.activeVersion('totp-secret');
    await store.transaction((tx) => keyring.recordEvent(tx, { operation: 'rewrapped', purpose: 'totp-secret', version, detail: `sealed ${sealed} plaintext values in operators.totp_secret` }));
  }
  return sealed;
}
