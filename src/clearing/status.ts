// Applying a bank's pacs.002 status report to a batch: accepted payments complete (in transit →
// settlement), rejected ones are reversed with the money (and fee) back in the wallet or merchant
// account, pending ones wait for a later report. A report for a batch we never sent, or naming a
// payment not in that batch, is refused whole; the file is applied in one transaction or not at all.
import { appendAudit, type AuditEvent } from '../audit/index.ts';
import type { TransferRequest } from '../ledger/index.ts';
import { createHash } from 'node:crypto';
import { readXml, pathHandler, XmlStream } from './xml-stream.ts';
import { asRefusal, registerBankFile, textChunks, type TextSource } from './bank-files.ts';
import { ClearingRefused, post, withinLedger, type ClearingContext } from './context.ts';
import {
  instructionColumns, instructionOf, reversalLegs, setInstructionState, type Instruction,
} from './instructions.ts';
import { requirePartner } from './partners.ts';
import { batchByMessageId, type Batch } from './run.ts';
import type { StatusLine } from './messages.ts';

export interface ParsedStatusReport {
  readonly messageId: string;
  readonly originalMessageId: string;
  readonly groupStatus: string | undefined;
  readonly lines: readonly StatusLine[];
}

const acceptedCodes = new Set(['ACSC', 'ACCC', 'ACCP', 'ACSP', 'ACWC']);
const pendingCodes = new Set(['PDNG', 'ACTC', 'RCVD']);

type LineDraft = { endToEndId?: string; status?: string; reason?: string };

/**
 * The pacs.002 reader's events: header fields kept, each status line handed to `line` as it closes
 * (checked whole), so a streamed report never holds more than the lines its batch can have.
 */
function statusEvents(found: { messageId: string; original: string; group?: string }, line: (l: StatusLine) => void) {
  let draft: LineDraft | undefined;
  return pathHandler({
    open(path, attributes) {
      if (
        path.length === 1 &&
        !/^urn:iso:std:iso:20022:tech:xsd:pacs\.002\.001\.(08|09|10|11|12)$/.test(attributes.get('xmlns') ?? '')
      ) {
        throw new ClearingRefused('bank_file_unsupported', 'not a pacs.002 status report');
      }
      if (path.length === 3 && path[2] === 'TxInfAndSts') draft = {};
    },
    close(path, value) {
      const rel = path.slice(2).join('/');
      if (rel === 'GrpHdr/MsgId') found.messageId = value;
      else if (
        rel === 'OrgnlGrpInfAndSts/OrgnlMsgId' ||
        (rel === 'TxInfAndSts/OrgnlGrpInf/OrgnlMsgId' && found.original === '')
      )
        found.original = value;
      else if (rel === 'OrgnlGrpInfAndSts/GrpSts') found.group = value;
      else if (draft !== undefined && rel === 'TxInfAndSts/OrgnlEndToEndId') draft.endToEndId = value;
      else if (draft !== undefined && rel === 'TxInfAndSts/TxSts') draft.status = value;
      else if (draft !== undefined && rel === 'TxInfAndSts/StsRsnInf/Rsn/Cd') draft.reason = value;
      else if (draft !== undefined && rel === 'TxInfAndSts') {
        const l = draft;
        draft = undefined;
        if (l.endToEndId === undefined || l.status === undefined || !/^[A-Z]{4}$/.test(l.status))
          throw new ClearingRefused('bank_file_schema_invalid', 'a status line without OrgnlEndToEndId or TxSts');
        // The schema puts the original group before the lines: a line with no batch named yet is invalid.
        if (found.original === '')
          throw new ClearingRefused('bank_file_schema_invalid', 'a status line before OrgnlMsgId');
        line(l as StatusLine);
      }
    },
  });
}

function reportOf(found: { messageId: string; original: string; group?: string }, lines: StatusLine[]) {
  if (found.messageId === '' || found.original === '')
    throw new ClearingRefused('bank_file_schema_invalid', 'a pacs.002 without MsgId or OrgnlMsgId');
  return { messageId: found.messageId, originalMessageId: found.original, groupStatus: found.group, lines };
}

