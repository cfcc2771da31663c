// Backup benchmark on the SQLite store: a database of N transfers (default 1,000,000), a full backup,
// an incremental after 1 % more transfers, and a restore with every verification. Ceiling, measured in
// the same run: a plain copy of the database file (what any backup must at least read and write).
// Targets (issue 14): full < 60 s, incremental < 10 % of the full, restore + verify < 120 s.
// Usage: anfu bench backup [--transfers 1000000] [--json]
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryTarget, restoreBackup, takeBackup, type BackupContext } from '../src/backup/index.ts';
import { ephemeralAuditSigner } from '../src/audit/index.ts';
import { cryptoProfile, Kek } from '../src/crypto/index.ts';
import { Ledger } from '../src/ledger/index.ts';
import { migrate, openStore } from '../src/store/index.ts';

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e6) / 1000 };
}

async function load(
  ledger: Ledger,
  bank: string,
  wallets: readonly string[],
  from: number,
  count: number,
): Promise<void> {
  const window = 2_000;
  for (let start = from; start < from + count; start += window) {
    const batch = [];
    for (let i = start; i < Math.min(start + window, from + count); i += 1) {
      batch.push(
        ledger.submit({
          kind: 'single',
          key: `bench-${i}`,
          debitAccountId: bank,
          creditAccountId: wallets[i % wallets.length] ?? '',
          amount: 1n + BigInt(i % 997),
          currency: 'CNY',
        }),
      );
    }
    for (const outcome of await Promise.all(batch)) if (!outcome.ok) throw new Error(outcome.code);
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const transfers = Number(option(args, 'transfers') ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'anfu-bench-backup-'));
  const sqlitePath = join(dir, 'anfu.db');
  try {
    const store = openStore({ sqlitePath, databaseUrl: undefined });
    await migrate(store);
    const ledger = new Ledger({ store });
    const bank = (
      await ledger.openAccount({
        kind: 'bank_settlement',
        currency: 'CNY',
        name: 'Bank',
        code: 'bank_settlement:B:CNY',
      })
    ).id;
    const wallets: string[] = [];
    for (let i = 0; i < 1_000; i += 1)
      wallets.push(
        (await ledger.openAccount({ kind: 'customer_wallet', currency: 'CNY', name: `W${i}`, ownerId: `cus_${i}` })).id,
      );
    const loading = await timed(() => load(ledger, bank, wallets, 0, transfers));
    await store.run('PRAGMA wal_checkpoint(TRUNCATE)');
    const databaseBytes = statSync(sqlitePath).size;
    const ceiling = await timed(() => copyFileSync(sqlitePath, join(dir, 'plain-copy.db')));
    rmSync(join(dir, 'plain-copy.db'));

    const ctx: BackupContext = {
      sqlitePath,
      kek: new Kek(randomBytes(32), 'bench'),
      profile: cryptoProfile('intl'),
      targets: [directoryTarget('primary', join(dir, 'backups'))],
      clock: Date.now,
      randomSuffix: () => randomBytes(3).toString('hex'),
    };
    const full = await timed(() => takeBackup(ctx, 'full'));
    await load(ledger, bank, wallets, transfers, Math.ceil(transfers / 100));
    const incremental = await timed(() => takeBackup(ctx, 'incremental'));
    await ledger.close();
    await store.close();
    const restore = await timed(() =>
      restoreBackup(ctx, { latest: true }, join(dir, 'restored.db'), ephemeralAuditSigner('intl').publicKeyPem),
    );
    if (!restore.value.ledger.ok || !restore.value.fingerprint.equal)
      throw new Error(`restore did not verify: ${restore.value.problems.join('; ')}`);
    return {
      transfers,
      load_s: loading.seconds,
      database_mb: Math.round(databaseBytes / 1e5) / 10,
      full_s: full.seconds,
      full_archive_mb: Math.round(full.value.data.bytes / 1e5) / 10,
      incremental_s: incremental.seconds,
      incremental_archive_mb: Math.round(incremental.value.data.bytes / 1e5) / 10,
      incremental_rows: incremental.value.rowsWritten ?? null,
      incremental_kind: incremental.value.kind,
      pages: full.value.pageCount,
      incremental_vs_full: Math.round((incremental.seconds / full.seconds) * 100) / 100,
      restore_verify_s: restore.seconds,
      restore_steps_s: restore.value.timings,
      ceiling: 'plain copy of the database file',
      ceiling_s: ceiling.seconds,
      full_vs_ceiling: Math.round((full.seconds / Math.max(ceiling.seconds, 0.001)) * 10) / 10,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      load_average: loadavg().map((l) => Math.round(l * 100) / 100),
      targets: { full_s_max: 60, incremental_vs_full_max: 0.1, restore_verify_s_max: 120 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
