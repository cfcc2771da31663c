// `anfu risk backtest --from T --to T [--version N | --file set.json]`: replays a rule set (a stored
// version, a draft file, or the running one) over the stored decisions in [from, to) and prints the
// report (per-rule hits, decisions that would change, precision and recall where labelled) as JSON.
// Times are Unix milliseconds or ISO 8601. Refuses a set that does not compile, with its problems.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import {
  backtest,
  compileRuleSet,
  decisionsBetween,
  defaultRuleSet,
  latestRuleSetVersion,
  ruleSetAt,
} from '../risk/index.ts';
import { jsonOf, withStore } from './with-store.ts';

const usage = 'usage: anfu risk backtest --from TIME --to TIME [--version N | --file SET.json] [--limit N] [--json]';

function timeOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^[0-9]{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export async function riskCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      version: { type: 'string' },
      file: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [from, to] = [timeOf(values.from), timeOf(values.to)];
  if (positionals[0] !== 'backtest' || from === undefined || to === undefined || to <= from) {
    console.error(usage);
    return 2;
  }
  const config = loadConfig();
  return withStore(config, async (store) => {
    const version = values.version === undefined ? await latestRuleSetVersion(store) : Number(values.version);
    const document =
      values.file !== undefined
        ? // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the draft file
          (JSON.parse(readFileSync(values.file, 'utf8')) as unknown)
        : version === 0
          ? defaultRuleSet(undefined, config.currencies)
          : await ruleSetAt(store, version);
    const compiled = compileRuleSet(document);
    if (!compiled.ok) {
      console.error(jsonOf({ code: 'risk_ruleset_invalid', problems: compiled.problems }, 2));
      return 1;
    }
    const limit = Math.min(1_000_000, Number(values.limit ?? '100000'));
    const report = backtest(compiled.set, await decisionsBetween(store, from, to, limit));
    console.log(jsonOf({ from, to, ruleset: values.file ?? version, ...report }, values.json === true ? 0 : 2));
    return 0;
  });
}
