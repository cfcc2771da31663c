// Sanctions and watch-list screening (SPEC R4.6): OFAC SDN and UN consolidated lists loaded from the
// publishers' own files and versioned in the store, fuzzy name matching over an in-memory index, and
// screening of customers, merchants and payees that blocks a hit and opens a case. docs/sanctions.md.
export { ListFormatError, type ListEntry, type ListSource, type PartyKind } from './list-entry.ts';
export { parseOfac, type OfacFiles } from './parse-ofac.ts';
export { parseUn } from './parse-un.ts';
export { nameForm, foldName, type NameForm } from './normalise-name.ts';
export { jaroWinkler } from './jaro-winkler.ts';
export { nameScore } from './name-score.ts';
export { ScreeningIndex, type ScreeningMatch } from './screening-index.ts';
export { identifyListFiles, loadLists, type ListFiles, type LoadedListReport, type LoadActor } from './load-lists.ts';
export { createSanctions, defaultScreeningSettings, type Sanctions, type ScreeningSettings } from './sanctions.ts';
export {
  screenParty,
  recordSearch,
  searchLists,
  payeeScreeningOf,
  requireNoHit,
  type ScreeningRequest,
  type ScreeningVerdict,
  type ScreeningContext,
} from './screen-party.ts';
export {
  frozenMerchants,
  merchantFrozen,
  listVersions,
  screeningsSince,
  type ListVersion,
  type ScreeningRow,
} from './store.ts';
export { sanctionsHitKind } from './case-kind.ts';
export {
  requestRescreen,
  rescreenStep,
  rescreenRun,
  rescreenRuns,
  rescreenLease,
  type PartySource,
  type PartyToScreen,
  type RescreenRun,
  type RescreenStepOptions,
} from './rescreen.ts';
