// The matching engine, pure and streaming: expectations (what our ledger says must appear on the
// bank's statement: accepted payments as debits, returns as credits) are indexed once; statement
// lines are fed one by one. Rules, in order:
//   1. end-to-end id (direction + id): same amount and value date within tolerance → matched 1:1,
//      confidence 100; several lines summing to one payment → 1:N; one line carrying several of our
//      ids whose amounts sum to it → N:1.
//   2. no id (or an id we do not know): amount + currency + direction exactly, value date within
//      tolerance, counterparty name → the best candidate above the threshold, with its confidence.
// Whatever is left is classified: missing on our side, missing on the bank's, amount mismatch, fee
// variance, duplicate, value-date mismatch. Memory: the open expectations and the unmatched lines.
export type Direction = 'debit' | 'credit';

export interface Expectation {
  readonly id: string;
  readonly endToEndId: string;
  readonly direction: Direction;
  readonly amount: bigint;
  readonly currency: string;
  readonly valueDate: string;
  readonly counterparty?: string | undefined;
}

export interface StatementLine {
  readonly id: string;
  readonly direction: Direction;
  readonly amount: bigint;
  readonly currency: string;
  readonly valueDate: string;
  /** Our end-to-end ids the bank quoted (several: a batch booking). */
  readonly endToEndIds: readonly string[];
  readonly counterparty?: string | undefined;
  /** The bank's own charge (bank transaction code family CHRG / FEES). */
  readonly fee: boolean;
}

export type BreakClass =
  | 'missing_on_our_side'
  | 'missing_on_bank_side'
  | 'amount_mismatch'
  | 'fee_variance'
  | 'duplicate'
  | 'value_date_mismatch'
  /** A camt.054 booking no end-of-day statement carried by its booking day (the two step's cut-off). */
  | 'notified_not_stated';

export const breakClasses: readonly BreakClass[] = [
  'missing_on_our_side',
  'missing_on_bank_side',
  'amount_mismatch',
  'fee_variance',
  'duplicate',
  'value_date_mismatch',
  'notified_not_stated',
];

export interface Match {
  readonly shape: '1:1' | '1:N' | 'N:1';
  readonly rule: 'end_to_end' | 'amount_date_counterparty';
  readonly confidence: number;
  readonly lineIds: readonly string[];
  readonly expectationIds: readonly string[];
  readonly amount: bigint;
}

export interface Break {
  readonly class: BreakClass;
  readonly lineIds: readonly string[];
  readonly expectationId: string | undefined;
  readonly endToEndId: string | undefined;
  /** The money in question: the line's amount, the payment's, or the difference. */
  readonly amount: bigint;
  readonly currency: string;
  /** The bank's closing balance minus what our ledger implies, caused by this break (signed). */
  readonly balanceEffect: bigint;
}

export interface MatcherOptions {
  readonly statementDate: string;
  readonly dateToleranceDays: number;
  /** Fuzzy matches below this confidence are not taken. */
  readonly threshold: number;
  /** Keys (direction:e2e) reconciled by earlier statements: a line for one of them is a duplicate. */
  readonly reconciledBefore: ReadonlySet<string>;
  /** Matches go here instead of the result's list (a large statement's matches written as they come). */
  readonly onMatch?: (match: Match) => void;
}

export const defaultMatcherOptions = { dateToleranceDays: 1, threshold: 70 };

const dayMs = 86_400_000;
function daysBetween(a: string, b: string): number {
  if (a === b) return 0;
  return Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / dayMs;
}

const keyOf = (direction: Direction, e2e: string): string => `${direction}:${e2e}`;
const amountKey = (d: Direction, currency: string, amount: bigint): string => `${d}|${currency}|${amount}`;
/** A debit line takes money from our account at the bank: it lowers the bank's balance. */
const signed = (d: Direction, amount: bigint): bigint => (d === 'debit' ? -amount : amount);

export interface MatchResult {
  readonly matches: Match[];
  readonly breaks: Break[];
  /** Expectations with a later value date, neither matched nor missing yet. */
  readonly carried: string[];
}

export class Matcher {
  readonly #open = new Map<string, Expectation>();
  /** Expectations matched or broken in this statement (kept, flagged, for duplicate detection). */
  readonly #done = new Map<string, Expectation>();
  readonly #partial = new Map<string, { lines: StatementLine[]; sum: bigint }>();
  readonly #pool: StatementLine[] = [];
  readonly #options: MatcherOptions;
  readonly matches: Match[] = [];
  readonly breaks: Break[] = [];

  constructor(expectations: Iterable<Expectation>, options: MatcherOptions) {
    this.#options = options;
    for (const e of expectations) this.#open.set(keyOf(e.direction, e.endToEndId), e);
  }

  add(line: StatementLine): void {
    // A bank charge is never one of our payments, even when it quotes the payment it was charged for.
    if (line.fee) {
      this.#break('fee_variance', [line], undefined, line.amount, signed(line.direction, line.amount));
      return;
    }
    const ids = line.endToEndIds.length > 1 ? [...new Set(line.endToEndIds)] : line.endToEndIds;
    if (ids.length > 1 && this.#many(line, ids)) return;
    if (ids.length === 1 && this.#byId(line, ids[0] as string)) return;
    this.#pool.push(line);
  }

  #break(
    cls: BreakClass,
    lines: readonly StatementLine[],
    e: Expectation | undefined,
    amount: bigint,
    effect: bigint,
  ): void {
    const currency = e?.currency ?? lines[0]?.currency ?? '';
    this.breaks.push({
      class: cls,
      lineIds: lines.map((l) => l.id),
      expectationId: e?.id,
      endToEndId: e?.endToEndId ?? lines[0]?.endToEndIds[0],
      amount,
      currency,
      balanceEffect: effect,
    });
  }

  #take(e: Expectation, key = keyOf(e.direction, e.endToEndId)): void {
    this.#open.delete(key);
    this.#done.set(key, e);
  }

