// Intraday camt.054 debit/credit notifications: the bank's word that a payment was booked (a debit
// of one of our accepted payments: recorded) or returned (a credit naming one of our end-to-end ids:
// the money comes back from the settlement account to the wallet or merchant account it left, and
// the payment is `returned`, and the amount is recorded as a credit for the next clearing run to
// net). Entries we do not know wait for the end-of-day statement, where reconciliation classifies them.
// One transaction per file; a file for another account is refused.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { TransferRequest } from '../ledger/index.ts';
import { registerBankFile, sealBankFile, streamCamt, type TextSource } from './bank-files.ts';
import { ClearingRefused, post, withinLedger, type ClearingContext } from './context.ts';
import { instructionColumns, instructionOf, setInstructionState } from './instructions.ts';
import { requirePartner, type Partner } from './partners.ts';
import { recordIncoming } from './run.ts';
import type { CamtEntry, CamtHeader } from './camt.ts';

export interface NotificationOutcome {
  readonly fileId: string;
  readonly booked: number;
  readonly returned: number;
  readonly unknown: number;
}

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

export async function applyNotification(
  ctx: ClearingContext, partnerId: string, source: TextSource,
): Promise<NotificationOutcome> {
  const partner = await requirePartner(ctx.store, partnerId);
  const now = ctx.clock();
  return withinLedger(ctx.store, async (tx, ledgerTx) => {
    let fileId = '';
    let booked = 0;
    let returned = 0;
    let unknown = 0;
    let entries = 0;
    const audit: AuditEvent[] = [];
    const sha256 = await streamCamt(source, {
      async header(h) {
        checkStatementAccount(partner, h, 'camt.054');
        if (fileId === '')
          fileId = await registerBankFile(tx, {
            partnerId, kind: 'camt.054',
            identity: `${h.messageId}/${h.statementId}`,
            sha256: `pending:${h.messageId}/${h.statementId}`,
            now,
          });
      },
      async entry(_h, e) {
        entries += 1;
        if (e.currency !== partner.currency)
          throw new ClearingRefused('bank_file_wrong_account', 'an entry in another currency than the account');
        const e2e = e.details.find((d) => d.endToEndId !== undefined)?.endToEndId;
        const row =
          e2e === undefined
            ? undefined
            : await tx.get(
                `SELECT ${instructionColumns} FROM clearing_instructions WHERE end_to_end_id = ? AND partner_id = ?`,
                [e2e, partnerId],
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
          const [seqs] = await post(ctx, tx, ledgerTx, [unit], audit);
          await setInstructionState(tx, i.id, 'accepted', 'returned', now, {
            reason: e.details.find((d) => d.returnReason !== undefined)?.returnReason ?? 'RRTN',
            returnSeq: seqs?.[0] ?? null,
          });
          // The money the partner gave back is a credit in the next clearing run's net position.
          await recordIncoming(tx, {
            partnerId, kind: 'return', reference: i.id, currency: i.currency, amount: i.amount,
          }, now);
          returned += 1;
        } else if (i?.state === 'accepted' && e.direction === 'debit') booked += 1;
        else unknown += 1;
      },
    });
    if (fileId === '') throw new ClearingRefused('bank_file_schema_invalid', 'a camt.054 without a notification');
    await sealBankFile(tx, fileId, sha256, entries);
    audit.push({
      actorType: 'system', actorId: 'system:clearing', action: 'clearing.notification.apply', target: partnerId,
      outcome: 'success',
      details: { fileId, booked, returned, unknown },
    });
    await appendAudit(tx, audit, now);
    return { fileId, booked, returned, unknown };
  });
}
