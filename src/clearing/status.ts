// Applying a bank's pacs.002 status report to a batch: accepted payments complete (in transit →
// settlement), rejected ones are reversed with the money (and fee) back in the wallet or merchant
// account, pending ones wait for a later report. A report for a batch we never sent, or naming a
// payment not in that batch, is refused whole; the file is applied in one transaction or not at all.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { TransferRequest } from '../ledger/index.ts';
import { readXml, pathHandler } from './xml-stream.ts';
import { asRefusal, registerBankFile } from './bank-files.ts';
import { ClearingRefused, post, sha256Hex, withinLedger, type ClearingContext } from './context.ts';
import {
  instructionColumns, instructionOf, reversalLegs, setInstructionState, type Instruction,
} from './instructions.ts';
import { requirePartner } from './partners.ts';
import { batchByMessageId } from './run.ts';
import type { StatusLine } from './messages.ts';

export interface ParsedStatusReport {
  readonly messageId: string;
  readonly originalMessageId: string;
  readonly groupStatus: string | undefined;
  readonly lines: readonly StatusLine[];
}

const acceptedCodes = new Set(['ACSC', 'ACCC', 'ACCP', 'ACSP', 'ACWC']);
const pendingCodes = new Set(['PDNG', 'ACTC', 'RCVD']);

export function parseStatusReport(text: string): ParsedStatusReport {
  let messageId = '';
  let original = '';
  let group: string | undefined;
  const lines: { endToEndId?: string; status?: string; reason?: string }[] = [];
  try {
    readXml(
      text,
      pathHandler({
        open(path, attributes) {
          if (
            path.length === 1 &&
            !/^urn:iso:std:iso:20022:tech:xsd:pacs\.002\.001\.(08|09|10|11|12)$/.test(attributes.get('xmlns') ?? '')
          ) {
            throw new ClearingRefused('bank_file_unsupported', 'not a pacs.002 status report');
          }
          if (path.length === 3 && path[2] === 'TxInfAndSts') lines.push({});
        },
        close(path, value) {
          const rel = path.slice(2).join('/');
          const line = lines[lines.length - 1];
          if (rel === 'GrpHdr/MsgId') messageId = value;
          else if (
            rel === 'OrgnlGrpInfAndSts/OrgnlMsgId' ||
            (rel === 'TxInfAndSts/OrgnlGrpInf/OrgnlMsgId' && original === '')
          )
            original = value;
          else if (rel === 'OrgnlGrpInfAndSts/GrpSts') group = value;
          else if (line !== undefined && rel === 'TxInfAndSts/OrgnlEndToEndId') line.endToEndId = value;
          else if (line !== undefined && rel === 'TxInfAndSts/TxSts') line.status = value;
          else if (line !== undefined && rel === 'TxInfAndSts/StsRsnInf/Rsn/Cd') line.reason = value;
        },
      }),
    );
  } catch (error) {
    throw asRefusal(error);
  }
  if (messageId === '' || original === '')
    throw new ClearingRefused('bank_file_schema_invalid', 'a pacs.002 without MsgId or OrgnlMsgId');
  for (const l of lines)
    if (l.endToEndId === undefined || l.status === undefined || !/^[A-Z]{4}$/.test(l.status))
      throw new ClearingRefused('bank_file_schema_invalid', 'a status line without OrgnlEndToEndId or TxSts');
  return { messageId, originalMessageId: original, groupStatus: group, lines: lines as StatusLine[] };
}

export interface StatusOutcome {
  readonly fileId: string;
  readonly batchId: string;
  readonly accepted: number;
  readonly rejected: number;
  readonly pending: number;
}

