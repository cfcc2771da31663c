// The SDK's fetch: signs or authenticates each attempt afresh (a merchant signature carries its
// timestamp, and the server refuses a replayed one), and retries what is safe to retry — 429 and
// 5xx answers and network failures of requests that are reads or carry an Idempotency-Key — with
// exponential back-off and full jitter, honouring Retry-After (seconds or an HTTP date).

export interface Outgoing {
  readonly method: string;
  /** Path and query exactly as sent, e.g. "/v1/merchant/orders?x=1". */
  readonly pathAndQuery: string;
  /** The body exactly as sent ("" when there is none). */
  readonly body: string;
  readonly headers: Headers;
}

/** Adds credentials to one attempt (bearer token, merchant signature …). */
export type Authenticator = (outgoing: Outgoing) => void | Promise<void>;

export interface RetryOptions {
  /** Attempts in all, the first included (default 4; 1 disables retries). */
  readonly attempts?: number;
  /** First back-off in ms (default 200), doubled per attempt up to `maxDelayMs`. */
  readonly baseDelayMs?: number;
  /** Longest wait between attempts, Retry-After included (default 20 000 ms). */
  readonly maxDelayMs?: number;
  /** Waits; tests pass their own. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Random in [0, 1) for the jitter; tests pass their own. */
  readonly random?: () => number;
  /** Now in ms, to read a Retry-After date. */
  readonly now?: () => number;
}

export interface TransportOptions {
  readonly authenticate?: Authenticator | undefined;
  readonly retry?: RetryOptions | undefined;
  /** The fetch underneath (default globalThis.fetch). */
  readonly fetch?: ((request: Request) => Promise<Response>) | undefined;
}

const retriedStatuses = new Set([500, 502, 503, 504]);
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The wait a Retry-After header asks for, in ms, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether a request may be sent again without risk of doing its work twice. */
export function retrySafe(method: string, headers: Headers): boolean {
  return safeMethods.has(method.toUpperCase()) || headers.has('idempotency-key');
}

export function backoffMs(attempt: number, options: RetryOptions, response: Response | undefined): number {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 20_000;
  const header = response?.headers.get('retry-after') ?? null;
  const asked = retryAfterMs(header, (options.now ?? Date.now)());
  if (asked !== undefined) return Math.min(asked, max);
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

const sleeper = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createTransport(options: TransportOptions = {}): (request: Request) => Promise<Response> {
  const attempts = Math.max(1, options.retry?.attempts ?? 4);
  const retry = options.retry ?? {};
  return async (request) => {
    const base = options.fetch ?? globalThis.fetch;
    const body = request.body === null ? '' : await request.text();
    const url = new URL(request.url);
    for (let attempt = 1; ; attempt += 1) {
      const headers = new Headers(request.headers);
      await options.authenticate?.({ method: request.method, pathAndQuery: url.pathname + url.search, body, headers });
      const init: RequestInit = { method: request.method, headers, signal: request.signal };
      if (body !== '') init.body = body;
      const more = attempt < attempts;
      const safe = retrySafe(request.method, headers);
      let response: Response | undefined;
      try {
        response = await base(new Request(url, init));
      } catch (error) {
        if (!more || !safe || request.signal.aborted) throw error;
      }
      if (response !== undefined) {
        // A 429 was refused before any work, so it may always be sent again; a 5xx only when safe.
        const again = more && (response.status === 429 || (safe && retriedStatuses.has(response.status)));
        if (!again) return response;
      }
      await response?.body?.cancel();
      await (retry.sleep ?? sleeper)(backoffMs(attempt, retry, response));
    }
  };
}
