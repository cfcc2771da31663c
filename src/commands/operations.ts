/* eslint-disable security/detect-non-literal-fs-filename -- output paths come from the operator's command line */
// `anfu assess [--json | --html FILE]`: the security self-assessment against the configured store and
// the listener at ANFU_HOST:ANFU_PORT (run it where the API runs); exit code 1 when a row fails.
// `anfu report ops --from D --to D [--granularity day|week] [--format json|csv]`: the operational report.
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  assessmentProbes,
  attestedControls,
  listAttestations,
  reachableHost,
  recordAttestation,
  renderAssessmentHtml,
  runAssessment,
  type Assessment,
} from '../assessment/index.ts';
import type { Config } from '../config.ts';
import { loadKek, loadPreviousKek } from '../crypto/index.ts';
import { operationsReport, reportCsv, reportRangeProblem, type Granularity } from '../reports/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { operationsReportSections } from '../wiring/report-sections.ts';
import { jsonOf, withLedger, withStore } from './with-store.ts';

const print = (text: string): void => void process.stdout.write(`${text}\n`);

function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function assessmentText(a: Assessment): string {
  const lines = [`self-assessment ${a.id} (${a.standard}) ${new Date(a.at).toISOString()}`];
  lines.push(
    `indicators: ${Object.entries(a.summary)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  for (const row of a.rows) {
    const trend = row.previous === null ? '' : ` (was ${row.previous})`;
    lines.push(`\n[${row.result.toUpperCase()}]${trend} ${row.chapter} ${row.id} — ${row.requirement}`);
    lines.push(`  evidence: ${row.evidence}`);
    if (row.advice !== '') lines.push(`  advice:   ${row.advice}`);
  }
  return lines.join('\n');
}

export const attestUsage = 'usage: anfu assess attest CONTROL --statement TEXT --days N | anfu assess attestations';

/** `anfu assess attest CONTROL --statement TEXT --days N`: vouch for a control no live check sees. */
async function attestCommand(config: Config, args: string[]): Promise<number> {
  const options = { statement: { type: 'string' }, days: { type: 'string' } } as const;
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const [controlId] = positionals;
  if (controlId === undefined || values.statement === undefined || values.days === undefined) {
    print(`${attestUsage}
controls: ${attestedControls.map((c) => `${c.id} (≤ ${c.validityDaysMax} d)`).join(', ')}`);
    return 2;
  }
  const request = { controlId, statement: values.statement, validDays: Number(values.days) };
  const attestation = await withStore(config, (store) =>
    recordAttestation(store, request, { type: 'system', id: cliActor() }, Date.now()),
  );
  print(`${attestation.id}: ${controlId} attested until ${new Date(attestation.expiresAt).toISOString()}`);
  return 0;
}

async function attestationsCommand(config: Config): Promise<number> {
  const items = await withStore(config, (store) => listAttestations(store, 200));
  for (const a of items) {
    const until = new Date(a.expiresAt).toISOString().slice(0, 10);
    print(`${a.controlId.padEnd(24)} by ${a.attestedBy} ${new Date(a.attestedAt).toISOString()} until ${until}`);
    print(`  ${a.statement}`);
  }
  if (items.length === 0) print('no attestations recorded');
  return 0;
}

export async function assessCommand(config: Config, args: string[]): Promise<number> {
  if (args[0] === 'attest') return attestCommand(config, args.slice(1));
  if (args[0] === 'attestations') return attestationsCommand(config);
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, html: { type: 'string' } },
    strict: true,
  });
  return withLedger(config, async (ledger, store) => {
    const keyring = await openPlatformKeyring({
      store,
      config,
      kek: loadKek(config),
      previousKek: loadPreviousKek(config),
      actor: 'cli',
    });
    const listener = { host: reachableHost(config.host), port: config.port, tls: !config.insecureHttp };
    const probes = assessmentProbes({
      store,
      config,
      clock: Date.now,
      keyring,
      verifyLedger: () => ledger.verify(),
      listener: () => listener,
    });
    const assessment = await runAssessment(probes(), { type: 'system', id: cliActor() });
    if (values.html !== undefined) {
      writeFileSync(values.html, renderAssessmentHtml(assessment), { mode: 0o640 });
      print(`wrote ${values.html}`);
    }
    print(values.json === true ? jsonOf(assessment, 2) : assessmentText(assessment));
    return assessment.rows.some((r) => r.result === 'fail') ? 1 : 0;
  });
}

export const reportUsage = 'usage: anfu report ops --from DATE --to DATE [--granularity day|week] [--format json|csv]';

export async function reportCommand(config: Config, args: string[]): Promise<number> {
  const options = {
    from: { type: 'string' },
    to: { type: 'string' },
    granularity: { type: 'string' },
    format: { type: 'string' },
  } as const;
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const granularity = (values.granularity ?? 'day') as Granularity;
  const format = values.format ?? 'json';
  if (positionals[0] !== 'ops' || !['day', 'week'].includes(granularity) || !['json', 'csv'].includes(format)) {
    print(reportUsage);
    return 2;
  }
  const query = { from: Date.parse(values.from ?? ''), to: Date.parse(values.to ?? ''), granularity };
  const problem = reportRangeProblem(query);
  if (problem !== null) {
    process.stderr.write(`anfu: ${problem}\n${reportUsage}\n`);
    return 2;
  }
  const sections = operationsReportSections;
  const report = await withStore(config, (store) => operationsReport({ store, clock: Date.now, sections }, query));
  process.stdout.write(format === 'csv' ? reportCsv(report) : `${jsonOf(report, 2)}\n`);
  return 0;
}
