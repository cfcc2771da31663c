// Streamed reading of bank-to-customer cash management messages: camt.053 end-of-day statements and
// camt.054 debit/credit notifications, versions .02, .04 and .08 (their entry shapes differ a little:
// Sts is text in .02 and a code element later; TxDtls amounts moved). Each entry is handed to the
// caller as soon as it closes, so memory stays bounded whatever the file's length.
import { XmlRefused, XmlStream, pathHandler } from './xml-stream.ts';
import { AmountRefused, minorOf } from './iso-amount.ts';

export type CamtKind = 'camt.053' | 'camt.054';
export const camtVersions = ['02', '04', '08'] as const;

export interface CamtBalance {
  readonly type: string;
  readonly amount: bigint;
  readonly currency: string;
  /** Signed: negative when the balance is a debit. */
  readonly signed: bigint;
  readonly date: string;
}

export interface CamtHeader {
  readonly kind: CamtKind;
  readonly version: string;
  readonly messageId: string;
  readonly statementId: string;
  readonly sequence: string;
  readonly account: string;
  readonly accountCurrency: string;
  readonly created: string;
  readonly balances: readonly CamtBalance[];
}

export interface CamtDetail {
  readonly endToEndId: string | undefined;
  readonly amount: bigint | undefined;
  readonly counterparty: string | undefined;
  readonly returnReason: string | undefined;
}

export interface CamtEntry {
  readonly lineNo: number;
  readonly amount: bigint;
  readonly currency: string;
  readonly direction: 'debit' | 'credit';
  readonly status: string;
  readonly reversal: boolean;
  readonly bookingDate: string;
  readonly valueDate: string;
  readonly bankRef: string | undefined;
  /** Bank transaction code: Domain/Family/SubFamily, or the proprietary code. */
  readonly bankCode: string | undefined;
  readonly details: readonly CamtDetail[];
  readonly info: string | undefined;
}

export class CamtRefused extends Error {
  readonly code: 'bank_file_schema_invalid' | 'bank_file_unsupported';
  constructor(code: CamtRefused['code'], detail: string) {
    super(detail);
    this.code = code;
  }
}

export interface CamtSink {
  /** The statement's header, complete (balances and account read) before its first entry. */
  header(header: CamtHeader): void;
  entry(header: CamtHeader, entry: CamtEntry): void;
  /** After the statement's last entry (balances after the entries, if a bank puts them there, included). */
  end?(header: CamtHeader): void;
}

const containers: Readonly<Record<string, CamtKind>> = { Stmt: 'camt.053', Ntfctn: 'camt.054' };

interface DetailDraft {
  endToEndId?: string;
  amount?: string;
  amountCcy?: string;
  counterparty?: string;
  returnReason?: string;
}

interface EntryDraft {
  amount?: string;
  currency?: string;
  direction?: string;
  status?: string;
  reversal?: string;
  bookingDate?: string;
  valueDate?: string;
  bankRef?: string;
  domain?: string;
  family?: string;
  subFamily?: string;
  proprietary?: string;
  info?: string;
  settlementDate?: string;
  details: DetailDraft[];
}

interface StatementDraft {
  statementId?: string;
  sequence?: string;
  account?: string;
  accountCurrency?: string;
  created?: string;
  balances: CamtBalance[];
  balance?: { type?: string; amount?: string; currency?: string; direction?: string; date?: string };
  header?: CamtHeader;
}

function schemaInvalid(detail: string): never {
  throw new CamtRefused('bank_file_schema_invalid', detail);
}

function directionOf(text: string | undefined): 'debit' | 'credit' {
  if (text === 'DBIT') return 'debit';
  if (text === 'CRDT') return 'credit';
  return schemaInvalid('CdtDbtInd must be CRDT or DBIT');
}

function headerOf(kind: CamtKind, version: string, messageId: string, s: StatementDraft): CamtHeader {
  if (s.statementId === undefined || s.statementId === '') schemaInvalid('a statement without Id');
  if (s.account === undefined || s.account === '') schemaInvalid('a statement without an account Id');
  return {
    kind, version, messageId, statementId: s.statementId, sequence: s.sequence ?? '', account: s.account,
    accountCurrency: s.accountCurrency ?? '', created: s.created ?? '', balances: s.balances,
  };
}

