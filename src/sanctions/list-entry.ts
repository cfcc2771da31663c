// One party on a sanctions or watch list, as every list format is read into: the publisher's
// identifier, the primary name and its aliases, and the few facts that break ties between namesakes.

export type ListSource = 'ofac' | 'un';
export type PartyKind = 'individual' | 'entity' | 'vessel' | 'aircraft';

export interface ListEntry {
  /** Stable across list versions: source and the publisher's number, e.g. `ofac:306`, `un:6907993`. */
  readonly id: string;
  readonly source: ListSource;
  readonly kind: PartyKind;
  readonly name: string;
  /** Aliases (a.k.a., f.k.a., low-quality a.k.a. included) and names in their original script. */
  readonly aliases: readonly string[];
  /** Birth dates as published: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
  readonly birthDates: readonly string[];
  /** Countries of nationality, citizenship or address, lower case English names. */
  readonly countries: readonly string[];
  /** Sanctions programmes (OFAC) or the UN list type. */
  readonly programs: readonly string[];
}

/** A malformed or truncated list file: the load is refused and the running lists stay as they were. */
export class ListFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}: line ${line}: ${problem}`);
    this.name = 'ListFormatError';
  }
}
