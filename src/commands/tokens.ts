// `anfu tokens create|list|revoke`: operator API tokens from the machine's command line. A token
// belongs to a named, enrolled operator and expires; issuing and revoking are audited (actor: the
// CLI). `revoke --all` revokes every live token and issues none in their place.
import type { Config } from '../config.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import { issueApiToken, listApiTokens, revokeApiToken, type Actor } from '../access/index.ts';

type Say = (line: string) => void;
const print: Say = (line) => process.stdout.write(`${line}\n`);
const complain: Say = (line) => process.stderr.write(`${line}\n`);
const cliActor: Actor = { type: 'system', principal: undefined, ip: null, device: 'anfu cli' };
const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

const usage = `usage: anfu tokens create --operator NAME --name WHAT [--days N]
       anfu tokens list [--all]          (live tokens; --all also revoked and expired)
       anfu tokens revoke TOKEN_ID | --all`;

/** --days as given: a number of days, undefined for the default, or -1 (refused) for anything else. */
function daysOf(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' && /^[0-9]{1,3}$/.test(value) ? Number(value) : -1;
}

async function create(store: Store, config: Config, values: Record<string, unknown>, say: Say): Promise<number> {
  const operator = String(values.operator);
  const maxDays = config.operatorTokenTtlDaysMax;
  const request = { operator: { name: operator }, name: String(values.name), days: daysOf(values.days), maxDays };
  const outcome = await issueApiToken(store, cliActor, request, Date.now());
  if (!outcome.ok) {
    complain(`refused: ${outcome.code}${outcome.code === 'validation_failed' ? ` (--days 1..${maxDays})` : ''}`);
    return 1;
  }
  const { id, expiresAt, token } = outcome.issued;
  say(`token ${id} for ${operator}, expires ${iso(expiresAt)} (shown once, store it safely):`);
  say(token);
  return 0;
}

async function list(store: Store, values: Record<string, unknown>, say: Say): Promise<number> {
  const tokens = await listApiTokens(store, { liveAt: values.all === true ? undefined : Date.now(), limit: 10_000 });
  for (const t of tokens) {
    const name = t.name.slice(0, 30).padEnd(30);
    const times = `created ${iso(t.createdAt)}  expires ${iso(t.expiresAt)}  revoked ${iso(t.revokedAt)}`;
    say(`${t.id}  ${t.operatorName.padEnd(20)} ${name} ${times}`);
  }
  if (tokens.length === 0) say('no tokens');
  return 0;
}

async function revoke(store: Store, id: string | undefined, say: Say): Promise<number> {
  const now = Date.now();
  const ids = id !== undefined ? [id] : (await listApiTokens(store, { liveAt: now, limit: 100_000 })).map((t) => t.id);
  let failed = 0;
  for (const tokenId of ids) {
    const outcome = await revokeApiToken(store, cliActor, tokenId, now);
    if (outcome.ok) say(`revoked ${tokenId}`);
    else {
      complain(`${tokenId}: ${outcome.code}`);
      failed += 1;
    }
  }
  return failed === 0 ? 0 : 1;
}

export async function tokensCommand(
  config: Config, args: readonly string[], values: Record<string, unknown>, say: Say = print,
): Promise<number> {
  const [verb, id] = args;
  const creates = verb === 'create' && typeof values.operator === 'string' && typeof values.name === 'string';
  const revokes = verb === 'revoke' && (typeof id === 'string' || values.all === true);
  if (!creates && verb !== 'list' && !revokes) {
    complain(usage);
    return 2;
  }
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 2 });
  try {
    await migrate(store);
    if (creates) return await create(store, config, values, say);
    if (verb === 'list') return await list(store, values, say);
    return await revoke(store, id, say);
  } finally {
    await store.close();
  }
}
