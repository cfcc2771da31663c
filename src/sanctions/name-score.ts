// How alike two names are, 0..1: the better of a token-set comparison (each token of one name against
// its best counterpart in the other by Jaro–Winkler, weighted by length, so word order does not
// matter and extra middle names cost little) and a comparison of the names written as one word (for
// "Fang Wei" / "Fangwei"). Birth date and country, when both sides have them, move the score a little:
// they break ties between namesakes, they never make a different name match.
import { jaroWinkler } from './jaro-winkler.ts';
import type { NameForm } from './normalise-name.ts';

/** The query's tokens count this much; the listed name's tokens (coverage of the listed name) the rest. */
const queryShare = 0.7;
/** Below this Jaro–Winkler similarity two tokens are different words. */
export const tokenAgreementMin = 0.8;

/** Similarity of token i of the query and token j of the listed name. */
export type TokenSimilarity = (i: number, j: number) => number;

function covered(from: NameForm, to: NameForm, similarity: TokenSimilarity, fromIsQuery: boolean): number {
  let total = 0;
  let weight = 0;
  for (let i = 0; i < from.tokens.length; i += 1) {
    const token = from.tokens[i] as string;
    let best = 0;
    for (let j = 0; j < to.tokens.length && best < 1; j += 1) {
      const s = fromIsQuery ? similarity(i, j) : similarity(j, i);
      if (s > best) best = s;
    }
    // Tokens of one or two letters (initials, "li", "al") only count when they match exactly; a token
    // with no close counterpart earns nothing (unrelated words still share a few letters).
    if ((token.length <= 2 && best < 1) || best < tokenAgreementMin) best = 0;
    const w = (from.weights[i] as number) * Math.min(token.length, 8);
    total += best * w;
    weight += w;
  }
  return weight === 0 ? 0 : total / weight;
}

/** nameScore with the token similarities supplied (the index memoises them per search). */
export function nameScoreWith(query: NameForm, listed: NameForm, similarity: TokenSimilarity, floor: number): number {
  if (query.tokens.length === 0 || listed.tokens.length === 0) return 0;
  if (query.compactSorted === listed.compactSorted) return 1;
  const forward = covered(query, listed, similarity, true);
  // Even a perfect backward coverage could not lift this name to the floor: stop here.
  const compactPossible =
    query.tokens.length !== listed.tokens.length && Math.abs(query.compact.length - listed.compact.length) <= 3;
  if (!compactPossible && queryShare * forward + (1 - queryShare) < floor) return 0;
  const tokens = queryShare * forward + (1 - queryShare) * covered(listed, query, similarity, false);
  if (tokens >= 0.96 || !compactPossible) return tokens;
  // Written as one word ("Fang Wei" / "Fangwei"); trusted less, as long shared prefixes inflate it.
  const compact = Math.max(
    jaroWinkler(query.compact, listed.compact),
    jaroWinkler(query.compactSorted, listed.compactSorted),
  );
  return Math.max(tokens, compact - 0.04);
}

export function nameScore(query: NameForm, listed: NameForm): number {
  return nameScoreWith(query, listed, (i, j) => jaroWinkler(query.tokens[i] as string, listed.tokens[j] as string), 0);
}

export interface TieBreakers {
  readonly birthDate?: string;
  readonly country?: string;
}

export const birthDateAgrees = 0.03;
export const birthDateDisagrees = -0.12;
export const countryAgrees = 0.02;
export const countryDisagrees = -0.03;

/** `YYYY[-MM[-DD]]` dates agree when every part both give is equal. */
function datesAgree(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}

export function tieBreak(facts: TieBreakers, birthDates: readonly string[], countries: readonly string[]): number {
  let delta = 0;
  if (facts.birthDate !== undefined && birthDates.length > 0) {
    delta += birthDates.some((d) => datesAgree(d, facts.birthDate as string)) ? birthDateAgrees : birthDateDisagrees;
  }
  if (facts.country !== undefined && countries.length > 0) {
    const country = facts.country.toLowerCase();
    delta += countries.some((c) => c === country || c.includes(country)) ? countryAgrees : countryDisagrees;
  }
  return delta;
}
