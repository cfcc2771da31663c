// The ceiling for the payments benchmark, measured in the same run: a bare Fastify HTTPS server with
// the same TLS settings, one POST route that parses a JSON body of a payment's size and checks one
// P-256 signature over it — the least work a signed payment needs — under the same load generator.
// No store, no ledger, no audit: what the machine can do before any payment logic runs.
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { developmentCertificate, tlsServerOptions } from '../src/http/tls.ts';

export interface CeilingServer {
  readonly url: string;
  readonly requests: Array<{ path: string; headers: Record<string, string>; body: string }>;
  close(): Promise<void>;
}

/** Starts the bare route and signs `count` distinct bodies in advance, as the payments bench does. */
export async function startCeiling(count: number): Promise<CeilingServer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const material = await developmentCertificate(mkdtempSync(join(tmpdir(), 'anfu-ceiling-')));
  const app = Fastify({ https: tlsServerOptions(material), logger: false });
  app.post('/ceiling', async (request, reply) => {
    const body = request.body as { instruction?: unknown; signature?: string };
    const verifier = createVerify('SHA256');
    verifier.update(JSON.stringify(body.instruction));
    const valid = verifier.verify(publicKey, body.signature ?? '', 'base64url');
    return reply.code(valid ? 201 : 400).send({ status: valid ? 'succeeded' : 'signature_invalid' });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no listening address');
  const requests = [];
  for (let i = 0; i < count; i += 1) {
    const instruction = { kind: 'transfer', payer: `cus_${i}`, payee: `cus_${i + 1}`, amount: '0.01', currency: 'CNY', nonce: `n-${i}` };
    const signer = createSign('SHA256');
    signer.update(JSON.stringify(instruction));
    const signature = signer.sign(privateKey, 'base64url');
    requests.push({ path: '/ceiling', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instruction, signature }) });
  }
  return { url: `https://127.0.0.1:${address.port}`, requests, close: () => app.close() };
}
