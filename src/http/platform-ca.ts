/* eslint-disable security/detect-non-literal-fs-filename -- paths come from operator configuration, never from a request */
// The platform CA for merchant mutual TLS: an ECDSA P-256 CA that issues client certificates naming
// the merchant (CN and a SAN URI urn:anfu:merchant:<id>). `ANFU_MTLS_CA_FILE=platform` uses the CA
// under <dataDir>/ca (created on first use, key mode 0600); a path uses a CA kept elsewhere.
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Config } from '../config.ts';

type CryptoKey = webcrypto.CryptoKey;

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const provider = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];
const merchantIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
export const merchantUriPrefix = 'urn:anfu:merchant:';
export const merchantCertificateDaysDefault = 397;

export interface PlatformCa {
  readonly cert: string;
  readonly certificate: x509.X509Certificate;
  readonly privateKey: CryptoKey;
}

function serialNumber(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

function pemOf(pkcs8: ArrayBuffer): string {
  return `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
}

async function importCaKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

async function createCa(now: Date): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: 'CN=Anfu platform CA, O=Anfu',
      notBefore: now,
      notAfter: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, provider),
      ],
    },
    provider,
  );
  return { cert: `${certificate.toString('pem')}\n`, key: pemOf(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** The platform CA under `dataDir/ca`, created the first time. */
export async function platformCa(dataDir: string, now: Date = new Date()): Promise<PlatformCa> {
  const dir = join(dataDir, 'ca');
  const certFile = join(dir, 'platform-ca.pem');
  const keyFile = join(dir, 'platform-ca-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const made = await createCa(now);
    writeFileSync(keyFile, made.key, { mode: 0o600 });
    writeFileSync(certFile, made.cert, { mode: 0o644 });
  }
  const cert = readFileSync(certFile, 'utf8');
  return { cert, certificate: new x509.X509Certificate(cert), privateKey: await importCaKey(readFileSync(keyFile, 'utf8')) };
}

/** A client certificate and its new private key (PEM) for a merchant, signed by the platform CA. */
export async function issueMerchantCertificate(ca: PlatformCa, merchantId: string, options: { now?: Date; days?: number } = {}): Promise<{ cert: string; key: string }> {
  if (!merchantIdPattern.test(merchantId)) throw new Error('a merchant id is 1–64 letters, digits, _ or -');
  const now = options.now ?? new Date();
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: `CN=${merchantId}, O=Anfu merchant`,
      issuer: ca.certificate.subject,
      notBefore: now,
      notAfter: new Date(now.getTime() + (options.days ?? merchantCertificateDaysDefault) * 24 * 3600 * 1000),
      signingAlgorithm: algorithm,
      publicKey: keys.publicKey,
      signingKey: ca.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `${merchantUriPrefix}${merchantId}` }]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false, provider),
      ],
    },
    provider,
  );
  return { cert: `${certificate.toString('pem')}\n`, key: pemOf(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** The CA certificate(s) client certificates must chain to, or undefined when mutual TLS is off. */
export async function clientCaFor(config: Pick<Config, 'mtlsCaFile' | 'dataDir'>): Promise<string | undefined> {
  if (config.mtlsCaFile === undefined || config.mtlsCaFile === '') return undefined;
  if (config.mtlsCaFile === 'platform') return (await platformCa(config.dataDir)).cert;
  return readFileSync(config.mtlsCaFile, 'utf8');
}

/** The client CA's public facts for the key inventory (never its key): undefined when mutual TLS is off. */
export async function platformCaFacts(
  config: Pick<Config, 'mtlsCaFile' | 'dataDir'>,
): Promise<{ subject: string; notBefore: number; notAfter: number; platform: boolean } | undefined> {
  const pem = await clientCaFor(config);
  if (pem === undefined) return undefined;
  const certificate = new x509.X509Certificate(pem);
  return {
    subject: certificate.subject, notBefore: certificate.notBefore.getTime(), notAfter: certificate.notAfter.getTime(),
    platform: config.mtlsCaFile === 'platform',
  };
}
