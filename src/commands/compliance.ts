// `anfu sanctions …` and `anfu aml …`: load list files (refused whole when malformed or truncated),
// search the lists in force, produce the daily large-value report, run the monitors, export the
// suspicious-transaction report of a case. Every API process picks up a new list version by itself.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  monitorSettingsIn,
  exportSuspiciousReport,
  pbocLargeValueThresholds,
  previousDay,
  produceLargeValueReport,
  runMonitors,
} from '../aml/index.ts';
import type { Config } from '../config.ts';
import { loadKek } from '../crypto/index.ts';
import { AnfuError } from '../errors.ts';
import { amlPartyNames } from '../flows/aml-party-names.ts';
import { openIdentity } from '../identity/index.ts';
import {
  createSanctions,
  identifyListFiles,
  ListFormatError,
  loadLists,
  requestRescreen,
  rescreenRuns,
  rescreenStep,
  searchLists,
} from '../sanctions/index.ts';
import { rescreenSourcesOf } from '../wiring/sanctions-screening.ts';
import type { Store } from '../store/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { jsonOf, withStore } from './with-store.ts';

function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

const sanctionsUsage =
  'usage: anfu sanctions load FILE… | search NAME [--birth-date YYYY-MM-DD] [--country C]' +
  ' | rescreen [--no-wait] | rescreens';
const amlUsage = 'usage: anfu aml report [--date YYYY-MM-DD] [--force] | monitor | str CASE_ID';

export async function sanctionsCommand(config: Config, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { 'birth-date': { type: 'string' }, country: { type: 'string' }, 'no-wait': { type: 'boolean' } },
  });
  const [action, ...rest] = positionals;
  if (action === 'rescreen' || action === 'rescreens')
    return withStore(config, (store) => rescreenCommand(config, store, action, values['no-wait'] === true));
  if ((action !== 'load' && action !== 'search') || rest.length === 0) {
    console.error(sanctionsUsage);
    return 2;
  }
  return withStore(config, async (store) => {
    try {
      if (action === 'load') {
        const reports = await loadLists(
          store,
          await identifyListFiles(rest),
          { type: 'operator', id: cliActor() },
          Date.now(),
        );
        console.log(jsonOf({ loaded: reports }, 2));
        return 0;
      }
      const found = await searchLists(createSanctions(store, Date.now), rest.join(' '), {
        birthDate: values['birth-date'],
        country: values.country,
      });
      if (found === undefined) throw new AnfuError('sanctions_lists_unavailable');
      const matches = found.matches.map((m) => ({
        entryId: m.entry.id,
        name: m.entry.name,
        matchedName: m.matchedName,
        score: Number(m.score.toFixed(3)),
        kind: m.entry.kind,
        programs: m.entry.programs,
        birthDates: m.entry.birthDates,
        countries: m.entry.countries,
      }));
      console.log(jsonOf({ listVersions: found.listVersions, matches }, 2));
      return 0;
    } catch (error) {
      if (error instanceof ListFormatError) {
        console.error(`refused: ${error.message}; the lists in force are unchanged`);
        return 1;
      }
      throw error;
    }
  });
}

/**
 * `rescreen`: starts a run (or joins the open one) and, unless --no-wait, runs it here to the end
 * under the same lease the servers use (a server holding it runs it instead; this waits and reports).
 */
async function rescreenCommand(config: Config, store: Store, action: string, noWait: boolean): Promise<number> {
  if (action === 'rescreens') {
    console.log(jsonOf({ items: await rescreenRuns(store, 20) }, 2));
    return 0;
  }
  const sanctions = createSanctions(store, Date.now);
  const { run, created } = await requestRescreen(sanctions, cliActor());
  console.error(`${created ? 'started' : 'joined'} re-screening ${run.id} against ${run.listVersions}`);
  if (noWait) {
    console.log(jsonOf(run, 2));
    return 0;
  }
  const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config), actor: cliActor() });
  const identity = await openIdentity({ store, config, keyring, lazy: true });
  const sources = rescreenSourcesOf(identity, store, Date.now);
  for (;;) {
    const step = await rescreenStep(sanctions, sources, { budgetMs: 2_000 });
    const now = (await rescreenRuns(store, 20)).find((r) => r.id === run.id);
    if (now === undefined) return 1;
    console.error(`${now.state}: screened ${now.screened}, hits ${now.hits}, near hits ${now.nearHits}`);
    if (now.state === 'done' || now.state === 'failed') {
      console.log(jsonOf(now, 2));
      return now.state === 'done' ? 0 : 1;
    }
    if (!step.ran) await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function reportNames(config: Config, store: Store) {
  const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config), actor: cliActor() });
  return amlPartyNames(await openIdentity({ store, config, keyring, lazy: true }), store);
}

export async function amlCommand(config: Config, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { date: { type: 'string' }, force: { type: 'boolean' } },
  });
  const [action, caseId] = positionals;
  return withStore(config, async (store) => {
    const now = Date.now();
    if (action === 'report') {
      const options = {
        store,
        directory: join(config.dataDir, 'aml-reports'),
        thresholds: pbocLargeValueThresholds,
        names: await reportNames(config, store),
        producedBy: cliActor(),
        now,
        force: values.force === true,
      };
      console.log(jsonOf(await produceLargeValueReport(options, values.date ?? previousDay(now)), 2));
      return 0;
    }
    if (action === 'monitor') {
      const settings = await monitorSettingsIn(store, config.amlMonitorLevelFactors);
      console.log(jsonOf(await runMonitors(store, settings, now), 2));
      return 0;
    }
    if (action === 'str' && caseId !== undefined) {
      console.log(jsonOf(await exportSuspiciousReport(store, caseId, cliActor(), now), 2));
      return 0;
    }
    console.error(amlUsage);
    return 2;
  });
}
