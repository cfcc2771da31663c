// Intraday camt.054 debit/credit notifications: the bank's word that a payment was booked (a debit
// of one of our accepted payments: recorded) or returned (a credit naming one of our end-to-end ids:
// the money comes back from the settlement account to the wallet or merchant account it left, and
// the payment is `returned`, and the amount is recorded as a credit for the next clearing run to
// net). A booked entry quoting none of our payments (and not a bank charge) is announced: it moves through
// the in-transit account now and the end-of-day statement settles it (notified-entries.ts, the two step);
// anything else waits for the statement, where reconciliation classifies it.
// One transaction per file; a file for another account is refused.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { LedgerTransaction, TransferRequest } from '../ledger/index.ts';
import type { Tx } from '../store/index.ts';
import { registerBankFile, sealBankFile, streamCamt, type TextSource } from './bank-files.ts';
import { ClearingRefused, post, withinLedger, type ClearingContext } from './context.ts';
import { instructionColumns, instructionOf, setInstructionState } from './instructions.ts';
import { requirePartner, type Partner } from './partners.ts';
import { announceEntry } from './notified-entries.ts';
import { recordIncoming } from './run.ts';
import type { CamtEntry, CamtHeader } from './camt.ts';

export interface NotificationOutcome {
  readonly fileId: string;
  readonly booked: number;
  readonly returned: number;
  readonly unknown: number;
  /** Of the unknown: booked entries moved through in-transit, for the statement to settle. */
  readonly announced: number;
}

/** A bank charge (family/sub-family CHRG, FEES, COMM): classified by the statement, never announced. */
export const isBankCharge = (e: CamtEntry): boolean =>
  e.bankCode !== undefined && /(^|\/)(CHRG|FEES|COMM)(\/|$)/.test(e.bankCode);

const announceable = (e: CamtEntry): boolean => e.status === 'BOOK' && !e.reversal && !isBankCharge(e);

export function checkStatementAccount(partner: Partner, header: CamtHeader, kind: 'camt.053' | 'camt.054'): void {
  if (header.kind !== kind)
    throw new ClearingRefused('bank_file_unsupported', `expected a ${kind}, got a ${header.kind}`);
  if (header.account !== partner.accountNumber)
    throw new ClearingRefused('bank_file_wrong_account', "the file is for another account than this partner's");
  if (header.accountCurrency !== '' && header.accountCurrency !== partner.currency)
    throw new ClearingRefused('bank_file_wrong_account', 'the file is for an account in another currency');
}

export const isReturn = (e: CamtEntry): boolean =>
  e.direction === 'credit' &&
  (e.bankCode?.endsWith('/RRTN') === true || e.details.some((d) => d.returnReason !== undefined));

interface NotificationRun {
  readonly ctx: ClearingContext;
  readonly tx: Tx;
  readonly ledgerTx: LedgerTransaction;
  readonly partner: Partner;
  readonly audit: AuditEvent[];
  readonly now: number;
  fileId: string;
}

type EntryClass = 'returned' | 'booked' | 'announced' | 'unknown';

/** A return is reversed to the account the payment left; an unknown booking is announced; the rest is counted. */
async function applyEntry(r: NotificationRun, e: CamtEntry): Promise<EntryClass> {
  const { tx, partner, now } = r;
  if (e.currency !== partner.currency)
    throw new ClearingRefused('bank_file_wrong_account', 'an entry in another currency than the account');
  const e2e = e.details.find((d) => d.endToEndId !== undefined)?.endToEndId;
  const row =
    e2e === undefined
      ? undefined
      : await tx.get(
          `SELECT ${instructionColumns} FROM clearing_instructions WHERE end_to_end_id = ? AND partner_id = ?`,
          [e2e, partner.id],
        );
  const i = row === undefined ? undefined : instructionOf(row);
  if (i?.state === 'accepted' && isReturn(e) && e.amount === i.amount) {
    const unit: TransferRequest[] = [
      {
        kind: 'single',
        key: `clearing:${i.id}:return`,
        debitAccountId: partner.settlementAccountId, creditAccountId: i.sourceAccountId, amount: i.amount,
        currency: i.currency, reference: i.endToEndId,
      },
    ];
    const [seqs] = await post(r.ctx, tx, r.ledgerTx, [unit], r.audit);
    await setInstructionState(tx, i.id, 'accepted', 'returned', now, {
      reason: e.details.find((d) => d.returnReason !== undefined)?.returnReason ?? 'RRTN',
      returnSeq: seqs?.[0] ?? null,
    });
    // The money the partner gave back is a credit in the next clearing run's net position.
    await recordIncoming(tx, {
      partnerId: partner.id, kind: 'return', reference: i.id, currency: i.currency, amount: i.amount,
    }, now);
    return 'returned';
  }
  if (i?.state === 'accepted' && e.direction === 'debit') return 'booked';
  if (i !== undefined || !announceable(e)) return 'unknown';
  await announceEntry(r.ctx, tx, r.ledgerTx, partner, r.fileId, e, r.audit, now);
  return 'announced';
}

export async function applyNotification(
  ctx: ClearingContext, partnerId: string, source: TextSource,
): Promise<NotificationOutcome> {
  const partner = await requirePartner(ctx.store, partnerId);
  const now = ctx.clock();
  return withinLedger(ctx.store, async (tx, ledgerTx) => {
    const counts: Record<EntryClass, number> = { returned: 0, booked: 0, announced: 0, unknown: 0 };
    let entries = 0;
    const audit: AuditEvent[] = [];
    const run: NotificationRun = { ctx, tx, ledgerTx, partner, audit, now, fileId: '' };
    const sha256 = await streamCamt(source, {
      async header(h) {
        checkStatementAccount(partner, h, 'camt.054');
        if (run.fileId === '')
          run.fileId = await registerBankFile(tx, {
            partnerId, kind: 'camt.054',
            identity: `${h.messageId}/${h.statementId}`,
            sha256: `pending:${h.messageId}/${h.statementId}`,
            now,
          });
      },
      async entry(_h, e) {
        entries += 1;
        counts[await applyEntry(run, e)] += 1;
      },
    });
    const { fileId } = run;
    const { booked, returned, announced } = counts;
    // Announced entries are unknown ones too: moved through in-transit, still to be attributed.
    const unknown = counts.unknown + announced;
    if (fileId === '') throw new ClearingRefused('bank_file_schema_invalid', 'a camt.054 without a notification');
    await sealBankFile(tx, fileId, sha256, entries);
    audit.push({
      actorType: 'system', actorId: 'system:clearing', action: 'clearing.notification.apply', target: partnerId,
      outcome: 'success',
      details: { fileId, booked, returned, unknown, announced },
    });
    await appendAudit(tx, audit, now);
    return { fileId, booked, returned, unknown, announced };
  });
}
