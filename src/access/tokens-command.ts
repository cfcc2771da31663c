// `anfu tokens create|list|revoke`: operator API tokens from the machine's command line. A token
// belongs to a named, enrolled operator and expires; issuing and revoking are audited (actor: the
// CLI). `revoke --all` revokes every live token and issues none in their place.
import type { Config } from '../config.ts';
import { migrate, openStore } from '../store/index.ts';
import type { Actor } from './actor.ts';
import { issueApiToken, listApiTokens, revokeApiToken } from './api-tokens.ts';

const print = (line: string) => process.stdout.write(`${line}\n`);
const complain = (line: string) => process.stderr.write(`${line}\n`);
const cliActor: Actor = { type: 'system', principal: undefined, ip: null, device: 'anfu cli' };
const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

const usage = `usage: anfu tokens create --operator NAME --name WHAT [--days N]
       anfu tokens list [--all]          (live tokens; --all also revoked and expired)
       anfu tokens revoke TOKEN_ID | --all`;

export async function tokensCommand(config: Config, args: readonly string[], values: Record<string, unknown>, say: (line: string) => void = print): Promise<number> {
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 2 });
  try {
    await migrate(store);
    const now = Date.now();
    if (args[0] === 'create' && typeof values.operator === 'string' && typeof values.name === 'string') {
      const days = typeof values.days === 'string' && /^[0-9]{1,3}$/.test(values.days) ? Number(values.days) : values.days === undefined ? undefined : -1;
      const outcome = await issueApiToken(store, cliActor, { operator: { name: values.operator }, name: values.name, days, maxDays: config.operatorTokenTtlDaysMax }, now);
      if (!outcome.ok) {
        complain(`refused: ${outcome.code}${outcome.code === 'validation_failed' ? ` (--days 1..${config.operatorTokenTtlDaysMax})` : ''}`);
        return 1;
      }
      say(`token ${outcome.issued.id} for ${values.operator}, expires ${iso(outcome.issued.expiresAt)} (shown once, store it safely):\n${outcome.issued.token}`);
      return 0;
    }
    if (args[0] === 'list') {
      const tokens = await listApiTokens(store, { liveAt: values.all === true ? undefined : now, limit: 10_000 });
      for (const t of tokens) say(`${t.id}  ${t.operatorName.padEnd(20)} ${t.name.slice(0, 30).padEnd(30)} created ${iso(t.createdAt)}  expires ${iso(t.expiresAt)}  revoked ${iso(t.revokedAt)}`);
      if (tokens.length === 0) say('no tokens');
      return 0;
    }
    if (args[0] === 'revoke' && (typeof args[1] === 'string' || values.all === true)) {
      const ids = typeof args[1] === 'string' ? [args[1]] : (await listApiTokens(store, { liveAt: now, limit: 100_000 })).map((t) => t.id);
      let failed = 0;
      for (const id of ids) {
        const outcome = await revokeApiToken(store, cliActor, id, now);
        if (outcome.ok) say(`revoked ${id}`);
        else {
          complain(`${id}: ${outcome.code}`);
          failed += 1;
        }
      }
      return failed === 0 ? 0 : 1;
    }
    complain(usage);
    return 2;
  } finally {
    await store.close();
  }
}
