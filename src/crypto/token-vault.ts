// The card token vault (PCI DSS 3.x): a PAN enters only to be tokenised. It is Luhn-checked, sealed
// under the vault's own data key ('card-vault', never the personal-data key), and replaced by a random
// token; outside the vault only the token and the masked PAN (first 6 / last 4) exist. The security
// code (CVV/CVC) is not part of the input type and is never read, so it cannot reach storage or logs.
// Detokenisation is one narrow function that names its purpose and is recorded in vault_access.
import { luhnValid, maskPan, panLengthMax as panDigitsMax, panLengthMin as panDigitsMin } from '../cards/index.ts';
import { randomBytes } from 'node:crypto';
import type { Tx } from '../store/index.ts';
import { fieldContext } from './envelope.ts';
import type { Keyring } from './keyring.ts';
import { KeyringError } from './keyring-errors.ts';


/** What a caller may hand the vault. Deliberately no field for the security code. */
export interface CardInput {
  readonly pan: string;
  readonly expiryMonth?: number;
  readonly expiryYear?: number;
}

export interface CardToken {
  readonly token: string;
  /** First 6 and last 4 digits; the rest masked. The most of a PAN that may be displayed. */
  readonly maskedPan: string;
}

/** The only reasons a PAN may leave the vault: the card paths that must send it to the card bank. */
export const detokenisePurposes = ['card_authorisation', 'card_refund', 'card_payout'] as const;
export type DetokenisePurpose = (typeof detokenisePurposes)[number];

export interface VaultAccess {
  readonly at: number;
  readonly token: string;
  readonly purpose: DetokenisePurpose;
  readonly actor: string;
  readonly outcome: 'granted' | 'not_found';
}

/** Called in the transaction that records the access, so it can be routed to the audit log. */
export type VaultAccessSink = (tx: Tx, access: VaultAccess) => Promise<void>;

export interface VaultLog {
  info(details: Record<string, unknown>, message: string): void;
}

export interface TokenVaultOptions {
  readonly clock?: () => number;
  readonly log?: VaultLog;
  readonly onAccess?: VaultAccessSink;
}

/** The PAN's digits if it is 12–19 digits (spaces and dashes allowed) with a valid Luhn check digit. */
export function checkedPan(pan: unknown): string {
  const digits = typeof pan === 'string' ? pan.replace(/[\s-]/g, '') : '';
  if (!/^[0-9]+$/.test(digits) || digits.length < panDigitsMin || digits.length > panDigitsMax || !luhnValid(digits)) throw new KeyringError('card_number_invalid', `a card number is ${panDigitsMin}–${panDigitsMax} digits with a valid check digit`);
  return digits;
}


function expiryText(input: CardInput): string | undefined {
  const { expiryMonth: month, expiryYear: year } = input;
  if (month === undefined && year === undefined) return undefined;
  if (!Number.isInteger(month) || !Number.isInteger(year) || (month ?? 0) < 1 || (month ?? 0) > 12 || (year ?? 0) < 2000 || (year ?? 0) > 2099) {
    throw new KeyringError('card_number_invalid', 'the expiry is a month 1–12 and a four-digit year');
  }
  return `${String(month).padStart(2, '0')}/${year}`;
}

export class TokenVault {
  readonly #keyring: Keyring;
  readonly #clock: () => number;
  readonly #log: VaultLog | undefined;
  readonly #onAccess: VaultAccessSink | undefined;

  constructor(keyring: Keyring, options: TokenVaultOptions = {}) {
    this.#keyring = keyring;
    this.#clock = options.clock ?? Date.now;
    this.#log = options.log;
    this.#onAccess = options.onAccess;
  }

  /** Tokenises a card; the same PAN tokenised again gets its existing token (one sealed copy per card). */
  async tokenise(input: CardInput): Promise<CardToken> {
    // Only the two named fields are read: a security code or anything else in `input` is ignored.
    const pan = checkedPan(input.pan);
    const expiry = expiryText(input);
    const maskedPan = maskPan(pan);
    const candidates = await this.#keyring.blindIndexCandidates('card-fingerprint', Buffer.from(pan, 'ascii'));
    const existing = await this.#keyring.store.get<{ token: string }>(
      `SELECT token FROM card_vault WHERE pan_fingerprint IN (${candidates.map(() => '?').join(', ')}) ORDER BY created_at LIMIT 1`, candidates,
    );
    if (existing !== undefined) {
      this.#log?.info({ cardToken: existing.token, maskedPan }, 'card already in the vault');
      return { token: String(existing.token), maskedPan };
    }
    const token = `ctk_${randomBytes(18).toString('base64url')}`;
    const panSealed = await this.#keyring.seal('card-vault', Buffer.from(pan, 'ascii'), fieldContext('card_vault', 'pan_sealed', token));
    const expirySealed = expiry === undefined ? null : await this.#keyring.seal('card-vault', Buffer.from(expiry, 'ascii'), fieldContext('card_vault', 'expiry_sealed', token));
    const fingerprint = await this.#keyring.blindIndex('card-fingerprint', Buffer.from(pan, 'ascii'));
    await this.#keyring.store.run(
      'INSERT INTO card_vault (token, pan_sealed, pan_fingerprint, expiry_sealed, masked_pan, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [token, panSealed, fingerprint, expirySealed, maskedPan, this.#clock()],
    );
    this.#log?.info({ cardToken: token, maskedPan }, 'card tokenised');
    return { token, maskedPan };
  }

  /** What may be shown about a token: its masked PAN. */
  async describe(token: string): Promise<CardToken | undefined> {
    const row = await this.#keyring.store.get<{ masked_pan: string }>('SELECT masked_pan FROM card_vault WHERE token = ?', [token]);
    return row === undefined ? undefined : { token, maskedPan: String(row.masked_pan) };
  }

  /** The PAN (and expiry) for a card path that must send it on; every call, granted or not, is recorded. */
  async detokenise(token: string, request: { purpose: DetokenisePurpose; actor: string }): Promise<{ pan: string; expiry: string | undefined }> {
    if (!(detokenisePurposes as readonly string[]).includes(request.purpose)) throw new KeyringError('keyring_unknown_purpose', 'not a detokenisation purpose');
    const row = await this.#keyring.store.transaction(async (tx) => {
      const found = await tx.get<{ pan_sealed: Buffer; expiry_sealed: Buffer | null }>('SELECT pan_sealed, expiry_sealed FROM card_vault WHERE token = ?', [token]);
      const access: VaultAccess = { at: this.#clock(), token, purpose: request.purpose, actor: request.actor, outcome: found === undefined ? 'not_found' : 'granted' };
      await tx.run('INSERT INTO vault_access (at, token, purpose, actor, outcome) VALUES (?, ?, ?, ?, ?)', [access.at, token, access.purpose, access.actor, access.outcome]);
      if (this.#onAccess !== undefined) await this.#onAccess(tx, access);
      return found;
    });
    this.#log?.info({ cardToken: token, purpose: request.purpose, actor: request.actor, granted: row !== undefined }, 'card detokenisation');
    if (row === undefined) throw new KeyringError('card_token_not_found');
    const pan = await this.#keyring.open('card-vault', row.pan_sealed, fieldContext('card_vault', 'pan_sealed', token));
    const expiry = row.expiry_sealed === null ? undefined : await this.#keyring.open('card-vault', row.expiry_sealed, fieldContext('card_vault', 'expiry_sealed', token));
    return { pan: pan.toString('ascii'), expiry: expiry?.toString('ascii') };
  }
}