/** Booking and value dates are optional in the schemas: then the settlement date, then the message's own date. */
function entryOf(draft: EntryDraft, lineNo: number, fallbackDate: string): CamtEntry {
  if (draft.amount === undefined || draft.currency === undefined) schemaInvalid('an entry without Amt and Ccy');
  const currency = draft.currency;
  const bookingDate = (draft.bookingDate ?? draft.valueDate ?? draft.settlementDate ?? fallbackDate).slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(bookingDate)) schemaInvalid('an entry without a booking or value date');
  const bankCode =
    draft.domain !== undefined
      ? [draft.domain, draft.family, draft.subFamily].filter((c) => c !== undefined).join('/')
      : draft.proprietary;
  return {
    lineNo, amount: minorOf(draft.amount, currency), currency, direction: directionOf(draft.direction),
    status: draft.status ?? 'BOOK', reversal: draft.reversal === 'true', bookingDate,
    valueDate: (draft.valueDate ?? bookingDate).slice(0, 10), bankRef: draft.bankRef, bankCode,
    details: draft.details.map((d) => ({
      endToEndId: d.endToEndId === undefined || d.endToEndId === 'NOTPROVIDED' ? undefined : d.endToEndId,
      amount: d.amount === undefined ? undefined : minorOf(d.amount, d.amountCcy ?? currency),
      counterparty: d.counterparty, returnReason: d.returnReason,
    })),
    info: draft.info,
  };
}

/** Where an element inside an entry goes (`rel`: the path below Ntry, joined by '/'). */
function entryField(e: EntryDraft, rel: string, text: string, attrs: ReadonlyMap<string, string>): void {
  const detail = e.details[e.details.length - 1];
  if (rel.startsWith('NtryDtls/TxDtls/') && detail !== undefined) {
    const sub = rel.slice('NtryDtls/TxDtls/'.length);
    if (sub === 'Refs/EndToEndId') detail.endToEndId = text;
    else if (
      sub === 'AmtDtls/TxAmt/Amt' ||
      sub === 'Amt' ||
      (sub === 'AmtDtls/InstdAmt/Amt' && detail.amount === undefined)
    ) {
      detail.amount = text;
      detail.amountCcy = attrs.get('Ccy');
    } else if (/^RltdPties\/(Cdtr|Dbtr)(\/Pty)?\/Nm$/.test(sub) && detail.counterparty === undefined)
      detail.counterparty = text;
    else if (sub === 'RtrInf/Rsn/Cd') detail.returnReason = text;
    else if (sub === 'RltdDts/IntrBkSttlmDt') e.settlementDate = text;
    return;
  }
  switch (rel) {
    case 'Amt':
      e.amount = text;
      e.currency = attrs.get('Ccy');
      break;
    case 'CdtDbtInd':
      e.direction = text;
      break;
    case 'RvslInd':
      e.reversal = text;
      break;
    case 'Sts':
      if (text !== '') e.status = text;
      break;
    case 'Sts/Cd':
      e.status = text;
      break;
    case 'BookgDt/Dt':
    case 'BookgDt/DtTm':
      e.bookingDate = text;
      break;
    case 'ValDt/Dt':
    case 'ValDt/DtTm':
      e.valueDate = text;
      break;
    case 'AcctSvcrRef':
      e.bankRef = text;
      break;
    case 'BkTxCd/Domn/Cd':
      e.domain = text;
      break;
    case 'BkTxCd/Domn/Fmly/Cd':
      e.family = text;
      break;
    case 'BkTxCd/Domn/Fmly/SubFmlyCd':
      e.subFamily = text;
      break;
    case 'BkTxCd/Prtry/Cd':
      e.proprietary = text;
      break;
    case 'AddtlNtryInf':
      e.info = text;
      break;
    default:
  }
}

