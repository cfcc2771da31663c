// `anfu prove-instruction ID [DIR]`: exports a payment's signed instruction so anyone can check it
// with openssl alone — canonical.json (the exact signed bytes), sig.der, device.pem, ca.pem, pub.pem
// and verify.sh with the two commands (signature, then certificate chain).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Queryable } from '../store/index.ts';
import { instructionOf, type StoredInstruction } from './store/payments.ts';
import { publicKeyPemOf } from './verify-instruction.ts';

export function verifyScript(profile: 'intl' | 'gm'): string {
  const signature = profile === 'gm'
    ? 'openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -digest sm3 -pkeyopt distid:1234567812345678 -in canonical.json -sigfile sig.der'
    : 'openssl dgst -sha256 -verify pub.pem -signature sig.der canonical.json';
  return `#!/bin/sh\n# Checks the device signature over the canonical instruction, then the device certificate chain.\nset -e\ncd "$(dirname "$0")"\nopenssl x509 -in device.pem -pubkey -noout > pub.check.pem\ncmp -s pub.pem pub.check.pem || { echo 'pub.pem is not the key of device.pem'; exit 1; }\n${signature}\nopenssl verify -CAfile ca.pem device.pem\n`;
}

export function proofFiles(instruction: StoredInstruction): Record<string, string | Buffer> {
  return {
    'canonical.json': instruction.canonicalJson,
    'sig.der': instruction.signature,
    'device.pem': instruction.deviceCertificatePem,
    'ca.pem': instruction.caCertificatePem,
    'pub.pem': publicKeyPemOf(instruction.deviceCertificatePem),
    'verify.sh': verifyScript(instruction.profile),
    'proof.json': `${JSON.stringify({ paymentId: instruction.paymentId, profile: instruction.profile, deviceId: instruction.deviceId, signedAt: instruction.signedAt, receivedAt: instruction.receivedAt, signature: instruction.signature.toString('base64') }, null, 2)}\n`,
  };
}

export async function exportInstructionProof(q: Queryable, paymentId: string, directory: string): Promise<string | undefined> {
  const instruction = await instructionOf(q, paymentId);
  if (instruction === undefined) return undefined;
  const dir = resolve(directory);
  // The directory is the operator's command-line argument, never a request's.
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  mkdirSync(dir, { recursive: true });
  // eslint-disable-next-line security/detect-non-literal-fs-filename
  for (const [name, content] of Object.entries(proofFiles(instruction))) writeFileSync(join(dir, name), content, { mode: name === 'verify.sh' ? 0o755 : 0o644 });
  return dir;
}
