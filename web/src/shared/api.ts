// The one way the web apps talk to Anfu: `@anfu/sdk`'s typed client (paths, bodies and answers
// checked by the compiler against the OpenAPI document, so a changed API breaks this build), same
// origin. Session tokens live only in this module's memory (never localStorage, sessionStorage or a
// cookie readable by script): a reload asks the person to log in again, and a script injected later
// finds no token in storage. An expired token is renewed and the refused request sent once more. Every refusal comes back as the server's problem+json, shown as it is.
import { createAnfuClient } from '@anfu/sdk';

export interface Problem {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  /** Where the server lists several problems (e.g. a rule set's), each with its own code and place. */
  readonly problems?: readonly { readonly code: string; readonly where: string; readonly message: string }[];
}

export type Reply<T> = { readonly ok: true; readonly status: number; readonly body: T } | { readonly ok: false; readonly problem: Problem };

let bearer: string | undefined;
let onUnauthenticated: () => void = () => {};
let renew: (() => Promise<boolean>) | undefined;

export function setToken(value: string | undefined): void {
  bearer = value;
}

/** Called when the server refuses the token a request carried (401 unauthenticated: expired or revoked session). */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

/**
 * How a page renews its token (the wallet rotates its refresh token; the console has none). On a 401 to a
 * request that carried the token, the request is sent once more after a renewal: a 401 is refused before any
 * work, so sending it again cannot do anything twice. `renew` is expected to keep one renewal in flight.
 */
export function renewWith(handler: (() => Promise<boolean>) | undefined): void {
  renew = handler;
}

/** The one answer that means "this session's token no longer works" (not a wrong code or signature). */
async function sessionRefused(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  const body: unknown = await response.clone().json().catch(() => undefined);
  return typeof body === 'object' && body !== null && (body as { code?: unknown }).code === 'unauthenticated';
}

async function renewingFetch(request: Request): Promise<Response> {
  const sent = bearer;
  const again = request.clone();
  const first = await fetch(request);
  if (sent === undefined || renew === undefined || !(await sessionRefused(first))) return first;
  // Renewed meanwhile by another request (or the timer): use the new token; otherwise renew now.
  if (bearer === sent && !(await renew())) return first;
  if (bearer === undefined || bearer === sent) return first;
  await first.body?.cancel();
  const headers = new Headers(again.headers);
  headers.set('authorization', `Bearer ${bearer}`);
  return fetch(new Request(again, { headers }));
}

export const anfu = createAnfuClient({
  baseUrl: globalThis.location?.origin ?? 'https://localhost',
  credentials: { kind: 'bearer', token: () => bearer ?? '' },
  // A person is waiting: one retry at most, and only where the SDK deems it safe.
  retry: { attempts: 2 },
  fetch: renewingFetch,
});

/** For calls that must not carry the session's token or renew it (the renewal itself). */
export const anonymous = createAnfuClient({
  baseUrl: globalThis.location?.origin ?? 'https://localhost',
  retry: { attempts: 1 },
});

function randomPart(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new idempotency key: one per thing the person means to do (kept across retries of that intent). */
export function intentKey(prefix = 'web'): string {
  return `${prefix}-${randomPart(16)}`;
}

function isListedProblem(p: unknown): p is { code: string; where: string; message: string } {
  const o = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
  return typeof o.code === 'string' && typeof o.where === 'string' && typeof o.message === 'string';
}

function problemOf(status: number, body: unknown): Problem {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<Problem>;
  return {
    status,
    code: typeof b.code === 'string' ? b.code : 'network_error',
    title: typeof b.title === 'string' ? b.title : `HTTP ${status}`,
    ...(typeof b.detail === 'string' ? { detail: b.detail } : {}),
    ...(Array.isArray(b.problems) ? { problems: b.problems.filter(isListedProblem).slice(0, 20) } : {}),
  };
}

/** A typed call's answer as the screens use it: the body, or the problem to show. */
export async function reply<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<Reply<T>> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    return { ok: false, problem: { status: 0, code: 'network_error', title: 'The server cannot be reached' } };
  }
  const { data, error, response } = result;
  if (response.ok) return { ok: true, status: response.status, body: data as T };
  const problem = problemOf(response.status, error);
  // Only a refused bearer ends the session: a wrong step-up or one-time code (401 code_invalid) is
  // answered on the form where the person can type it again, not by logging them out.
  if (response.status === 401 && problem.code === 'unauthenticated' && bearer !== undefined) onUnauthenticated();
  return { ok: false, problem };
}
