// `anfu keys list | rotate --purpose P | rewrap [--purpose P] | rotate-kek`: key management from the
// command line, run beside the serving processes (no downtime). Prints purposes, versions and counts, never keys.
import { userInfo } from 'node:os';
import type { Config } from '../config.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import {
  countReferences,
  KeyringError,
  keyPurposes,
  loadKek,
  loadPreviousKek,
  requireKeyPurpose,
  retireUnused,
  rewrap,
  type Keyring,
  type KeyPurpose,
} from '../crypto/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';

const usage = `usage: anfu keys list
       anfu keys rotate --purpose <${Object.keys(keyPurposes).join('|')}>
       anfu keys rewrap [--purpose P]   re-encrypt stored data to the newest versions, then retire unused old ones
       anfu keys rotate-kek             re-wrap every data key under ANFU_KEK(_FILE), from ANFU_KEK_PREVIOUS(_FILE)`;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

async function list(keyring: Keyring): Promise<void> {
  say(`KEK ${keyring.kekId}`);
  say(['purpose', 'version', 'kind', 'algorithm', 'state', 'created', 'references'].map((h) => h.padEnd(17)).join(' '));
  for (const row of await keyring.versions()) {
    const countable = row.state !== 'retired' && row.kind !== 'sign' && Object.hasOwn(keyPurposes, row.purpose);
    const references = countable
      ? String(await countReferences(keyring.store, row.purpose as KeyPurpose, row.version))
      : '-';
    say(
      [
        row.purpose,
        `v${row.version}`,
        row.kind,
        row.algorithm,
        row.state,
        new Date(row.createdAt).toISOString().slice(0, 19),
        references,
      ]
        .map((c) => c.padEnd(17))
        .join(' '),
    );
  }
}

async function rotate(keyring: Keyring, purpose: KeyPurpose): Promise<void> {
  const row = await keyring.rotate(purpose);
  say(`${purpose}: version ${row.version} (${row.algorithm}) is now active for new writes.`);
  if (row.version > 1 && row.kind !== 'sign')
    say(
      `Older versions still decrypt. Run 'anfu keys rewrap' to re-encrypt stored data; unused versions are then retired.`,
    );
}

async function rewrapAndRetire(keyring: Keyring, purpose: KeyPurpose | undefined): Promise<void> {
  const results = await rewrap(keyring, purpose === undefined ? {} : { purposes: [purpose] });
  for (const r of results)
    say(
      `${r.table}.${r.column} (${r.purpose} → v${r.targetVersion}): rewrapped ${r.rewrapped}, changed by writers ${r.skipped}, failed ${r.failed}`,
    );
  for (const outcome of await retireUnused(keyring)) {
    if (purpose !== undefined && outcome.purpose !== purpose) continue;
    const why =
      outcome.outcome === 'retired'
        ? 'retired (key destroyed)'
        : outcome.outcome === 'grace'
          ? 'kept: superseded too recently, run rewrap again later'
          : `kept: ${outcome.references} values still use it`;
    say(`${outcome.purpose} v${outcome.version}: ${why}`);
  }
}

/** Resumable: each data key moves in its own transaction; running it again finishes what a crash left. */
async function rotateKek(keyring: Keyring): Promise<void> {
  const rewrapped = await keyring.rewrapUnderCurrentKek();
  const remaining = await keyring.keysUnderPreviousKek();
  say(`KEK ${keyring.kekId}: re-wrapped ${rewrapped} data keys; ${remaining} still under the previous KEK.`);
  if (remaining === 0)
    say(
      'Rotation complete: remove ANFU_KEK_PREVIOUS(_FILE) from every process and restart them, then destroy the old KEK.',
    );
}

async function withKeyring(config: Config, work: (keyring: Keyring) => Promise<void>): Promise<void> {
  const store: Store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 4 });
  try {
    await migrate(store);
    // Every rotation, rewrap and retirement lands in the audit log as well as key_events.
    const keyring = await openPlatformKeyring({
      store,
      config,
      kek: loadKek(config),
      previousKek: loadPreviousKek(config),
      actor: actor(),
    });
    await work(keyring);
  } finally {
    await store.close();
  }
}

/** Runs one `keys` subcommand; returns the process exit code. */
export async function keysCommand(
  config: Config,
  args: readonly string[],
  values: Readonly<Record<string, unknown>> = {},
): Promise<number> {
  const [subcommand] = args;
  const purposeText = typeof values.purpose === 'string' ? values.purpose : undefined;
  try {
    const purpose = purposeText === undefined ? undefined : requireKeyPurpose(purposeText);
    if (subcommand === 'list') await withKeyring(config, list);
    else if (subcommand === 'rotate' && purpose !== undefined)
      await withKeyring(config, (keyring) => rotate(keyring, purpose));
    else if (subcommand === 'rewrap') await withKeyring(config, (keyring) => rewrapAndRetire(keyring, purpose));
    else if (subcommand === 'rotate-kek') await withKeyring(config, rotateKek);
    else {
      process.stderr.write(`${usage}\n`);
      return 2;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof KeyringError)) throw error;
    process.stderr.write(`anfu keys: ${error.message}\n`);
    return 1;
  }
}
