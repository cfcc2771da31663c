// The one way the web apps talk to Anfu: `@anfu/sdk`'s typed client (paths, bodies and answers
// checked by the compiler against the OpenAPI document, so a changed API breaks this build), same
// origin. Session tokens live only in this module's memory (never localStorage, sessionStorage or a
// cookie readable by script): a reload asks the person to log in again, and a script injected later
// finds no token in storage. Every refusal comes back as the server's problem+json, shown as it is.
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

export function setToken(value: string | undefined): void {
  bearer = value;
}

/** Called when the server refuses the token a request carried (401 unauthenticated: expired or revoked session). */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export const anfu = createAnfuClient({
  baseUrl: globalThis.location?.origin ?? 'https://localhost',
  credentials: { kind: 'bearer', token: () => bearer ?? '' },
  // A person is waiting: one retry at most, and only where the SDK deems it safe.
  retry: { attempts: 2 },
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
