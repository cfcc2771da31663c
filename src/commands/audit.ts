/* eslint-disable security/detect-non-literal-fs-filename -- paths are the operator's own command-line arguments */
// The audit commands of the `anfu` CLI: verify-audit (offline from an export, or live), export-audit
// and audit-proof. Each returns the process exit code; output is JSON on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import { loadKek, loadPreviousKek } from '../crypto/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import {
  appendAudit,
  consistencyProof,
  exportAudit,
  inclusionProof,
  keyringAuditSigner,
  verifyAuditExportParallel,
  verifyAuditLog,
  type AuditSigner,
  type ProofOutcome,
} from '../audit/index.ts';

type Values = Record<string, unknown>;
// A replacer sees Buffers after their toJSON; reading the holder gives the Buffer itself, printed as hex.
function plain(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (Buffer.isBuffer(raw)) return raw.toString('hex');
  return typeof value === 'bigint' ? value.toString() : value;
}
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, plain, 2)}\n`);
const text = (values: Values, name: string): string | undefined =>
  typeof values[name] === 'string' ? (values[name] as string) : undefined;

async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 2 });
  try {
    await migrate(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The platform's audit signer, from the keyring (the KEK is needed, as for the server). */
async function platformSigner(config: Config, store: Store): Promise<AuditSigner> {
  const keyring = await openPlatformKeyring({
    store,
    config,
    kek: loadKek(config),
    previousKek: loadPreviousKek(config),
    actor: 'cli',
  });
  return keyringAuditSigner(keyring, { dataDir: config.dataDir, profile: config.cryptoProfile });
}

/** `anfu verify-audit --file export.jsonl --public-key audit.pub.pem` (offline), or without --file: the live database. */
export async function verifyAuditCommand(config: () => Config, values: Values): Promise<number> {
  const file = text(values, 'file');
  const keyFile = text(values, 'public-key');
  const publicKeyPem = keyFile === undefined ? undefined : readFileSync(keyFile, 'utf8');
  if (file !== undefined) {
    const started = process.hrtime.bigint();
    const result = await verifyAuditExportParallel(file, publicKeyPem === undefined ? {} : { publicKeyPem });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    print({ ...result, seconds: Number(seconds.toFixed(3)), entriesPerSecond: Math.round(result.entries / seconds) });
    if (publicKeyPem === undefined)
      console.error(
        'anfu: no --public-key given: the key inside the export was used (integrity only, not authenticity)',
      );
    return result.ok ? 0 : 1;
  }
  const c = config();
  const result = await withStore(c, async (store) =>
    verifyAuditLog(store, { publicKeyPem: publicKeyPem ?? (await platformSigner(c, store)).publicKeyPem }),
  );
  print(result);
  return result.ok ? 0 : 1;
}

/** `anfu export-audit --out FILE [--public-key-out PEM]`: the export is itself audited. */
export async function exportAuditCommand(config: () => Config, values: Values): Promise<number> {
  const out = text(values, 'out');
  if (out === undefined) {
    console.error('usage: anfu export-audit --out FILE [--public-key-out FILE]');
    return 2;
  }
  const c = config();
  const { signer, report } = await withStore(c, async (store) => {
    const signer = await platformSigner(c, store);
    await store.transaction((tx) =>
      appendAudit(
        tx,
        [
          {
            actorType: 'system',
            actorId: 'cli',
            action: 'audit.export',
            target: null,
            outcome: 'success',
            details: { keyId: signer.keyId },
          },
        ],
        Date.now(),
      ),
    );
    return { signer, report: await exportAudit(store, out, { publicKeyPem: signer.publicKeyPem, now: Date.now() }) };
  });
  const keyOut = text(values, 'public-key-out');
  if (keyOut !== undefined) writeFileSync(keyOut, signer.publicKeyPem);
  print({ file: out, ...report, keyId: signer.keyId });
  return 0;
}

function positive(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(value)) throw new Error(`--${name} must be a positive integer`);
  return BigInt(value);
}

/** `anfu audit-proof --seq N [--tree-size M]` or `anfu audit-proof --first A --second B`. */
export async function auditProofCommand(config: () => Config, values: Values): Promise<number> {
  const seq = positive(text(values, 'seq'), 'seq');
  const treeSize = positive(text(values, 'tree-size'), 'tree-size');
  const first = positive(text(values, 'first'), 'first');
  const second = positive(text(values, 'second'), 'second');
  if (seq === undefined && (first === undefined || second === undefined)) {
    console.error('usage: anfu audit-proof --seq N [--tree-size M] | --first A --second B');
    return 2;
  }
  const outcome: ProofOutcome<unknown> = await withStore(config(), async (store): Promise<ProofOutcome<unknown>> =>
    seq !== undefined
      ? inclusionProof(store, seq, treeSize)
      : consistencyProof(store, first as bigint, second as bigint),
  );
  if (!outcome.ok) {
    console.error(`anfu: ${outcome.code}: ${outcome.detail}`);
    return 1;
  }
  print(outcome.proof);
  return 0;
}
