// The simulated clearing house / settlement bank: it reads pain.001 and pacs.008 credit transfers,
// decides each by the rules file, answers with a pacs.002, and books what it really did on our
// account at the bank: camt.054 notifications of new bookings on request, and at the end of its
// business day a camt.053 statement of everything booked that day with opening and closing balances.
import { randomUUID } from 'node:crypto';
import { readXml, pathHandler } from '../xml-stream.ts';
import { minorOf } from '../iso-amount.ts';
import { camt053, camt054, pacs002, type BankEntry, type StatusLine } from '../messages.ts';
import { ruleFor, type SimRules, type SimTransfer } from './rules.ts';

export interface IncomingMessage {
  readonly messageId: string;
  readonly kind: 'pain.001.001.09' | 'pacs.008.001.08';
  readonly transfers: readonly SimTransfer[];
}

export function parseCreditTransfers(text: string): IncomingMessage {
  let kind: IncomingMessage['kind'] | undefined;
  let messageId = '';
  const transfers: {
    endToEndId?: string;
    amount?: string;
    currency?: string;
    creditorName?: string;
    creditorAccount?: string;
  }[] = [];
  readXml(
    text,
    pathHandler({
      open(path, attributes) {
        if (path.length === 1) {
          const ns = attributes.get('xmlns');
          if (ns === 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.09') kind = 'pain.001.001.09';
          else if (ns === 'urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08') kind = 'pacs.008.001.08';
          else throw new RangeError('not a pain.001.001.09 or pacs.008.001.08 message');
        }
        if (path[path.length - 1] === 'CdtTrfTxInf') transfers.push({});
      },
      close(path, value, attributes) {
        const rel = path.slice(2).join('/');
        if (rel === 'GrpHdr/MsgId') messageId = value;
        const t = transfers[transfers.length - 1];
        const i = path.indexOf('CdtTrfTxInf');
        if (t === undefined || i < 0) return;
        const sub = path.slice(i + 1).join('/');
        if (sub === 'PmtId/EndToEndId') t.endToEndId = value;
        else if (sub === 'Amt/InstdAmt' || sub === 'IntrBkSttlmAmt') {
          t.amount = value;
          t.currency = attributes.get('Ccy');
        } else if (sub === 'Cdtr/Nm') t.creditorName = value;
        else if (sub === 'CdtrAcct/Id/Othr/Id' || sub === 'CdtrAcct/Id/IBAN') t.creditorAccount = value;
      },
    }),
  );
  if (kind === undefined || messageId === '') throw new RangeError('a message without its group header');
  return {
    messageId,
    kind,
    transfers: transfers.map((t) => {
      if (t.endToEndId === undefined || t.amount === undefined || t.currency === undefined)
        throw new RangeError('a transfer without its id or amount');
      return {
        endToEndId: t.endToEndId,
        amount: minorOf(t.amount, t.currency),
        currency: t.currency,
        creditorName: t.creditorName ?? '',
        creditorAccount: t.creditorAccount ?? '',
      };
    }),
  };
}

type Booking = Omit<BankEntry, 'bankRef' | 'bookingDate' | 'currency' | 'valueDate'> & { readonly valueDate?: string };

const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

export interface SimState {
  readonly date: string;
  readonly balance: string;
  readonly booked: number;
  readonly messages: number;
  readonly statements: number;
}

export class SimBank {
  #rules: SimRules;
  #date: string;
  #balance: bigint;
  #dayOpening: bigint;
  #day: BankEntry[] = [];
  #undelivered: BankEntry[] = [];
  #returnsLater: Booking[] = [];
  #delayed: { line: StatusLine; originalMessageId: string; kind: string }[] = [];
  #laterReports: string[] = [];
  #seen = new Set<string>();
  #sequence = 0;
  #refs = 0;
  #messages = 0;
  readonly #now: () => Date;

  constructor(rules: SimRules, date: string, now: () => Date = () => new Date()) {
    this.#rules = rules;
    this.#date = date;
    this.#balance = rules.opening;
    this.#dayOpening = rules.opening;
    this.#now = now;
  }

  configure(rules: SimRules): void {
    this.#rules = rules;
  }

  state(): SimState {
    return {
      date: this.#date,
      balance: this.#balance.toString(),
      booked: this.#day.length,
      messages: this.#messages,
      statements: this.#sequence,
    };
  }

  #created(): string {
    return this.#now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  #book(entry: Booking): BankEntry {
    this.#refs += 1;
    const e: BankEntry = {
      ...entry,
      currency: this.#rules.currency,
      bookingDate: this.#date,
      valueDate: entry.valueDate ?? this.#date,
      bankRef: `SIM${this.#date.replaceAll('-', '')}${String(this.#refs).padStart(8, '0')}`,
    };
    this.#balance += e.direction === 'debit' ? -e.amount : e.amount;
    this.#day.push(e);
    this.#undelivered.push(e);
    return e;
  }

  /** Decides each transfer; what is booked now goes on today's statement and the next notification. */
  receive(text: string): string {
    const message = parseCreditTransfers(text);
    if (this.#seen.has(message.messageId)) throw new RangeError('duplicate message id');
    this.#seen.add(message.messageId);
    this.#messages += 1;
    const lines = message.transfers.map((t) => this.#decide(t, message));
    const statuses = new Set(lines.map((l) => l.status));
    const group = statuses.size === 1 ? (lines[0]?.status ?? 'ACSC') : 'PART';
    return pacs002({
      messageId: `SIMSTS${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      created: this.#created(),
      originalMessageId: message.messageId,
      originalKind: message.kind,
      groupStatus: group,
      lines,
    });
  }

  #decide(t: SimTransfer, message: IncomingMessage): StatusLine {
    const rule = ruleFor(this.#rules, t);
    const out: Booking = {
      amount: t.amount,
      direction: 'debit',
      bankCode: 'PMNT/ICDT/DMCT',
      endToEndId: t.endToEndId,
      counterparty: t.creditorName,
    };
    switch (rule?.action) {
      case 'reject':
        return { endToEndId: t.endToEndId, status: 'RJCT', reason: rule.code };
      case 'drop':
        return { endToEndId: t.endToEndId, status: 'ACSC' };
      case 'delay':
        this.#delayed.push({
          line: { endToEndId: t.endToEndId, status: 'ACSC' },
          originalMessageId: message.messageId,
          kind: message.kind,
        });
        this.#delayedOut.set(t.endToEndId, out);
        return { endToEndId: t.endToEndId, status: 'PDNG' };
      case 'fee':
        this.#book(out);
        this.#book({
          amount: rule.amount ?? 0n,
          direction: 'debit',
          bankCode: 'ACMT/MDOP/CHRG',
          endToEndId: t.endToEndId,
        });
        break;
      case 'duplicate':
        this.#book(out);
        this.#book(out);
        break;
      case 'shift_value_date':
        this.#book({ ...out, valueDate: addDays(this.#date, rule.days ?? 1) });
        break;
      case 'change_amount':
        this.#book({ ...out, amount: t.amount + (rule.amount ?? 0n) });
        break;
      case 'return':
        this.#book(out);
        this.#returnsLater.push({ ...out, direction: 'credit', bankCode: 'PMNT/ICDT/RRTN', returnReason: rule.code });
        break;
      default:
        this.#book(out);
    }
    return { endToEndId: t.endToEndId, status: 'ACSC' };
  }

  readonly #delayedOut = new Map<string, Booking>();

  /** New bookings since the last call (returns of earlier payments come back now), as a camt.054. */
  notification(): string | undefined {
    for (const r of this.#returnsLater.splice(0)) this.#book(r);
    if (this.#undelivered.length === 0) return undefined;
    const entries = this.#undelivered.splice(0);
    return camt054({
      messageId: `SIMNTF${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      created: this.#created(),
      account: this.#rules.account,
      currency: this.#rules.currency,
      entries,
    });
  }

  /** Status reports the bank owes for delayed payments (released at the end of the day). */
  laterReports(): string[] {
    return this.#laterReports.splice(0);
  }

  requeue(reports: readonly string[]): void {
    this.#laterReports.unshift(...reports);
  }

  /** Books the delayed payments, closes the day with its camt.053, and opens the next day. */
  endOfDay(): string {
    for (const d of this.#delayed.splice(0)) {
      const out = this.#delayedOut.get(d.line.endToEndId);
      if (out !== undefined) this.#book(out);
      this.#delayedOut.delete(d.line.endToEndId);
      this.#laterReports.push(
        pacs002({
          messageId: `SIMSTS${randomUUID().replaceAll('-', '').slice(0, 20)}`,
          created: this.#created(),
          originalMessageId: d.originalMessageId,
          originalKind: d.kind,
          groupStatus: 'ACSC',
          lines: [d.line],
        }),
      );
    }
    for (const r of this.#returnsLater.splice(0)) this.#book(r);
    this.#sequence += 1;
    const statement = camt053({
      messageId: `SIMSTM${this.#date.replaceAll('-', '')}${this.#sequence}`,
      created: this.#created(),
      statementId: `${this.#rules.account}-${this.#date}`,
      sequence: this.#sequence,
      date: this.#date,
      account: this.#rules.account,
      currency: this.#rules.currency,
      opening: this.#dayOpening,
      closing: this.#balance,
      entries: this.#day,
    });
    this.#day = [];
    this.#dayOpening = this.#balance;
    this.#date = addDays(this.#date, 1);
    return statement;
  }
}