function statusesFor(report: ParsedStatusReport, members: readonly Instruction[]): Map<string, StatusLine> {
  const byE2e = new Map(members.map((i) => [i.endToEndId, i]));
  const statuses = new Map<string, StatusLine>();
  for (const line of report.lines) {
    if (!byE2e.has(line.endToEndId))
      throw new ClearingRefused('bank_file_unknown_batch', 'a status for a payment that is not in the batch');
    statuses.set(line.endToEndId, line);
  }
  // A group status without lines speaks for every payment of the batch.
  if (report.lines.length === 0 && report.groupStatus !== undefined && report.groupStatus !== 'PART') {
    for (const i of members) statuses.set(i.endToEndId, { endToEndId: i.endToEndId, status: report.groupStatus });
  }
  return statuses;
}

export async function applyStatusReport(ctx: ClearingContext, partnerId: string, text: string): Promise<StatusOutcome> {
  const partner = await requirePartner(ctx.store, partnerId);
  const report = parseStatusReport(text);
  const batch = await batchByMessageId(ctx.store, report.originalMessageId);
  if (batch === undefined || batch.partnerId !== partnerId)
    throw new ClearingRefused('bank_file_unknown_batch', 'a pacs.002 for a batch this partner never received');
  const now = ctx.clock();
  return withinLedger(ctx.store, async (tx, ledgerTx) => {
    const fileId = await registerBankFile(tx, {
      partnerId, kind: 'pacs.002', identity: report.messageId, sha256: sha256Hex(text), now,
    });
    const members = (
      await tx.all(`SELECT ${instructionColumns} FROM clearing_instructions WHERE batch_id = ?`, [batch.id])
    ).map(instructionOf);
    const statuses = statusesFor(report, members);
    const units: TransferRequest[][] = [];
    const changes: { i: Instruction; to: 'accepted' | 'rejected'; reason: string | null }[] = [];
    let pending = 0;
    for (const i of members) {
      const s = statuses.get(i.endToEndId);
      if (s === undefined || i.state !== 'batched' || pendingCodes.has(s.status)) {
        if (i.state === 'batched') pending += 1;
        continue;
      }
      if (acceptedCodes.has(s.status)) {
        units.push([
          {
            kind: 'single',
            key: `clearing:${i.id}:settle`,
            debitAccountId: partner.inTransitAccountId, creditAccountId: partner.settlementAccountId,
            amount: i.amount, currency: i.currency, reference: i.endToEndId,
          },
        ]);
        changes.push({ i, to: 'accepted', reason: null });
      } else if (s.status === 'RJCT') {
        units.push(reversalLegs(i, { inTransit: partner.inTransitAccountId, fees: partner.feesAccountId }, 'reverse'));
        changes.push({ i, to: 'rejected', reason: s.reason ?? 'NARR' });
      } else throw new ClearingRefused('bank_file_schema_invalid', `unknown transaction status ${s.status}`);
    }
    const audit: AuditEvent[] = [];
    const seqs = await post(ctx, tx, ledgerTx, units, audit);
    for (const [k, c] of changes.entries()) {
      await setInstructionState(
        tx, c.i.id, 'batched', c.to, now,
        c.to === 'accepted' ? { settleSeq: seqs[k]?.[0] ?? null } : { reason: c.reason },
      );
    }
    if (pending === 0)
      await tx.run("UPDATE clearing_batches SET state = 'answered', updated_at = ? WHERE id = ?", [now, batch.id]);
    const accepted = changes.filter((c) => c.to === 'accepted').length;
    const rejected = changes.length - accepted;
    audit.push({
      actorType: 'system', actorId: 'system:clearing', action: 'clearing.status.apply', target: batch.id,
      outcome: 'success',
      details: {
        fileId, accepted, rejected, pending,
        reasons: [...new Set(changes.map((c) => c.reason).filter((r) => r !== null))],
      },
    });
    await appendAudit(tx, audit, now);
    await tx.run('UPDATE bank_files SET entries = ? WHERE id = ?', [report.lines.length, fileId]);
    return { fileId, batchId: batch.id, accepted, rejected, pending };
  });
}
