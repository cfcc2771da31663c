// The ISO 20022 messages Anfu writes: pain.001.001.09 (customer credit transfer initiation, to a
// settlement bank) and pacs.008.001.08 (FI-to-FI customer credit transfer, to a clearing house); and,
// for the bank simulator, the answers a bank writes: pacs.002.001.10, camt.054.001.08, camt.053.001.08.
import { decimalOf } from './iso-amount.ts';
import { documentXml, el, elAttrs, type XmlElement, type XmlNode } from './xml-write.ts';

const ns = (message: string): string => `urn:iso:std:iso:20022:tech:xsd:${message}`;
export const namespaces = {
  pain001: ns('pain.001.001.09'),
  pacs008: ns('pacs.008.001.08'),
  pacs002: ns('pacs.002.001.10'),
  camt054: ns('camt.054.001.08'),
  camt053: ns('camt.053.001.08'),
} as const;

export interface OutboundTransfer {
  readonly instructionId: string;
  readonly endToEndId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly creditorName: string;
  readonly creditorAccount: string;
  /** The creditor's bank: a BIC, or its clearing-system member id (CNAPS). */
  readonly creditorAgent: string;
  readonly remittance?: string | undefined;
}

export interface OutboundBatch {
  readonly messageId: string;
  readonly created: string;
  readonly valueDate: string;
  readonly currency: string;
  readonly debtorName: string;
  readonly debtorAccount: string;
  readonly debtorAgent: string;
  readonly transfers: readonly OutboundTransfer[];
}

/** A BIC: bank (4), country (2 letters), location (2), optional branch (3). */
export function isBic(id: string): boolean {
  return (id.length === 8 || id.length === 11) && /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]+$/.test(id);
}

function agent(name: string, id: string): XmlElement {
  return el(name, el('FinInstnId', isBic(id) ? el('BICFI', id) : el('ClrSysMmbId', el('MmbId', id))));
}

function account(name: string, id: string, currency?: string): XmlElement {
  return el(name, el('Id', el('Othr', el('Id', id))), currency === undefined ? undefined : el('Ccy', currency));
}

function amount(name: string, minor: bigint, currency: string): XmlElement {
  return elAttrs(name, { Ccy: currency }, decimalOf(minor, currency));
}

const clip = (text: string, max: number): string => (text.length <= max ? text : text.slice(0, max));

function controlSum(batch: OutboundBatch): string {
  return decimalOf(
    batch.transfers.reduce((sum, t) => sum + t.amount, 0n),
    batch.currency,
  );
}

export function pain001(batch: OutboundBatch): string {
  const tx = (t: OutboundTransfer): XmlElement =>
    el(
      'CdtTrfTxInf',
      el('PmtId', el('InstrId', t.instructionId), el('EndToEndId', t.endToEndId)),
      el('Amt', amount('InstdAmt', t.amount, t.currency)),
      el('ChrgBr', 'SLEV'),
      agent('CdtrAgt', t.creditorAgent),
      el('Cdtr', el('Nm', clip(t.creditorName, 140))),
      account('CdtrAcct', t.creditorAccount),
      t.remittance === undefined ? undefined : el('RmtInf', el('Ustrd', clip(t.remittance, 140))),
    );
  return documentXml(
    namespaces.pain001,
    el(
      'CstmrCdtTrfInitn',
      el(
        'GrpHdr',
        el('MsgId', batch.messageId),
        el('CreDtTm', batch.created),
        el('NbOfTxs', String(batch.transfers.length)),
        el('CtrlSum', controlSum(batch)),
        el('InitgPty', el('Nm', batch.debtorName)),
      ),
      el(
        'PmtInf',
        el('PmtInfId', batch.messageId),
        el('PmtMtd', 'TRF'),
        el('BtchBookg', 'false'),
        el('NbOfTxs', String(batch.transfers.length)),
        el('CtrlSum', controlSum(batch)),
        el('ReqdExctnDt', el('Dt', batch.valueDate)),
        el('Dbtr', el('Nm', batch.debtorName)),
        account('DbtrAcct', batch.debtorAccount, batch.currency),
        agent('DbtrAgt', batch.debtorAgent),
        ...batch.transfers.map(tx),
      ),
    ),
  );
}

export function pacs008(batch: OutboundBatch): string {
  const tx = (t: OutboundTransfer): XmlElement =>
    el(
      'CdtTrfTxInf',
      el('PmtId', el('InstrId', t.instructionId), el('EndToEndId', t.endToEndId), el('TxId', t.instructionId)),
      amount('IntrBkSttlmAmt', t.amount, t.currency),
      el('IntrBkSttlmDt', batch.valueDate),
      el('ChrgBr', 'SLEV'),
      el('Dbtr', el('Nm', batch.debtorName)),
      account('DbtrAcct', batch.debtorAccount),
      agent('DbtrAgt', batch.debtorAgent),
      agent('CdtrAgt', t.creditorAgent),
      el('Cdtr', el('Nm', clip(t.creditorName, 140))),
      account('CdtrAcct', t.creditorAccount),
      t.remittance === undefined ? undefined : el('RmtInf', el('Ustrd', clip(t.remittance, 140))),
    );
  return documentXml(
    namespaces.pacs008,
    el(
      'FIToFICstmrCdtTrf',
      el(
        'GrpHdr',
        el('MsgId', batch.messageId),
        el('CreDtTm', batch.created),
        el('NbOfTxs', String(batch.transfers.length)),
        amount(
          'TtlIntrBkSttlmAmt',
          batch.transfers.reduce((sum, t) => sum + t.amount, 0n),
          batch.currency,
        ),
        el('IntrBkSttlmDt', batch.valueDate),
        el('SttlmInf', el('SttlmMtd', 'CLRG')),
      ),
      ...batch.transfers.map(tx),
    ),
  );
}