export function parseStatusReport(text: string): ParsedStatusReport {
  const found = { messageId: '', original: '' } as { messageId: string; original: string; group?: string };
  const lines: StatusLine[] = [];
  try {
    readXml(text, statusEvents(found, (l) => void lines.push(l)));
  } catch (error) {
    throw asRefusal(error);
  }
  return reportOf(found, lines);
}

/** The payments of the batch a report names (by end-to-end id), or a refusal when it is not this partner's. */
export type BatchMembersOf = (originalMessageId: string) => Promise<ReadonlySet<string>>;

/**
 * Reads a pacs.002 as it arrives (any size of upload, memory bounded): the batch is looked up as soon as
 * the report names it, and every line is checked against it as it closes — a line for a payment not in the
 * batch refuses the file at once — so at most one status per payment of the batch is kept (a repeat
 * replaces the earlier). Returns the report and the file's SHA-256.
 */
export async function readStatusReport(
  source: TextSource, membersOf: BatchMembersOf,
): Promise<{ report: ParsedStatusReport; sha256: string }> {
  const hash = createHash('sha256');
  const found = { messageId: '', original: '' } as { messageId: string; original: string; group?: string };
  const waiting: StatusLine[] = [];
  const lines = new Map<string, StatusLine>();
  let members: ReadonlySet<string> | undefined;
  const stream = new XmlStream(statusEvents(found, (l) => void waiting.push(l)));
  const settle = async (): Promise<void> => {
    if (waiting.length === 0) return;
    members ??= await membersOf(found.original);
    for (const l of waiting.splice(0)) {
      if (!members.has(l.endToEndId))
        throw new ClearingRefused('bank_file_unknown_batch', 'a status for a payment that is not in the batch');
      lines.delete(l.endToEndId);
      lines.set(l.endToEndId, l);
    }
  };
  try {
    for await (const chunk of textChunks(source, hash)) {
      stream.write(chunk);
      await settle();
    }
    stream.end();
    await settle();
  } catch (error) {
    if (error instanceof TypeError && /decode|encoded/i.test(error.message))
      throw new ClearingRefused('bank_file_malformed', 'the file is not UTF-8');
    throw asRefusal(error);
  }
  const report = reportOf(found, [...lines.values()]);
  if (members === undefined) await membersOf(report.originalMessageId);
  return { report, sha256: hash.digest('hex') };
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

/** Reads the report, refused as soon as it names a batch this partner never received. */
async function readPartnerReport(ctx: ClearingContext, partnerId: string, source: TextSource) {
  let found: Batch | undefined;
  const read = await readStatusReport(source, async (originalMessageId) => {
    found = await batchByMessageId(ctx.store, originalMessageId);
    if (found === undefined || found.partnerId !== partnerId)
      throw new ClearingRefused('bank_file_unknown_batch', 'a pacs.002 for a batch this partner never received');
    const rows = await ctx.store.all('SELECT end_to_end_id FROM clearing_instructions WHERE batch_id = ?', [found.id]);
    return new Set(rows.map((r) => r.end_to_end_id as string));
  });
  return { ...read, batch: found as Batch };
}

/** Applies a pacs.002 (a string, or an upload streamed chunk by chunk): all of it in one transaction, or nothing. */
export async function applyStatusReport(
  ctx: ClearingContext, partnerId: string, source: TextSource,
): Promise<StatusOutcome> {
  const partner = await requirePartner(ctx.store, partnerId);
  const { report, sha256, batch } = await readPartnerReport(ctx, partnerId, source);
  const now = ctx.clock();
  return withinLedger(ctx.store, async (tx, ledgerTx) => {
    const fileId = await registerBankFile(tx, {
      partnerId, kind: 'pacs.002', identity: report.messageId, sha256, now,
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
