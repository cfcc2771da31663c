// Bench support: stores a rule set as the next version directly (the benchmark has no operators to
// propose and approve it; production goes through the risk.ruleset proposal only).
import type { Store } from '../src/store/index.ts';
import type { RuleSetDocument } from '../src/risk/index.ts';

export async function insertRuleSetForBench(store: Store, document: RuleSetDocument): Promise<void> {
  const row = await store.get<{ v: unknown }>('SELECT MAX(version) AS v FROM risk_rulesets');
  const version = row?.v === null || row?.v === undefined ? 1 : Number(row.v) + 1;
  await store.run(
    'INSERT INTO risk_rulesets (version, document, proposal_id, approved_by, created_at) VALUES (?, ?, NULL, ?, ?)',
    [version, JSON.stringify(document), 'bench', Date.now()],
  );
}
