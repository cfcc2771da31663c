// A child process of the sweep crash test: runs one payments sweep under its lease against the test
// database and kills itself with SIGKILL right after the first ledger submit (or database
// transaction, or card-link call) of the sweep has returned — the moment between two steps a real
// crash would hit. With `bankSimPort` the sweeps that talk to the bank run too, over a real card link
// to `anfu bank-sim`, revealing cards with the parent's keyring (same KEK, same store).
// Run with: node --import tsx src/flows/testing/sweep-crash-worker.ts (forked, config in ANFU_SWEEP_CRASH).
import { loadConfig } from '../../config.ts';
import { paymentSweeps } from '../payment-sweeps.ts';
import { Ledger } from '../../ledger/index.ts';
import { openStore, underLease, type Store } from '../../store/index.ts';
import { testSqliteWriter } from '../../store/testing.ts';
import { CardLink } from '../../banks/index.ts';
import { Kek, TokenVault } from '../../crypto/index.ts';
import { testKeyring } from '../../crypto/testing.ts';
import {
  paymentSettingsOf,
  type CardFunding,
  type PaymentIdentity,
  type PaymentsContext,
} from '../../payments/index.ts';

export interface SweepCrashConfig {
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  readonly schema: string | undefined;
  readonly sweep: string;
  /** Die after the first ledger call, store transaction or card-link call of the sweep returns. */
  readonly killAfter: 'ledger' | 'transaction' | 'link';
  readonly clockOffsetMs: number;
  /** The bank simulator's port and the parent keyring's KEK (hex), for the card sweeps. */
  readonly bankSimPort?: number;
  readonly kekHex?: string;
  readonly terminalId?: string;
}

async function cardFundingFor(
  config: SweepCrashConfig,
  store: Store,
): Promise<{ funding: CardFunding; link: CardLink } | undefined> {
  if (config.bankSimPort === undefined || config.kekHex === undefined) return undefined;
  const terminalId = config.terminalId ?? 'TCRASH01';
  const kek = new Kek(Buffer.from(config.kekHex, 'hex'), 'test');
  const link = new CardLink({
    port: config.bankSimPort,
    terminalId,
    merchantId: 'ANFUTOPUP000001',
    responseTimeoutMs: 2_000,
    reversalRetryDelayMs: 10,
  });
  const vault = new TokenVault(await testKeyring(store, { kek }));
  const port = config.killAfter === 'link' ? dyingAfter(link, ['reverse', 'payoutStatus']) : link;
  return { funding: { link: port, vault, bank: 'SIMBANK', terminalId, merchantId: 'ANFUTOPUP000001' }, link };
}

function dyingAfter<T extends object>(target: T, methods: readonly string[]): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(object);
      if (!methods.includes(String(property))) return bound;
      return async (...args: unknown[]) => {
        await bound(...args);
        process.kill(process.pid, 'SIGKILL');
        return new Promise(() => undefined);
      };
    },
  });
}

const raw = process.env.ANFU_SWEEP_CRASH;
if (raw === undefined) throw new Error('sweep-crash-worker: run me with ANFU_SWEEP_CRASH');
const config = JSON.parse(raw) as SweepCrashConfig;
const store = openStore({
  databaseUrl: config.databaseUrl,
  sqlitePath: config.sqlitePath,
  schema: config.schema,
  poolSize: 2,
  sqliteWriter: testSqliteWriter(),
});
const ledger = new Ledger({ store });
const identity = {} as PaymentIdentity;
const clock = () => Date.now() + config.clockOffsetMs;
const ctx: PaymentsContext = {
  store: config.killAfter === 'transaction' ? dyingAfter<Store>(store, ['transaction']) : store,
  // applyWithin returns inside the caller's transaction (a refund's): dying there leaves nothing committed.
  ledger: config.killAfter === 'ledger' ? dyingAfter(ledger, ['submit', 'submitLinked', 'applyWithin']) : ledger,
  identity,
  settings: paymentSettingsOf(loadConfig({ ANFU_ENV: 'test' })),
  clock,
};
const card = await cardFundingFor(config, store);
const sweep = paymentSweeps(ctx, card?.funding).find(([name]) => name === config.sweep);
if (sweep === undefined) throw new Error(`sweep-crash-worker: no sweep ${config.sweep}`);
await underLease(store, sweep[0], clock, sweep[1]);
// Reaching here means the sweep never hit the crash point: the parent treats a clean exit as a failure.
card?.link.close();
await ledger.close();
await store.close();
