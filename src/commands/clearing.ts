// `anfu clearing …`, `anfu settle merchants`, `anfu reconcile --statement FILE`: the operator's command
// line over clearing and reconciliation (docs/banks.md). Each opens the configured store, ledger and
// keyring, does one thing, prints JSON, and exits non-zero with the problem code on a refusal.
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  applyNotification,
  applyStatusReport,
  batchFile,
  ClearingRefused,
  createPartner,
  httpTransport,
  isoDate,
  listPartners,
  markSent,
  requirePartner,
  runClearing,
  settlementReport,
  type ClearingContext,
  type PartnerRole,
} from '../clearing/index.ts';
import type { Config } from '../config.ts';
import { loadKek } from '../crypto/index.ts';
import { AnfuError } from '../errors.ts';
import { dailyReport, reconcileStatement } from '../reconciliation/index.ts';
import { clearingContextFor } from '../wiring/clearing.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { jsonOf, withLedger } from './with-store.ts';

export const clearingUsage = `usage:
  anfu clearing partners
  anfu clearing add-partner --name N --role clearing_house|settlement_bank --currency C --bic B --account A --cap
    MINOR [--fee MINOR] [--days N] [--endpoint URL]
  anfu clearing run [--partner ID] [--send]        lock a batch per partner (all active ones by default); --send
    posts it and applies the pacs.002
  anfu clearing status --partner ID --file F       apply a pacs.002 received out of band
  anfu clearing notifications --partner ID --file F   apply a camt.054
  anfu clearing report --partner ID [--date D]     the daily reconciliation report
  anfu settle merchants --report MERCHANT_ID [--format json|csv]   a merchant's settlement report
    (a settlement run pays customer money: it is proposed and approved by two operators through
    POST /v1/clearing/settlement-runs; the command line refuses to run one)
  anfu reconcile --statement FILE --partner ID     import and reconcile a camt.053
`;

const options = {
  name: { type: 'string' },
  role: { type: 'string' },
  currency: { type: 'string' },
  bic: { type: 'string' },
  account: { type: 'string' },
  cap: { type: 'string' },
  fee: { type: 'string' },
  days: { type: 'string' },
  endpoint: { type: 'string' },
  partner: { type: 'string' },
  send: { type: 'boolean' },
  file: { type: 'string' },
  statement: { type: 'string' },
  date: { type: 'string' },
  report: { type: 'string' },
  format: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new AnfuError('validation_failed', `--${name} is required`);
  return value;
}

const minor = (text: string | undefined, name: string): bigint | undefined => {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,18}$/.test(text)) throw new AnfuError('validation_failed', `--${name} is an amount in minor units`);
  return BigInt(text);
};

async function clearingRun(ctx: ClearingContext, values: Values): Promise<unknown> {
  const partners =
    values.partner === undefined
      ? (await listPartners(ctx.store)).filter((p) => p.status === 'active')
      : [await requirePartner(ctx.store, values.partner)];
  const out: unknown[] = [];
  for (const partner of partners) {
    const run = await runClearing(ctx, partner.id, 'cli');
    let status: unknown;
    if (values.send === true && run.batch !== undefined) {
      const body = (await batchFile(ctx.store, run.batch.id)) as string;
      const report = await httpTransport(partner, body, {
        algorithm: run.batch.signatureAlgorithm,
        signature: run.batch.signature,
        sha256: run.batch.fileSha256,
      });
      await markSent(ctx, run.batch.id);
      status = await applyStatusReport(ctx, partner.id, report);
    }
    out.push({ partnerId: partner.id, batch: run.batch, held: run.held, status });
  }
  return out;
}

/**
 * No single credential moves customer money: a merchant settlement run is a maker–checker proposal
 * (`clearing.settle_merchants`), which the command line, holding no operator session, cannot make. Refused
 * before the store is opened, so nothing can be paid.
 */
const settlementNeedsTwo = new ClearingRefused(
  'clearing_four_eyes_required',
  'a settlement run needs two operators: propose it with POST /v1/clearing/settlement-runs and have a second ' +
    'operator approve it',
);

async function dispatch(ctx: ClearingContext, verb: string, values: Values): Promise<unknown> {
  switch (verb) {
    case 'clearing partners':
      return listPartners(ctx.store);
    case 'clearing add-partner':
      return createPartner(
        ctx.store,
        ctx.ledger,
        {
          name: required(values, 'name'),
          role: required(values, 'role') as PartnerRole,
          currency: required(values, 'currency'),
          bic: required(values, 'bic'),
          accountNumber: required(values, 'account'),
          netDebitCap: minor(required(values, 'cap'), 'cap') as bigint,
          feePerInstruction: minor(values.fee, 'fee'),
          settlementDays: values.days === undefined ? undefined : Number(values.days),
          endpoint: values.endpoint,
        },
        'cli',
        ctx.clock(),
      );
    case 'clearing run':
      return clearingRun(ctx, values);
    case 'clearing status':
      return applyStatusReport(
        ctx,
        required(values, 'partner'),
        await import('node:fs/promises').then((fs) => fs.readFile(required(values, 'file'), 'utf8')),
      );
    case 'clearing notifications':
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the file
      return applyNotification(ctx, required(values, 'partner'), createReadStream(required(values, 'file')));
    case 'clearing report':
      return dailyReport(ctx.store, required(values, 'partner'), values.date ?? isoDate(ctx.clock()), ctx.clock());
    case 'settle merchants':
      if (values.report !== undefined)
        return settlementReport(ctx.store, values.report, values.format === 'csv' ? 'csv' : 'json');
      throw settlementNeedsTwo;
    case 'reconcile':
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names the statement file
      return reconcileStatement(ctx, required(values, 'partner'), createReadStream(required(values, 'statement')));
    default:
      throw new AnfuError('validation_failed', 'unknown command');
  }
}

export async function clearingCommand(
  command: 'clearing' | 'settle' | 'reconcile',
  config: () => Config,
  args: string[],
): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true }));
  } catch (error) {
    process.stderr.write(
      `anfu ${command}: ${error instanceof Error ? error.message : String(error)}\n\n${clearingUsage}`,
    );
    return 2;
  }
  const verb = [command, ...positionals.slice(0, 1)].join(' ');
  if (verb === 'settle merchants' && values.report === undefined) {
    process.stderr.write(`anfu ${command}: ${settlementNeedsTwo.code}: ${settlementNeedsTwo.detail ?? ''}\n`);
    return 1;
  }
  const cfg = config();
  try {
    const result = await withLedger(cfg, async (ledger, store) => {
      const keyring = await openPlatformKeyring({ store, config: cfg, kek: loadKek(cfg), actor: 'cli' });
      return dispatch(await clearingContextFor({ store, ledger, keyring, config: cfg }), verb, values);
    });
    process.stdout.write(typeof result === 'string' ? result : `${jsonOf(result, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof AnfuError) {
      process.stderr.write(`anfu ${command}: ${error.code}${error.detail === undefined ? '' : `: ${error.detail}`}\n`);
      return 1;
    }
    throw error;
  }
}
