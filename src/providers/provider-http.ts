// One signed JSON POST to a provider, with a deadline. Returns what happened as a value (answered,
// or no answer) so each client decides what is retried. Error text never carries the request body:
// it holds phone numbers, names and ID numbers.
import { randomBytes } from 'node:crypto';
import { signRequest, type SigningKey } from './request-signing.ts';

/** Every response of `anfu provider-sim` carries this header; production refuses such an answer. */
export const simulatorHeader = 'x-provider-simulator';
export const responseBytesMax = 64 * 1024;

export interface ProviderEndpoint {
  /** e.g. https://sms.example.com (no trailing slash needed). */
  readonly baseUrl: string;
  readonly key: SigningKey;
  readonly timeoutMs: number;
  /** Production refuses answers from the simulator even if a URL slipped past the configuration check. */
  readonly production: boolean;
  readonly clock?: () => number;
}

export type ProviderAnswer =
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly body: Record<string, unknown>;
      readonly retryAfterSeconds: number | undefined;
    }
  | { readonly kind: 'no_answer'; readonly reason: 'timeout' | 'network' | 'bad_response' | 'simulator_refused' };

function urlOf(endpoint: ProviderEndpoint, path: string): string {
  return `${endpoint.baseUrl.replace(/\/+$/, '')}${path}`;
}

/** What the signature covers of a URL: path and query, as the receiver sees them in its request line. */
export function signedPathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

async function readBody(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await response.text();
  if (Buffer.byteLength(text, 'utf8') > responseBytesMax) return undefined;
  if (text.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export async function postSigned(
  endpoint: ProviderEndpoint,
  path: string,
  payload: object,
  signal?: AbortSignal,
): Promise<ProviderAnswer> {
  const body = JSON.stringify(payload);
  const now = (endpoint.clock ?? Date.now)();
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    ...signRequest(
      endpoint.key,
      { method: 'POST', path: signedPathOf(urlOf(endpoint, path)), body },
      Math.floor(now / 1000),
      randomBytes(18).toString('base64url'),
    ),
  };
  const deadline = AbortSignal.timeout(endpoint.timeoutMs);
  const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
  try {
    const response = await fetch(urlOf(endpoint, path), {
      method: 'POST',
      headers,
      body,
      signal: combined,
      redirect: 'error',
    });
    if (endpoint.production && response.headers.get(simulatorHeader) !== null) {
      await response.body?.cancel();
      return { kind: 'no_answer', reason: 'simulator_refused' };
    }
    const parsed = await readBody(response);
    if (parsed === undefined) return { kind: 'no_answer', reason: 'bad_response' };
    const retryAfter = response.headers.get('retry-after');
    return {
      kind: 'answered',
      status: response.status,
      body: parsed,
      retryAfterSeconds: retryAfter !== null && /^[0-9]{1,6}$/.test(retryAfter) ? Number(retryAfter) : undefined,
    };
  } catch {
    return { kind: 'no_answer', reason: combined.aborted ? 'timeout' : 'network' };
  }
}
