// Crypto benchmark: operations per second on one core, in-process, for each profile; and the cost of
// protecting one customer record (five personal-data fields sealed with their own AAD).
// Usage: `npm run bench -- crypto --json`, or directly `node --import tsx bench/crypto.ts [--ms=300]`.
import { availableParallelism, cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { cryptoProfile } from '../src/crypto/index.ts';
import type { CryptoProfile, SignatureAlgorithm } from '../src/crypto/index.ts';

const defaultMeasureMs = 300;
const warmUpMs = 60;

const record = {
  name: '张伟',
  idNumber: '11010519491231002X',
  phone: '13800138000',
  bankAccount: '6222020200112233445',
  card: '6222020200112233',
} as const;

/** Runs `operation` for about `durationMs` after a warm-up; returns operations per second. */
function perSecond(operation: () => unknown, durationMs: number): number {
  const warmUpEnd = performance.now() + warmUpMs;
  while (performance.now() < warmUpEnd) operation();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 16; i += 1) operation();
    count += 16;
    now = performance.now();
  }
  return Math.round((count * 1000) / (now - start));
}

function signatureResults(profile: CryptoProfile, algorithm: SignatureAlgorithm, label: string, durationMs: number): Record<string, number> {
  const pair = profile.generateSigningKeyPair(algorithm);
  const message = Buffer.from('{"payer":"w-100","payee":"m-8001","amount":"100.00","currency":"CNY","nonce":"8c1f"}');
  const signature = profile.sign(pair.privateKey, message);
  const publicPem = profile.exportPublicKey(pair.publicKey);
  return {
    [`${label}.sign`]: perSecond(() => profile.sign(pair.privateKey, message), durationMs),
    [`${label}.verify`]: perSecond(() => profile.verify(pair.publicKey, message, signature), durationMs),
    // A key seen for the first time: PEM import plus one verification (no per-key precomputation yet).
    [`${label}.verify-first-use-of-key`]: perSecond(() => profile.verify(profile.importPublicKey(publicPem), message, signature), durationMs),
  };
}

function symmetricResults(profile: CryptoProfile, durationMs: number): Record<string, number> {
  const key = profile.generateSealKey();
  const field = Buffer.alloc(64, 0x61);
  const aad = Buffer.from('customer:42:phone');
  const sealed = profile.seal(key, field, aad);
  const fields = Object.entries(record).map(([name, value]) => ({ aad: Buffer.from(`customer:42:${name}`), value: Buffer.from(value) }));
  const sealedRecord = fields.map(({ aad: fieldAad, value }) => profile.seal(key, value, fieldAad));
  const macKey = profile.generateMacKey();
  return {
    [`${profile.sealAlgorithm}.seal-64B-field`]: perSecond(() => profile.seal(key, field, aad), durationMs),
    [`${profile.sealAlgorithm}.open-64B-field`]: perSecond(() => profile.open(key, sealed, aad), durationMs),
    [`${profile.hashAlgorithm}.hash-64B`]: perSecond(() => profile.hash(field), durationMs),
    [`${profile.macAlgorithm}.mac-64B (blind index)`]: perSecond(() => profile.mac(macKey, field), durationMs),
    'customer-record.seal-5-fields': perSecond(() => fields.map(({ aad: fieldAad, value }) => profile.seal(key, value, fieldAad)), durationMs),
    'customer-record.open-5-fields': perSecond(() => sealedRecord.map((blob, i) => profile.open(key, blob, fields[i]?.aad)), durationMs),
  };
}

function hybridResults(profile: CryptoProfile, durationMs: number): Record<string, number> {
  const pair = profile.generateEncryptionKeyPair();
  const dataKey = Buffer.alloc(32, 7);
  const ciphertext = profile.encryptTo(pair.publicKey, dataKey);
  return {
    'hybrid.encryptTo-32B': perSecond(() => profile.encryptTo(pair.publicKey, dataKey), durationMs),
    'hybrid.decryptWith-32B': perSecond(() => profile.decryptWith(pair.privateKey, ciphertext), durationMs),
  };
}

function targets(results: Record<string, Record<string, number>>): Record<string, unknown> {
  const check = (measured: number | undefined, target: number) => ({ target, measured, met: (measured ?? 0) >= target });
  return {
    'ecdsa-p256.verify': check(results.intl?.['ecdsa-p256.verify'], 12_000),
    'sm2.verify': check(results.gm?.['sm2.verify'], 3_000),
    'aes-256-gcm.field-encrypt': check(results.intl?.['aes-256-gcm.seal-64B-field'], 100_000),
    'sm4.field-encrypt': check(results.gm?.['sm4-cbc-hmac-sm3.seal-64B-field'], 100_000),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const msArgument = args.find((arg) => arg.startsWith('--ms='));
  const durationMs = msArgument === undefined ? defaultMeasureMs : Number(msArgument.slice('--ms='.length));
  const intl = cryptoProfile('intl');
  const gm = cryptoProfile('gm');
  const results: Record<string, Record<string, number>> = {
    intl: {
      ...signatureResults(intl, 'ecdsa-p256-sha256', 'ecdsa-p256', durationMs),
      ...signatureResults(intl, 'ed25519', 'ed25519', durationMs),
      ...symmetricResults(intl, durationMs),
      ...hybridResults(intl, durationMs),
    },
    gm: {
      ...signatureResults(gm, 'sm2-sm3', 'sm2', durationMs),
      ...symmetricResults(gm, durationMs),
      ...hybridResults(gm, durationMs),
    },
  };
  return {
    benchmark: 'crypto',
    unit: 'operations per second, one core, in-process',
    measureMsPerOperation: durationMs,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    results,
    targets: targets(results),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(process.argv.slice(2)), null, 2));
}
