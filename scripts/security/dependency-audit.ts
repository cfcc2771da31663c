// `npm audit` for the self-attack: fails on any high or critical advisory when the registry answers;
// when it does not (no network, a mirror without the advisory endpoint) it says "unknown" and exits 0
// with that word printed, since an unanswered question is not a finding — and never a pass in
// the self-assessment either (src/assessment reports it as unknown).
// Usage: node --import tsx scripts/security/dependency-audit.ts   (exit 1 on high/critical)
import { resolve } from 'node:path';
import { npmAudit } from '../../src/assessment/index.ts';

const root = resolve(import.meta.dirname, '..', '..');
const report = await npmAudit(root, 120_000);
if (!report.answered) {
  console.log(`npm audit: unknown (${report.note})`);
  process.exit(0);
}
const c = report.counts;
console.log(`npm audit: critical ${c.critical}, high ${c.high}, moderate ${c.moderate}, low ${c.low}`);
process.exit(c.critical + c.high > 0 ? 1 : 0);
