// Authentication benchmark (SQLite): customer logins per second with argon2id at the configured cost
// (and the time of one hash), access-token verifications per second on one core (the MAC check, and
// the full per-request check with its session lookup), and device-signature verifications per second
// under both crypto profiles. Usage: `npm run bench -- auth --json [--logins=200] [--tokens=200000]`,
// or `node --import tsx bench/auth.ts`.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { cryptoProfile } from '../src/crypto/index.ts';
import { Kek } from '../src/crypto/kek.ts';
import { openPlatformKeyring } from '../src/wiring/platform-keyring.ts';
import { authenticateCustomer, logInCustomer, openIdentity, registerCustomer, requestSmsCode, type Identity, type SmsMessage } from '../src/identity/index.ts';
import { hashPassword } from '../src/identity/password-hashing.ts';
import { migrate, openStore } from '../src/store/index.ts';

function option(args: readonly string[], name: string, fallback: number): number {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : Number(hit.slice(name.length + 3));
}

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
const meta = { ip: '127.0.0.1', userAgent: 'anfu-bench' };
const device = { installId: 'bench' };
const password = 'a benchmark passphrase';

async function registerBenchCustomer(identity: Identity, outbox: SmsMessage[], i: number): Promise<string> {
  const phone = `+86137${String(i).padStart(8, '0')}`;
  const sent = await requestSmsCode(identity, { phone, purpose: 'registration' }, meta);
  const code = /\d{6}/.exec(outbox.filter((m) => m.to === phone).at(-1)?.text ?? '')?.[0] ?? '';
  const first17 = `11010119900101${String(i % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const check = '10X98765432'[[...first17].reduce((sum, d, k) => sum + Number(d) * (weights[k] ?? 0), 0) % 11] ?? '0';
  const registered = await registerCustomer(identity, { phone, smsCodeId: sent.codeId, smsCode: code, name: '测试', idNumber: `${first17}${check}`, password, device }, meta);
  return registered.session.accessToken;
}

async function loginRate(identity: Identity, phones: readonly string[], logins: number, concurrency: number) {
  const outcomes = { session: 0, challenge: 0 };
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < logins) {
      const i = next++;
      const result = await logInCustomer(identity, { phone: phones[i % phones.length] ?? '', password, device }, meta);
      outcomes[result.kind] += 1;
    }
  }));
  return { perSecond: perSecond(logins, performance.now() - start), logins, concurrency, outcomes };
}

function tokenRate(identity: Identity, token: string, count: number): number {
  const now = identity.clock();
  const start = performance.now();
  for (let i = 0; i < count; i++) if (identity.tokens.verify(token, now) === undefined) throw new Error('token did not verify');
  return perSecond(count, performance.now() - start);
}

function signatureRate(profileName: 'intl' | 'gm', count: number): number {
  const profile = cryptoProfile(profileName);
  const pair = profile.generateSigningKeyPair();
  const data = Buffer.from('anfu-login-v1|lch_bench|nonce');
  const signature = profile.sign(pair.privateKey, data);
  const start = performance.now();
  for (let i = 0; i < count; i++) if (!profile.verify(pair.publicKey, data, signature)) throw new Error('signature did not verify');
  return perSecond(count, performance.now() - start);
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const logins = option(args, 'logins', 200);
  const tokens = option(args, 'tokens', 200_000);
  const dir = mkdtempSync(join(tmpdir(), 'anfu-bench-auth-'));
  const config = loadConfig({ ...process.env, ANFU_ENV: 'test', ANFU_DATA_DIR: dir, ANFU_LOG_LEVEL: 'silent', ANFU_SMS_RESEND_INTERVAL_MS: '0' });
  const store = openStore({ sqlitePath: join(dir, 'anfu.db') });
  try {
    await migrate(store);
    const outbox: SmsMessage[] = [];
    const keyring = await openPlatformKeyring({ store, config, kek: new Kek(randomBytes(32), 'bench') });
    const identity = await openIdentity({ store, config, keyring, sms: { send: async (m) => void outbox.push(m) } });
    const cost = identity.argon2;
    const hashStart = performance.now();
    for (let i = 0; i < 10; i++) await hashPassword(`password ${i}`, cost);
    const hashMs = (performance.now() - hashStart) / 10;
    const phones: string[] = [];
    let token = '';
    for (let i = 0; i < 8; i++) {
      token = await registerBenchCustomer(identity, outbox, i);
      phones.push(`+86137${String(i).padStart(8, '0')}`);
    }
    const concurrency = Math.max(1, Math.min(4, availableParallelism()));
    const login = await loginRate(identity, phones, logins, concurrency);
    const fullChecks = 20_000;
    const fullStart = performance.now();
    for (let i = 0; i < fullChecks; i++) if ((await authenticateCustomer(identity, token)) === undefined) throw new Error('session check failed');
    const fullRate = perSecond(fullChecks, performance.now() - fullStart);
    generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      benchmark: 'auth', store: 'sqlite', cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version,
      argon2id: { memoryKib: cost.memoryKib, timeCost: cost.timeCost, parallelism: cost.parallelism, msPerHash: Number(hashMs.toFixed(1)), hashesPerSecondOneThread: Math.round(1000 / hashMs) },
      loginsPerSecond: login,
      tokenVerificationsPerSecond: { macOnlyOneCore: tokenRate(identity, token, tokens), withSessionLookup: fullRate, target: 50_000, profile: config.cryptoProfile },
      deviceSignatureVerificationsPerSecond: { ecdsaP256: signatureRate('intl', 5_000), sm2: signatureRate('gm', 2_000) },
      loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(process.argv.slice(2)), null, 2));
}
