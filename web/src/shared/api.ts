// The one way the web apps talk to Anfu: same-origin JSON over HTTPS. Session tokens live only in this
// module's memory (never localStorage, sessionStorage or cookies readable by script): a reload asks the
// person to log in again, and a script injected later cannot read a token from storage. Every refusal
// comes back as the server's problem+json, shown as it is (never re-decided here).

export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
}

export type Reply<T> = { readonly ok: true; readonly status: number; readonly body: T } | { readonly ok: false; readonly problem: Problem };

let bearer: string | undefined;
let onUnauthenticated: () => void = () => {};

export function setToken(value: string | undefined): void {
  bearer = value;
}

export function hasToken(): boolean {
  return bearer !== undefined;
}

/** Called when the server answers 401 to a request that carried the token (expired or revoked session). */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

function randomPart(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new idempotency key: one per thing the person means to do (kept across retries of that intent). */
export function intentKey(prefix = 'web'): string {
  return `${prefix}-${randomPart(16)}`;
}

export function nonce(): string {
  return randomPart(16);
}

export interface CallOptions {
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  readonly query?: Record<string, string | undefined>;
}

function problemOf(status: number, body: unknown): Problem {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<Problem>;
  return {
    status,
    code: typeof b.code === 'string' ? b.code : 'network_error',
    title: typeof b.title === 'string' ? b.title : `HTTP ${status}`,
    ...(typeof b.detail === 'string' ? { detail: b.detail } : {}),
  };
}

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  const query = Object.entries(options.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  const url = `/v1${path}${query.length === 0 ? '' : `?${new URLSearchParams(query).toString()}`}`;
  let response: Response;
  try {
    const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store' };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    response = await fetch(url, init);
  } catch {
    return { ok: false, problem: { status: 0, code: 'network_error', title: 'The server cannot be reached' } };
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, status: response.status, body: body as T };
  if (response.status === 401 && bearer !== undefined) onUnauthenticated();
  return { ok: false, problem: problemOf(response.status, body) };
}
