// What clearing works with: the store and ledger, a clock, the file signer of the deployment's crypto
// profile (SM2/SM3 under gm), and field protection for creditors' bank account numbers.
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/index.ts';
import { AnfuError } from '../errors.ts';
import { appendAudit } from '../audit/index.ts';
import { ProtectedTable, type CryptoProfile, type Keyring, type PrivateKey } from '../crypto/index.ts';
import type { Ledger, LedgerTransaction, TransferRequest } from '../ledger/index.ts';
import type { Store, Tx } from '../store/index.ts';
import type { HoldLimits } from './hold-case.ts';

export interface FileSignature {
  readonly sha256: string;
  readonly algorithm: string;
  /** base64 of the profile's signature over the file's bytes. */
  readonly signature: string;
}

export interface FileSigner {
  sign(body: string): Promise<FileSignature>;
}

/** Hashes (SHA-256 for identity, the profile's hash inside the signature) and signs with the profile's key. */
export function profileFileSigner(profile: CryptoProfile, key: PrivateKey): FileSigner {
  return {
    async sign(body) {
      const bytes = Buffer.from(body, 'utf8');
      return {
        sha256: sha256Hex(bytes),
        algorithm: profile.signatureAlgorithms[0] ?? profile.name,
        signature: profile.sign(key, bytes).toString('base64'),
      };
    },
  };
}

/** The deployment's signer: the keyring's `bank-file-signing` key, of the configured profile. */
export function keyringFileSigner(keyring: Keyring, profile: CryptoProfile): FileSigner {
  return {
    async sign(body) {
      const bytes = Buffer.from(body, 'utf8');
      const { version, signature } = await keyring.sign('bank-file-signing', bytes);
      return {
        sha256: sha256Hex(bytes),
        algorithm: `${profile.signatureAlgorithms[0] ?? profile.name}:v${version}`,
        signature: signature.toString('base64'),
      };
    },
  };
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface ClearingContext {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly clock: () => number;
  readonly signer: FileSigner;
  /** clearing_instructions.creditor_account_sealed through the keyring. */
  readonly creditorAccounts: ProtectedTable<'creditorAccount'>;
  /** The merchant's settlement account, revealed for its payout (payments' field protection). */
  readonly merchantAccount: (merchantId: string) => Promise<string | undefined>;
  /** Held instructions older than this open a case; without it they only wait (tests, the CLI). */
  readonly holds?: HoldLimits | undefined;
}

/** One transaction for rows and ledger postings together (the ledger's door has it). */
export { withinLedger } from '../ledger/index.ts';

/** Posts linked units inside the transaction; any refusal aborts the whole file or run. */
export async function post(
  ctx: ClearingContext,
  tx: Tx,
  ledgerTx: LedgerTransaction,
  units: readonly (readonly TransferRequest[])[],
  audit: AuditEvent[],
): Promise<bigint[][]> {
  const outcomes = await ctx.ledger.applyWithin(ledgerTx, units, audit);
  return outcomes.map((o) => {
    if (!o.ok) throw new ClearingRefused('clearing_posting_refused', `the ledger refused a posting: ${o.code}`);
    return o.transfers.map((t) => t.seq);
  });
}

export async function finishAudit(tx: Tx, events: AuditEvent[], now: number): Promise<void> {
  await appendAudit(tx, events, now);
}

export type ClearingCode =
  | 'partner_not_found'
  | 'partner_exists'
  | 'clearing_posting_refused'
  | 'clearing_instruction_invalid'
  | 'clearing_four_eyes_required'
  | 'bank_file_unknown_batch'
  | 'bank_file_replayed'
  | 'bank_file_wrong_account'
  | 'bank_file_schema_invalid'
  | 'bank_file_unsupported'
  | 'bank_file_malformed'
  | 'bank_file_entities_refused'
  | 'bank_file_too_large'
  | 'bank_file_amount_precision'
  | 'break_not_found'
  | 'break_resolved';

/** A refusal with its registered problem code (src/errors.ts), so the HTTP edge and the CLI render it. */
export class ClearingRefused extends AnfuError {
  declare readonly code: ClearingCode;
  constructor(code: ClearingCode, detail: string) {
    super(code, detail);
    this.name = 'ClearingRefused';
  }
}

export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const isoDateTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export function addDays(date: string, days: number): string {
  return isoDate(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000);
}

/** Creditors' bank account numbers in clearing_instructions, sealed under the keyring's personal-data key. */
export function creditorAccountProtection(keyring: Keyring): ProtectedTable<'creditorAccount'> {
  return new ProtectedTable(keyring, {
    table: 'clearing_instructions',
    idColumn: 'id',
    fields: { creditorAccount: { column: 'creditor_account_sealed', normaliser: 'bank-account' } },
  });
}
