// One webhook delivery attempt over HTTP(S): POST the signed body, wait at most `timeoutMs` for the
// whole exchange (connect, response, body), follow no redirects. 2xx is delivered; anything else is
// a failed attempt with an error class that says why, never the error text (it may echo the URL).
import http from 'node:http';
import https from 'node:https';
import type { AttemptResult } from './retry-schedule.ts';
import { checkTargetUrl, guardedLookup, TargetRefusedError, type TargetPolicy } from './target-policy.ts';

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Responses are read and thrown away; a huge one must not keep the slot busy or fill memory. */
const responseBytesMax = 64 * 1024;

const networkClasses: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ENOTFOUND: 'dns_failure',
  EAI_AGAIN: 'dns_failure',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
};

export function errorClassOf(error: unknown, timedOut: boolean): { errorClass: string; permanent: boolean } {
  if (timedOut) return { errorClass: 'timeout', permanent: false };
  if (error instanceof TargetRefusedError) return { errorClass: 'target_refused', permanent: true };
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    const known = networkClasses[code];
    if (known !== undefined) return { errorClass: known, permanent: false };
    if (/CERT|SSL|TLS/.test(code)) return { errorClass: 'tls_failure', permanent: false };
  }
  return { errorClass: 'network_error', permanent: false };
}

export async function postWebhook(request: WebhookRequest, options: { timeoutMs: number; targets: TargetPolicy }): Promise<AttemptResult> {
  const target = checkTargetUrl(request.url, options.targets);
  if (!target.ok) return { outcome: 'failed', statusCode: undefined, errorClass: 'target_refused', permanent: true };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    const statusCode = await exchange(target.url, request, options.targets, controller.signal);
    if (statusCode >= 200 && statusCode < 300) return { outcome: 'delivered', statusCode };
    return { outcome: 'failed', statusCode, errorClass: 'http_status', permanent: false };
  } catch (error) {
    return { outcome: 'failed', statusCode: undefined, ...errorClassOf(error, timedOut) };
  } finally {
    clearTimeout(timer);
  }
}

function exchange(url: URL, request: WebhookRequest, targets: TargetPolicy, signal: AbortSignal): Promise<number> {
  const client = url.protocol === 'https:' ? https : http;
  const body = Buffer.from(request.body, 'utf8');
  return new Promise<number>((resolve, reject) => {
    const outgoing = client.request(url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json', 'content-length': String(body.length) },
      signal,
      lookup: guardedLookup(targets),
      // A fresh connection each time: no pooled socket outlives the attempt's abort.
      agent: false,
    }, (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > responseBytesMax) response.destroy();
      });
      response.on('error', () => resolve(response.statusCode ?? 0));
      response.on('close', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