  #matched(match: Match): void {
    if (this.#options.onMatch === undefined) this.matches.push(match);
    else this.#options.onMatch(match);
  }

  #many(line: StatementLine, ids: readonly string[]): boolean {
    const found = ids.map((id) => this.#open.get(keyOf(line.direction, id)));
    if (found.some((e) => e === undefined || e.currency !== line.currency)) return false;
    const sum = (found as Expectation[]).reduce((s, e) => s + e.amount, 0n);
    if (sum !== line.amount) return false;
    for (const e of found as Expectation[]) this.#take(e);
    this.#matched({
      shape: 'N:1',
      rule: 'end_to_end',
      confidence: 100,
      lineIds: [line.id],
      expectationIds: (found as Expectation[]).map((e) => e.id),
      amount: line.amount,
    });
    return true;
  }

  #byId(line: StatementLine, id: string): boolean {
    const key = keyOf(line.direction, id);
    const e = this.#open.get(key);
    if (e === undefined) {
      if (this.#done.has(key) || this.#options.reconciledBefore.has(key)) {
        this.#break('duplicate', [line], undefined, line.amount, signed(line.direction, line.amount));
        return true;
      }
      return false;
    }
    const partial = this.#partial.size === 0 ? undefined : this.#partial.get(key);
    const sum = (partial?.sum ?? 0n) + line.amount;
    if (partial === undefined && sum === e.amount && line.valueDate === e.valueDate) {
      // The common case, kept short: one line, one payment, same amount and date.
      this.#take(e, key);
      this.#matched({
        shape: '1:1',
        rule: 'end_to_end',
        confidence: 100,
        lineIds: [line.id],
        expectationIds: [e.id],
        amount: e.amount,
      });
      return true;
    }
    if (sum < e.amount) {
      // Perhaps one of several credits for one payment (1:N): wait for the rest.
      this.#partial.set(key, { lines: [...(partial?.lines ?? []), line], sum });
      return true;
    }
    const lines = [...(partial?.lines ?? []), line];
    this.#partial.delete(key);
    this.#take(e);
    if (sum > e.amount) {
      this.#break('amount_mismatch', lines, e, sum - e.amount, signed(e.direction, sum - e.amount));
      return true;
    }
    if (lines.some((l) => daysBetween(l.valueDate, e.valueDate) > this.#options.dateToleranceDays)) {
      this.#break('value_date_mismatch', lines, e, e.amount, 0n);
      return true;
    }
    this.#matched({
      shape: lines.length > 1 ? '1:N' : '1:1',
      rule: 'end_to_end',
      confidence: 100,
      lineIds: lines.map((l) => l.id),
      expectationIds: [e.id],
      amount: e.amount,
    });
    return true;
  }

  /** The second pass and the classification of everything left. */
  finish(): MatchResult {
    for (const [key, p] of this.#partial) {
      const e = this.#open.get(key) as Expectation;
      this.#take(e);
      this.#break('amount_mismatch', p.lines, e, e.amount - p.sum, signed(e.direction, p.sum - e.amount));
    }
    this.#partial.clear();
    const byAmount = new Map<string, Expectation[]>();
    for (const e of this.#open.values()) {
      const k = amountKey(e.direction, e.currency, e.amount);
      const list = byAmount.get(k);
      if (list === undefined) byAmount.set(k, [e]);
      else list.push(e);
    }
    for (const line of this.#pool) this.#fuzzy(line, byAmount);
    const carried: string[] = [];
    for (const e of this.#open.values()) {
      if (e.valueDate <= this.#options.statementDate)
        this.#break('missing_on_bank_side', [], e, e.amount, -signed(e.direction, e.amount));
      else carried.push(e.id);
    }
    return { matches: this.matches, breaks: this.breaks, carried };
  }

  #fuzzy(line: StatementLine, byAmount: Map<string, Expectation[]>): void {
    const candidates = byAmount.get(amountKey(line.direction, line.currency, line.amount)) ?? [];
    let best: Expectation | undefined;
    let bestScore = -1;
    for (const e of candidates) {
      if (!this.#open.has(keyOf(e.direction, e.endToEndId))) continue;
      const days = daysBetween(line.valueDate, e.valueDate);
      if (days > this.#options.dateToleranceDays) continue;
      const name =
        line.counterparty !== undefined &&
        e.counterparty !== undefined &&
        line.counterparty.trim().toLowerCase() === e.counterparty.trim().toLowerCase();
      const score = 50 + (days === 0 ? 30 : 15) + (name ? 20 : 0);
      if (score > bestScore) {
        best = e;
        bestScore = score;
      }
    }
    if (best !== undefined && bestScore >= this.#options.threshold) {
      this.#take(best);
      this.#matched({
        shape: '1:1',
        rule: 'amount_date_counterparty',
        confidence: bestScore,
        lineIds: [line.id],
        expectationIds: [best.id],
        amount: line.amount,
      });
      return;
    }
    this.#break('missing_on_our_side', [line], undefined, line.amount, signed(line.direction, line.amount));
  }
}
