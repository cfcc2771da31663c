// The in-memory index the screening search runs on: every name and alias of every listed party as a
// NameForm, and postings from blocking keys (the sound of each token, and its first three letters) to
// the names that have them. A search scores only names sharing keys with most query tokens, so it stays
// well under a millisecond over the full lists (bench: `npm run bench -- screening --json`).
import type { ListEntry } from './list-entry.ts';
import { nameForm, phoneticKey, particleWeight, type NameForm } from './normalise-name.ts';
import { jaroWinkler } from './jaro-winkler.ts';
import { nameScoreWith, tieBreak, type TieBreakers } from './name-score.ts';

interface IndexedName {
  readonly entry: number;
  readonly form: NameForm;
  readonly alias: boolean;
  /** The form's tokens as numbers in the index's vocabulary (for the per-search similarity memo). */
  readonly tokenIds: Int32Array;
}

/** Query tokens whose similarities are memoised per search; longer queries compute the rest directly. */
const memoTokensMax = 8;

export interface ScreeningMatch {
  readonly entry: ListEntry;
  /** The listed name or alias that matched best. */
  readonly matchedName: string;
  readonly nameScore: number;
  /** nameScore moved by birth date and country agreement. */
  readonly score: number;
}

/** Names scored fully per search, at most: the ones sharing the most (rarest) keys with the query. */
export const candidatesMax = 50;
const commonSoundPostings = 600;

/** The blocking keys of each significant token: its sound and its first three letters. */
function tokenKeys(form: NameForm): string[][] {
  const keys: string[][] = [];
  form.tokens.forEach((token, i) => {
    if (form.weights[i] === particleWeight) return;
    keys.push(token.length >= 3 ? [`p${phoneticKey(token)}`, `t${token.slice(0, 3)}`] : [`p${phoneticKey(token)}`]);
  });
  return keys;
}

export class ScreeningIndex {
  private readonly names: IndexedName[] = [];
  private readonly postings = new Map<string, Int32Array>();
  private readonly tally: Float32Array;
  private readonly mark: Int32Array;
  private stamp = 0;
  private readonly vocabulary = new Map<string, number>();
  private readonly words: string[] = [];
  private memo = new Float32Array(0);
  private memoStamp = new Int32Array(0);
  private search_ = 0;

  constructor(readonly entries: readonly ListEntry[]) {
    const building = new Map<string, number[]>();
    entries.forEach((entry, e) => {
      const seen = new Set<string>();
      for (const [raw, alias] of [[entry.name, false], ...entry.aliases.map((a) => [a, true] as const)] as const) {
        const form = nameForm(raw);
        if (form.tokens.length === 0 || seen.has(form.compact)) continue;
        seen.add(form.compact);
        const tokenIds = Int32Array.from(form.tokens.map((t) => this.tokenId(t)));
        const n = this.names.push({ entry: e, form, alias, tokenIds }) - 1;
        for (const key of new Set(tokenKeys(form).flat())) {
          let list = building.get(key);
          if (list === undefined) building.set(key, (list = []));
          list.push(n);
        }
      }
    });
    for (const [key, list] of building) this.postings.set(key, Int32Array.from(list));
    this.tally = new Float32Array(this.names.length);
    this.mark = new Int32Array(this.names.length);
    this.memo = new Float32Array(this.words.length * memoTokensMax);
    this.memoStamp = new Int32Array(this.words.length * memoTokensMax);
  }

  private tokenId(token: string): number {
    let id = this.vocabulary.get(token);
    if (id === undefined) {
      id = this.words.push(token) - 1;
      this.vocabulary.set(token, id);
    }
    return id;
  }

  /** Jaro–Winkler of query token i and a vocabulary word, computed once per search. */
  private similarity(query: NameForm, i: number, word: number): number {
    if (i >= memoTokensMax) return jaroWinkler(query.tokens[i] as string, this.words[word] as string);
    const slot = word * memoTokensMax + i;
    if (this.memoStamp[slot] === this.search_) return this.memo[slot] as number;
    const s = jaroWinkler(query.tokens[i] as string, this.words[word] as string);
    this.memo[slot] = s;
    this.memoStamp[slot] = this.search_;
    return s;
  }

  get nameCount(): number {
    return this.names.length;
  }

  /**
   * Candidate names: those sharing a key with at least half the query's significant tokens, those
   * sharing the most tokens first; at most `candidatesMax`.
   */
  private candidates(form: NameForm): number[] {
    const perToken = tokenKeys(form);
    const touched: number[] = [];
    for (const keys of perToken) {
      this.stamp += 1;
      for (const key of keys) {
        const list = this.postings.get(key);
        // A sound shared by very many names (that of "Ali") adds little the first letters do not.
        if (list === undefined || (list.length > commonSoundPostings && keys.length > 1 && key.startsWith('p')))
          continue;
        const weight = 1;
        for (let i = 0; i < list.length; i += 1) {
          const n = list[i] as number;
          if (this.mark[n] === this.stamp) continue;
          this.mark[n] = this.stamp;
          if (this.tally[n] === 0) touched.push(n);
          this.tally[n] = (this.tally[n] as number) + weight;
        }
      }
    }
    // Most shared tokens first, level by level (no sort): all names sharing every token, then one fewer …
    const needed = Math.max(1, Math.ceil(perToken.length / 2));
    const chosen: number[] = [];
    for (let level = perToken.length; level >= needed && chosen.length < candidatesMax; level -= 1) {
      for (const n of touched) {
        if (Math.floor(this.tally[n] as number) !== level) continue;
        chosen.push(n);
        if (chosen.length >= candidatesMax) break;
      }
    }
    for (const n of touched) this.tally[n] = 0;
    return chosen;
  }

  /** Listed parties whose name or an alias scores at least `floor`, best first, at most `limit`. */
  search(rawName: string, facts: TieBreakers, floor: number, limit: number): ScreeningMatch[] {
    const form = nameForm(rawName);
    if (form.tokens.length === 0) return [];
    const best = new Map<number, ScreeningMatch>();
    this.search_ += 1;
    for (const n of this.candidates(form)) {
      const indexed = this.names[n] as IndexedName;
      const ids = indexed.tokenIds;
      const s = nameScoreWith(form, indexed.form, (i, j) => this.similarity(form, i, ids[j] as number), floor - 0.05);
      if (s < floor - 0.05) continue;
      const entry = this.entries[indexed.entry] as ListEntry;
      const score = Math.min(1, s + tieBreak(facts, entry.birthDates, entry.countries));
      const previous = best.get(indexed.entry);
      if (score >= floor && (previous === undefined || score > previous.score)) {
        best.set(indexed.entry, {
          entry,
          matchedName: indexed.alias ? rawAlias(entry, indexed.form) : entry.name,
          nameScore: s,
          score,
        });
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, limit);
  }
}

function rawAlias(entry: ListEntry, form: NameForm): string {
  return entry.aliases.find((a) => nameForm(a).compact === form.compact) ?? entry.name;
}
