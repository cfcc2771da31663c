/* eslint-disable security/detect-non-literal-fs-filename -- paths come from operator configuration, never from a request */
// Transport security: the TLS options every listener uses (TLS 1.2 minimum, forward-secret AEAD
// suites only), and the development certificate generated on first start when none is configured.
import { webcrypto, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** TLS 1.2 suites allowed: ECDHE key exchange, AEAD ciphers. TLS 1.3 suites are all strong. */
export const tls12Ciphers = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** Where it came from, for the start-up message. */
  readonly source: string;
  /** CA certificate(s) for merchant client certificates (mutual TLS); undefined = none requested. */
  readonly clientCa?: string | undefined;
}

export function tlsServerOptions(material: TlsMaterial) {
  return {
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2' as const,
    ciphers: tls12Ciphers,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
    // Mutual TLS is asked for, not required: public routes still work without a certificate, and
    // merchant routes check `socket.authorized` themselves (src/http/client-certificate.ts).
    ...(material.clientCa === undefined ? {} : { ca: material.clientCa, requestCert: true, rejectUnauthorized: false }),
  };
}

export function loadTlsFiles(certFile: string, keyFile: string): TlsMaterial {
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  createPrivateKey(key); // fails early, with OpenSSL's message, on a malformed key
  return { cert, key, source: certFile };
}

/** Returns the development certificate under `dataDir/tls`, creating it the first time. */
export async function developmentCertificate(dataDir: string, now: Date = new Date()): Promise<TlsMaterial> {
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'dev-cert.pem');
  const keyFile = join(dir, 'dev-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { ...loadTlsFiles(certFile, keyFile), source: certFile };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
      name: 'CN=Anfu development server, O=Anfu',
      notBefore: now,
      notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ]),
      ],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert.toString('pem') + '\n', { mode: 0o644 });
  return { cert: cert.toString('pem'), key, source: `${certFile} (generated)` };
}
