// Real handshakes against the running listener: which protocol versions and TLS 1.2 cipher families
// it accepts, what it negotiates, and its certificate's expiry. Only handshakes are made; no request.
import { connect, type PeerCertificate, type SecureVersion } from 'node:tls';

export interface HandshakeOutcome {
  readonly accepted: boolean;
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly certificate: { readonly validTo: number; readonly selfSigned: boolean } | null;
  readonly error: string | null;
}

export interface HandshakeAttempt {
  readonly name: string;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** OpenSSL cipher list for TLS ≤ 1.2; undefined = Node's defaults. */
  readonly ciphers?: string;
}

/** What a sound listener refuses, then what it should accept. */
export const handshakeAttempts: readonly HandshakeAttempt[] = [
  { name: 'TLS 1.0', minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
  { name: 'TLS 1.1', minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
  {
    name: 'TLS 1.2 without forward secrecy or AEAD',
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: 'AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256:AES128-GCM-SHA256:DES-CBC3-SHA:@SECLEVEL=0',
  },
  {
    name: 'TLS 1.2 ECDHE with CBC',
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384',
  },
  { name: 'TLS 1.2', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
  { name: 'TLS 1.3', minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' },
];

function certificateOf(peer: PeerCertificate | undefined): HandshakeOutcome['certificate'] {
  if (peer === undefined || peer.valid_to === undefined) return null;
  const subject = JSON.stringify(peer.subject ?? {});
  const issuer = JSON.stringify(peer.issuer ?? {});
  return { validTo: Date.parse(peer.valid_to), selfSigned: subject === issuer };
}

export function tryHandshake(
  host: string,
  port: number,
  attempt: HandshakeAttempt,
  timeoutMs = 5_000,
): Promise<HandshakeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: HandshakeOutcome) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    const refused = (error: string): HandshakeOutcome => ({
      accepted: false,
      protocol: null,
      cipher: null,
      certificate: null,
      error,
    });
    const socket = connect({
      host,
      port,
      servername: /^[0-9.:]+$/.test(host) ? undefined : host,
      // The probe checks what the listener offers, not who it is: the certificate is reported, not trusted.
      rejectUnauthorized: false,
      minVersion: attempt.minVersion,
      maxVersion: attempt.maxVersion,
      ...(attempt.ciphers === undefined ? {} : { ciphers: attempt.ciphers }),
    });
    socket.setTimeout(timeoutMs, () => finish(refused('timed out')));
    socket.once('secureConnect', () =>
      finish({
        accepted: true,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        certificate: certificateOf(socket.getPeerCertificate()),
        error: null,
      }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) => finish(refused(error.code ?? error.message.slice(0, 80))));
  });
}

export async function probeListener(host: string, port: number): Promise<Array<HandshakeAttempt & HandshakeOutcome>> {
  const outcomes = [];
  for (const attempt of handshakeAttempts) outcomes.push({ ...attempt, ...(await tryHandshake(host, port, attempt)) });
  return outcomes;
}
