// Merchant mutual TLS over a real HTTPS listener: the server asks for a client certificate; a route
// guarded by requireMerchantCertificate answers only a certificate issued by the platform CA (and
// names the merchant), refuses none and one from another CA, while public routes work without one.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../config.ts';
import { loadKek } from '../crypto/index.ts';
import { openPlatformKeyring } from '../wiring/platform-keyring.ts';
import { Ledger } from '../ledger/index.ts';
import { createTestDatabase } from '../store/testing.ts';
import { composeApp } from '../wiring/app.ts';
import { merchantCertificateOf, requireMerchantCertificate } from './client-certificate.ts';
import { clientCaFor, issueMerchantCertificate, platformCa } from './platform-ca.ts';
import { developmentCertificate } from './tls.ts';

function get(url: string, client?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, ...(client ?? {}) }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('merchant mutual TLS', () => {
  it('accepts platform-CA merchant certificates on merchant routes only, and leaves public routes open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'anfu-mtls-'));
    const config = loadConfig({ ANFU_ENV: 'development', ANFU_DATA_DIR: dataDir, ANFU_PORT: '0', ANFU_LOG_LEVEL: 'silent', ANFU_MTLS_CA_FILE: 'platform' });
    const database = await createTestDatabase('sqlite');
    const store = database.open();
    const ledger = new Ledger({ store, transferBatchMax: 10 });
    const tls = { ...(await developmentCertificate(dataDir)), clientCa: await clientCaFor(config) };
    const keyring = await openPlatformKeyring({ store, config, kek: loadKek(config) });
    const app = await composeApp({ config, store, ledger, keyring, tls });
    app.get('/test/merchant-only', { preHandler: requireMerchantCertificate }, async (request) => ({ merchant: merchantCertificateOf(request)?.merchantId }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const base = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
      const merchant = await issueMerchantCertificate(await platformCa(dataDir), 'm_shop42');
      const stranger = await issueMerchantCertificate(await platformCa(mkdtempSync(join(tmpdir(), 'anfu-other-ca-'))), 'm_shop42');

      assert.deepEqual(await get(`${base}/test/merchant-only`, merchant), { status: 200, body: '{"merchant":"m_shop42"}' });
      const none = await get(`${base}/test/merchant-only`);
      assert.equal(none.status, 401);
      assert.match(none.body, /client_certificate_required/);
      assert.equal((await get(`${base}/test/merchant-only`, stranger)).status, 401, 'a certificate from another CA is refused');
      assert.equal((await get(`${base}/health`)).status, 200, 'public routes need no certificate');
    } finally {
      await app.close();
      await ledger.close();
      await store.close();
      await database.drop();
    }
  });
});
