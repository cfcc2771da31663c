// OFAC's legacy SDN files, as Treasury publishes them: SDN.CSV (one row per party, 12 fields), ALT.CSV
// (aliases, 5 fields) and ADD.CSV (addresses, 6 fields), joined on the entity number. Birth dates and
// nationalities are read from the remarks ("DOB 18 Sep 1972; nationality China"), where OFAC puts them.
import { csvRecords } from './csv-records.ts';
import { ListFormatError, type ListEntry, type PartyKind } from './list-entry.ts';

export interface OfacFiles {
  readonly sdn: string;
  readonly alt?: string;
  readonly add?: string;
}

interface Draft {
  id: string;
  kind: PartyKind;
  name: string;
  aliases: string[];
  birthDates: Set<string>;
  countries: Set<string>;
  programs: string[];
}

const months: Record<string, string> = {
  jan: '01',
  feb: '02',
  mar: '03',
  apr: '04',
  may: '05',
  jun: '06',
  jul: '07',
  aug: '08',
  sep: '09',
  oct: '10',
  nov: '11',
  dec: '12',
};
/** Fewer rows than this is not a real SDN file (today ~7,400): a cut-off file. */
export const ofacSdnRowsMin = 1000;

function kindOf(type: string): PartyKind {
  switch (type.toLowerCase()) {
    case 'individual':
      return 'individual';
    case 'vessel':
      return 'vessel';
    case 'aircraft':
      return 'aircraft';
    default:
      return 'entity';
  }
}

/** Facts in the remarks: every `DOB [dd Mon ]yyyy` and every `nationality X` / `citizen X`. */
export function remarkFacts(remarks: string): { birthDates: string[]; countries: string[] } {
  const birthDates: string[] = [];
  // eslint-disable-next-line security/detect-unsafe-regex -- fixed-width optional groups, linear time
  for (const m of remarks.matchAll(/DOB (?:circa )?(?:(\d{1,2}) ([A-Z][a-z]{2}) )?(\d{4})/gu)) {
    const month = m[2] === undefined ? undefined : months[m[2].toLowerCase()];
    birthDates.push(
      m[1] !== undefined && month !== undefined ? `${m[3]}-${month}-${m[1].padStart(2, '0')}` : `${m[3]}`,
    );
  }
  const countries: string[] = [];
  for (const m of remarks.matchAll(/(?:nationality|citizen) ([A-Za-z][A-Za-z ,'.-]*?)(?=;|\.\s|\.$|$)/giu)) {
    countries.push((m[1] as string).trim().toLowerCase());
  }
  return { birthDates, countries };
}

async function readSdn(path: string, drafts: Map<string, Draft>): Promise<void> {
  for await (const { line, fields } of csvRecords(path, 'SDN.CSV', 12)) {
    const [number = '', name = '', type = '', program = ''] = fields;
    const remarks = fields[11] ?? '';
    if (!/^\d+$/u.test(number)) throw new ListFormatError('SDN.CSV', line, 'the entity number is not a number');
    if (name.length === 0) throw new ListFormatError('SDN.CSV', line, 'an entry without a name');
    const id = `ofac:${number}`;
    if (drafts.has(id)) throw new ListFormatError('SDN.CSV', line, `entity ${number} appears twice`);
    const facts = remarkFacts(remarks);
    drafts.set(id, {
      id,
      kind: kindOf(type),
      name,
      aliases: [],
      birthDates: new Set(facts.birthDates),
      countries: new Set(facts.countries),
      programs: program
        .split(/\]\s*\[/u)
        .map((p) => p.replace(/[[\]]/gu, '').trim())
        .filter((p) => p.length > 0),
    });
  }
  if (drafts.size < ofacSdnRowsMin) {
    throw new ListFormatError(
      'SDN.CSV',
      drafts.size,
      `only ${drafts.size} entries; a real SDN file has thousands (truncated?)`,
    );
  }
}

async function readLinked(
  path: string,
  label: string,
  width: number,
  drafts: Map<string, Draft>,
  apply: (draft: Draft, fields: readonly string[]) => void,
): Promise<number> {
  let orphans = 0;
  for await (const { line, fields } of csvRecords(path, label, width)) {
    const number = fields[0] as string;
    if (!/^\d+$/u.test(number)) throw new ListFormatError(label, line, 'the entity number is not a number');
    const draft = drafts.get(`ofac:${number}`);
    // Rows of parties no longer in SDN.CSV (files published on different days) are counted, not used.
    if (draft === undefined) orphans += 1;
    else apply(draft, fields);
  }
  return orphans;
}

export interface ParsedList {
  readonly entries: ListEntry[];
  /** Alias and address rows naming a party that is not in the main file (skipped). */
  readonly orphanRows: number;
}

export async function parseOfac(files: OfacFiles): Promise<ParsedList> {
  const drafts = new Map<string, Draft>();
  await readSdn(files.sdn, drafts);
  let orphanRows = 0;
  if (files.alt !== undefined) {
    orphanRows += await readLinked(files.alt, 'ALT.CSV', 5, drafts, (draft, fields) => {
      const alias = fields[3] as string;
      if (alias.length > 0) draft.aliases.push(alias);
    });
  }
  if (files.add !== undefined) {
    orphanRows += await readLinked(files.add, 'ADD.CSV', 6, drafts, (draft, fields) => {
      const country = (fields[4] as string).trim().toLowerCase();
      if (country.length > 0) draft.countries.add(country);
    });
  }
  const entries = [...drafts.values()].map((d): ListEntry => ({
    id: d.id,
    source: 'ofac',
    kind: d.kind,
    name: d.name,
    aliases: d.aliases,
    birthDates: [...d.birthDates],
    countries: [...d.countries],
    programs: d.programs,
  }));
  return { entries, orphanRows };
}
