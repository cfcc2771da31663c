// The UN Security Council Consolidated List in the UN's own XML: INDIVIDUALS (names in FIRST_NAME …
// FOURTH_NAME, aliases, NAME_ORIGINAL_SCRIPT, dates of birth, nationalities) and ENTITIES.
import { ListFormatError, type ListEntry } from './list-entry.ts';
import { xmlElements } from './xml-elements.ts';

interface Draft {
  kind: 'individual' | 'entity';
  dataId: string;
  names: string[];
  aliases: string[];
  birthDates: Set<string>;
  countries: Set<string>;
  listType: string;
}

/** Fewer parties than this is not a real consolidated list (today ~1,000): a cut-off file. */
export const unEntriesMin = 100;
const nameParts = new Set(['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME']);

function newDraft(kind: 'individual' | 'entity'): Draft {
  return { kind, dataId: '', names: [], aliases: [], birthDates: new Set(), countries: new Set(), listType: '' };
}

function apply(draft: Draft, name: string, parent: string | undefined, text: string): void {
  if (text.length === 0) return;
  if (name === 'DATAID') draft.dataId = text;
  else if (nameParts.has(name) && (parent === 'INDIVIDUAL' || parent === 'ENTITY')) draft.names.push(text);
  else if (name === 'UN_LIST_TYPE') draft.listType = text;
  else if (name === 'ALIAS_NAME' || name === 'NAME_ORIGINAL_SCRIPT') draft.aliases.push(text);
  else if (name === 'DATE' && parent === 'INDIVIDUAL_DATE_OF_BIRTH') draft.birthDates.add(text.slice(0, 10));
  else if ((name === 'YEAR' || name === 'FROM_YEAR' || name === 'TO_YEAR') && parent === 'INDIVIDUAL_DATE_OF_BIRTH') {
    draft.birthDates.add(text);
  } else if (name === 'VALUE' && parent === 'NATIONALITY') draft.countries.add(text.toLowerCase());
  else if (name === 'COUNTRY' && (parent === 'INDIVIDUAL_ADDRESS' || parent === 'ENTITY_ADDRESS')) {
    draft.countries.add(text.toLowerCase());
  }
}

function finish(draft: Draft, line: number): ListEntry {
  if (!/^\d+$/u.test(draft.dataId)) throw new ListFormatError('UN XML', line, 'a party without a numeric DATAID');
  if (draft.names.length === 0) throw new ListFormatError('UN XML', line, `party ${draft.dataId} has no name`);
  return {
    id: `un:${draft.dataId}`,
    source: 'un',
    kind: draft.kind,
    name: draft.names.join(' '),
    aliases: draft.aliases,
    birthDates: [...draft.birthDates],
    countries: [...draft.countries],
    programs: draft.listType === '' ? [] : [draft.listType],
  };
}

export async function parseUn(path: string): Promise<ListEntry[]> {
  const entries: ListEntry[] = [];
  let draft: Draft | undefined;
  let root = '';
  let count = 0;
  for await (const event of xmlElements(path, 'UN XML')) {
    count += 1;
    if (event.type === 'open') {
      if (event.path.length === 0) root = event.name;
      if (event.name === 'INDIVIDUAL' || event.name === 'ENTITY')
        draft = newDraft(event.name === 'INDIVIDUAL' ? 'individual' : 'entity');
      continue;
    }
    if (event.name === 'INDIVIDUAL' || event.name === 'ENTITY') {
      if (draft !== undefined) entries.push(finish(draft, count));
      draft = undefined;
    } else if (draft !== undefined) apply(draft, event.name, event.path.at(-1), event.text);
  }
  if (root !== 'CONSOLIDATED_LIST')
    throw new ListFormatError('UN XML', 1, `the root element is <${root}>, not <CONSOLIDATED_LIST>`);
  if (entries.length < unEntriesMin) {
    throw new ListFormatError(
      'UN XML',
      count,
      `only ${entries.length} parties; the consolidated list has about a thousand`,
    );
  }
  return entries;
}
