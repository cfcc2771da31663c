// The typed client: openapi-fetch over the generated `paths`, so a call's path, parameters, body
// and answer are checked by the compiler against the API, plus the transport (credentials on every
// attempt, retries). `data` unwraps a result or throws AnfuApiError carrying the problem+json.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.ts';
import { merchantAuthenticator, bearerAuthenticator } from './merchant-signing.ts';
import { createTransport, type Authenticator, type RetryOptions } from './transport.ts';

export type Problem = components['schemas']['Problem'];
export type AnfuClient = Client<paths>;

export type Credentials =
  | { readonly kind: 'none' }
  /** Operator session or API token, or a customer access token (a function is asked on every attempt). */
  | { readonly kind: 'bearer'; readonly token: string | (() => string | Promise<string>) }
  /** The merchant API key "<keyId>.<secret>" shown once at onboarding: every request is signed. */
  | { readonly kind: 'merchant'; readonly apiKey: string; readonly now?: () => number };

export interface ClientOptions {
  /** Where the server is, e.g. "https://localhost:8443" (paths carry their /v1). */
  readonly baseUrl: string;
  readonly credentials?: Credentials;
  readonly retry?: RetryOptions;
  /** The fetch underneath (default globalThis.fetch). */
  readonly fetch?: (request: Request) => Promise<Response>;
}

function authenticatorOf(credentials: Credentials | undefined): Authenticator | undefined {
  if (credentials === undefined || credentials.kind === 'none') return undefined;
  if (credentials.kind === 'bearer') return bearerAuthenticator(credentials.token);
  return merchantAuthenticator(credentials.apiKey, credentials.now);
}

export function createAnfuClient(options: ClientOptions): AnfuClient {
  const transport = createTransport({
    authenticate: authenticatorOf(options.credentials),
    retry: options.retry,
    fetch: options.fetch,
  });
  return createClient<paths>({ baseUrl: options.baseUrl.replace(/\/$/, ''), fetch: transport });
}

export class AnfuApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(`${status} ${problem?.code ?? 'error'}${problem?.detail === undefined ? '' : `: ${problem.detail}`}`);
    this.name = 'AnfuApiError';
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

/** The body of a successful answer, or AnfuApiError with the problem the server sent. */
export async function data<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data: body, error, response } = await call;
  if (response.ok) return body as T;
  const problem = typeof error === 'object' && error !== null && 'code' in error ? (error as Problem) : undefined;
  throw new AnfuApiError(response.status, problem);
}