export interface StatusLine {
  readonly endToEndId: string;
  /** ACSC / ACCP / ACSP / PDNG / RJCT. */
  readonly status: string;
  readonly reason?: string | undefined;
}

export interface StatusReport {
  readonly messageId: string;
  readonly created: string;
  readonly originalMessageId: string;
  readonly originalKind: string;
  /** ACCP / ACSC / PART / RJCT / PDNG. */
  readonly groupStatus: string;
  readonly lines: readonly StatusLine[];
}

export function pacs002(report: StatusReport): string {
  const line = (l: StatusLine): XmlElement =>
    el(
      'TxInfAndSts',
      el('OrgnlEndToEndId', l.endToEndId),
      el('TxSts', l.status),
      l.reason === undefined ? undefined : el('StsRsnInf', el('Rsn', el('Cd', l.reason))),
    );
  return documentXml(
    namespaces.pacs002,
    el(
      'FIToFIPmtStsRpt',
      el('GrpHdr', el('MsgId', report.messageId), el('CreDtTm', report.created)),
      el(
        'OrgnlGrpInfAndSts',
        el('OrgnlMsgId', report.originalMessageId),
        el('OrgnlMsgNmId', report.originalKind),
        el('GrpSts', report.groupStatus),
      ),
      ...report.lines.map(line),
    ),
  );
}

export interface BankEntry {
  readonly amount: bigint;
  readonly currency: string;
  readonly direction: 'debit' | 'credit';
  readonly bookingDate: string;
  readonly valueDate: string;
  readonly bankRef: string;
  /** Domain/Family/SubFamily: PMNT/ICDT/DMCT (a transfer out), PMNT/ICDT/RRTN (its return), ACMT/MDOP/CHRG (a fee). */
  readonly bankCode: string;
  readonly endToEndId?: string | undefined;
  readonly counterparty?: string | undefined;
  readonly returnReason?: string | undefined;
}

function entry(e: BankEntry): XmlElement {
  const [domain, family, sub] = e.bankCode.split('/') as [string, string, string];
  const details: XmlNode = el(
    'NtryDtls',
    el(
      'TxDtls',
      el('Refs', el('EndToEndId', e.endToEndId ?? 'NOTPROVIDED')),
      amount('Amt', e.amount, e.currency),
      el('CdtDbtInd', e.direction === 'debit' ? 'DBIT' : 'CRDT'),
      e.counterparty === undefined
        ? undefined
        : el('RltdPties', el('Cdtr', el('Pty', el('Nm', clip(e.counterparty, 140))))),
      e.returnReason === undefined ? undefined : el('RtrInf', el('Rsn', el('Cd', e.returnReason))),
    ),
  );
  return el(
    'Ntry',
    amount('Amt', e.amount, e.currency),
    el('CdtDbtInd', e.direction === 'debit' ? 'DBIT' : 'CRDT'),
    el('Sts', el('Cd', 'BOOK')),
    el('BookgDt', el('Dt', e.bookingDate)),
    el('ValDt', el('Dt', e.valueDate)),
    el('AcctSvcrRef', e.bankRef),
    el('BkTxCd', el('Domn', el('Cd', domain), el('Fmly', el('Cd', family), el('SubFmlyCd', sub)))),
    details,
  );
}

export interface NotificationInput {
  readonly messageId: string;
  readonly created: string;
  readonly account: string;
  readonly currency: string;
  readonly entries: readonly BankEntry[];
}

export function camt054(input: NotificationInput): string {
  return documentXml(
    namespaces.camt054,
    el(
      'BkToCstmrDbtCdtNtfctn',
      el('GrpHdr', el('MsgId', input.messageId), el('CreDtTm', input.created)),
      el(
        'Ntfctn',
        el('Id', input.messageId),
        el('CreDtTm', input.created),
        account('Acct', input.account, input.currency),
        ...input.entries.map(entry),
      ),
    ),
  );
}

export interface StatementInput extends NotificationInput {
  readonly statementId: string;
  readonly sequence: number;
  readonly date: string;
  /** Signed balances of the account at the bank (positive: in credit). */
  readonly opening: bigint;
  readonly closing: bigint;
}

function balance(code: string, signed: bigint, currency: string, date: string): XmlElement {
  return el(
    'Bal',
    el('Tp', el('CdOrPrtry', el('Cd', code))),
    amount('Amt', signed < 0n ? -signed : signed, currency),
    el('CdtDbtInd', signed < 0n ? 'DBIT' : 'CRDT'),
    el('Dt', el('Dt', date)),
  );
}

export function camt053(input: StatementInput): string {
  return documentXml(
    namespaces.camt053,
    el(
      'BkToCstmrStmt',
      el('GrpHdr', el('MsgId', input.messageId), el('CreDtTm', input.created)),
      el(
        'Stmt',
        el('Id', input.statementId),
        el('ElctrncSeqNb', String(input.sequence)),
        el('CreDtTm', input.created),
        account('Acct', input.account, input.currency),
        balance('OPBD', input.opening, input.currency, input.date),
        balance('CLBD', input.closing, input.currency, input.date),
        ...input.entries.map(entry),
      ),
    ),
  );
}
