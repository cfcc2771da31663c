// The platform CA that certifies customer device keys (R3.5). Its key pair is made once, its private
// key sealed in identity_keys under the 'device-ca' purpose, and its self-signed certificate is what `openssl verify -CAfile` trusts. The CA
// signs with ECDSA P-256 under both profiles (WebCrypto, through @peculiar/x509); under the gm
// profile the certified device keys are SM2 and device signatures are SM2-SM3.
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PersonalDataProtection } from './personal-data.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const caLifetimeMs = 10 * 365 * 24 * 3600_000;
export const deviceCertificateLifetimeMs = 365 * 24 * 3600_000;

export interface DeviceCa {
  readonly certificatePem: string;
  /** Certifies `publicKeySpki` (DER) for `deviceId`; returns the certificate PEM and its serial (hex). */
  issue(deviceId: string, publicKeySpki: Buffer, now: number): Promise<{ certificatePem: string; serial: string }>;
  /** True when `certificatePem` parses and carries a valid signature of this CA, and is within its validity. */
  issued(certificatePem: string, now: number): Promise<{ serial: string } | undefined>;
}

async function makeCa(now: number): Promise<{ secret: string; publicText: string }> {
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=Anfu Device CA, O=Anfu',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + caLifetimeMs),
    signingAlgorithm,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey))),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return { secret: pkcs8, publicText: certificate.toString('pem') };
}

export async function openDeviceCa(protection: PersonalDataProtection, now: number): Promise<DeviceCa> {
  const existing = await protection.identityKey('device-ca', () => makeCa(now));
  if (existing.publicText === null) throw new Error('device CA certificate missing');
  const caCertificate = new x509.X509Certificate(existing.publicText);
  const signingKey = await webcrypto.subtle.importKey('pkcs8', Buffer.from(existing.secret, 'base64'), keyAlgorithm, false, ['sign']);
  const caPublicKey = await caCertificate.publicKey.export(keyAlgorithm, ['verify']);
  return {
    certificatePem: existing.publicText,
    async issue(deviceId, publicKeySpki, at) {
      const serial = randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');
      const certificate = await x509.X509CertificateGenerator.create({
        serialNumber: serial,
        subject: `CN=${deviceId}, O=Anfu customer device`,
        issuer: caCertificate.subject,
        notBefore: new Date(at - 60_000),
        notAfter: new Date(at + deviceCertificateLifetimeMs),
        signingAlgorithm,
        publicKey: publicKeySpki,
        signingKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
          await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false),
        ],
      });
      return { certificatePem: certificate.toString('pem'), serial };
    },
    async issued(certificatePem, at) {
      try {
        const certificate = new x509.X509Certificate(certificatePem);
        if (certificate.issuer !== caCertificate.subject) return undefined;
        const valid = await certificate.verify({ publicKey: caPublicKey, date: new Date(at) });
        return valid ? { serial: certificate.serialNumber } : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