function statementField(s: StatementDraft, rel: string, text: string, attrs: ReadonlyMap<string, string>): void {
  switch (rel) {
    case 'Id':
      s.statementId = text;
      break;
    case 'ElctrncSeqNb':
      s.sequence = text;
      break;
    case 'CreDtTm':
      s.created = text;
      break;
    case 'Acct/Id/IBAN':
    case 'Acct/Id/Othr/Id':
      s.account = text;
      break;
    case 'Acct/Ccy':
      s.accountCurrency = text;
      break;
    case 'Bal/Tp/CdOrPrtry/Cd':
    case 'Bal/Tp/CdOrPrtry/Prtry':
      if (s.balance !== undefined) s.balance.type = text;
      break;
    case 'Bal/Amt':
      if (s.balance !== undefined) {
        s.balance.amount = text;
        s.balance.currency = attrs.get('Ccy');
      }
      break;
    case 'Bal/CdtDbtInd':
      if (s.balance !== undefined) s.balance.direction = text;
      break;
    case 'Bal/Dt/Dt':
    case 'Bal/Dt/DtTm':
      if (s.balance !== undefined) s.balance.date = text.slice(0, 10);
      break;
    case 'Bal': {
      const b = s.balance;
      if (b?.amount === undefined || b.currency === undefined) schemaInvalid('a balance without Amt and Ccy');
      const amount = minorOf(b.amount, b.currency);
      const signed = directionOf(b.direction) === 'debit' ? -amount : amount;
      s.balances.push({ type: b.type ?? '', amount, currency: b.currency, signed, date: b.date ?? '' });
      s.balance = undefined;
      break;
    }
    default:
  }
}

export interface CamtReader {
  write(chunk: string): void;
  end(): void;
}

/** A reader for one camt file; refusals are thrown as XmlRefused, CamtRefused or AmountRefused. */
export function camtReader(sink: CamtSink): CamtReader {
  let kind: CamtKind | undefined;
  let [version, messageId, messageCreated] = ['', '', ''];
  let statement: StatementDraft | undefined;
  let entry: EntryDraft | undefined;
  let [depth, entryDepth, lineNo] = [-1, -1, 0];
  const ensureHeader = (s: StatementDraft): CamtHeader => {
    if (s.header === undefined) {
      s.header = headerOf(kind as CamtKind, version, messageId, s);
      sink.header(s.header);
    }
    return s.header;
  };
  const handler = pathHandler({
    open(path, attributes) {
      if (path.length === 1) {
        const ns = attributes.get('xmlns') ?? '';
        const m = /^urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)$/.exec(ns);
        if (path[0] !== 'Document' || m === null)
          throw new CamtRefused('bank_file_unsupported', 'not a camt.053 or camt.054 document');
        if (!(camtVersions as readonly string[]).includes(m[2] as string))
          throw new CamtRefused('bank_file_unsupported', `version .${m[2]} is not read`);
        kind = m[1] as CamtKind;
        version = m[2] as string;
        return;
      }
      const name = path[path.length - 1] as string;
      if (path.length === 3 && containers[name] === kind) {
        statement = { balances: [] };
        depth = path.length;
      } else if (statement !== undefined && path.length === depth + 1 && name === 'Ntry') {
        ensureHeader(statement);
        entry = { details: [] };
        entryDepth = path.length;
      } else if (statement !== undefined && path.length === depth + 1 && name === 'Bal') statement.balance = {};
      else if (entry !== undefined && name === 'TxDtls' && path.length === entryDepth + 2) entry.details.push({});
    },
    close(path, text, attributes) {
      if (path.length === 4 && path[2] === 'GrpHdr' && path[3] === 'MsgId') messageId = text;
      if (path.length === 4 && path[2] === 'GrpHdr' && path[3] === 'CreDtTm') messageCreated = text;
      if (statement === undefined) return;
      if (entry !== undefined) {
        if (path.length === entryDepth) {
          lineNo += 1;
          sink.entry(ensureHeader(statement), entryOf(entry, lineNo, statement.created ?? messageCreated));
          entry = undefined;
        } else entryField(entry, path.slice(entryDepth).join('/'), text, attributes);
        return;
      }
      if (path.length === depth) {
        const header = ensureHeader(statement);
        const closing = { ...header, balances: statement.balances };
        sink.end?.(closing);
        statement = undefined;
        return;
      }
      statementField(statement, path.slice(depth).join('/'), text, attributes);
    },
  });
  const stream = new XmlStream(handler);
  return {
    write: (chunk) => stream.write(chunk),
    end: () => {
      stream.end();
      if (kind === undefined) throw new CamtRefused('bank_file_unsupported', 'not a camt document');
    },
  };
}

export function isBankFileRefusal(error: unknown): error is XmlRefused | CamtRefused | AmountRefused {
  return error instanceof XmlRefused || error instanceof CamtRefused || error instanceof AmountRefused;
}
