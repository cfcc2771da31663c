// The per-route half of merchant mutual TLS: the server asks every client for a certificate but lets
// the handshake succeed without one (public routes must work), so a merchant route checks here that
// the connection presented a certificate that chained to the configured CA and names a merchant.
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { AnfuError } from '../errors.ts';
import { merchantUriPrefix } from './platform-ca.ts';

export interface MerchantCertificate {
  readonly merchantId: string;
  /** SHA-256 fingerprint, for pinning a certificate to a merchant record and for audit. */
  readonly fingerprint256: string;
}

/** The merchant a verified client certificate names, or undefined (none, unverified, or not a merchant's). */
export function merchantCertificateOf(request: FastifyRequest): MerchantCertificate | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const certificate = socket.getPeerCertificate();
  const names = (certificate.subjectaltname ?? '').split(', ');
  const uri = names.find((name) => name.startsWith(`URI:${merchantUriPrefix}`));
  if (uri === undefined) return undefined;
  return { merchantId: uri.slice(`URI:${merchantUriPrefix}`.length), fingerprint256: certificate.fingerprint256 };
}

/** A preHandler for merchant routes: refuses the request unless a verified merchant certificate was presented. */
export async function requireMerchantCertificate(request: FastifyRequest): Promise<void> {
  if (merchantCertificateOf(request) === undefined) throw new AnfuError('client_certificate_required');
}
