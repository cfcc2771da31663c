// Who is logged in on this page (in memory only, see shared/api.ts), the two ways a session starts, and
// how it stays alive: the access token (minutes) is renewed with the refresh token shortly before it
// expires, and at once when the server refuses it; one renewal at a time, because refresh tokens rotate
// and the server ends the whole session when one is used twice. A refused renewal ends the session here
// too and the login says why.
import { anfu, anonymous, renewWith, reply, setToken, whenUnauthenticated, type Reply } from '../shared/api.ts';
import { installId } from '../shared/device-key.ts';
import { go, signal } from '../shared/signal.ts';

export interface Session {
  readonly customerId: string;
  readonly deviceId: string;
  readonly strength: string;
}

export interface SessionBody {
  readonly customerId: string;
  readonly deviceId: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: string;
  readonly refreshToken: string;
  readonly authenticationStrength: string;
}

export interface LoginChallenge {
  readonly challengeId: string;
  readonly factors: readonly string[];
}

export const session = signal<Session | undefined>(undefined);
/** Why the last session ended when the person did not log out (shown on the login). */
export const endedBecause = signal<'session_ended' | undefined>(undefined);

// The refresh token: this module's memory only, like the access token (docs/web.md, SECURITY.md).
let refreshToken: string | undefined;
let renewal: Promise<boolean> | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Renew this long before expiry at most; a quarter of the lifetime when that is shorter. */
const renewAheadMs = 30_000;

function keep(body: SessionBody): void {
  setToken(body.accessToken);
  refreshToken = body.refreshToken;
  clearTimeout(timer);
  // The server's expiry against this clock: a skewed clock only moves the renewal, and a refused token
  // is renewed anyway. Clamped so a wild clock neither spins nor sleeps past the token.
  const untilExpiryMs = Date.parse(body.accessTokenExpiresAt) - Date.now();
  const lifetimeMs = Number.isFinite(untilExpiryMs) ? untilExpiryMs : renewAheadMs * 2;
  const delayMs = Math.min(Math.max(lifetimeMs - Math.min(renewAheadMs, lifetimeMs / 4), 1_000), 3_600_000);
  timer = setTimeout(() => void renew(), delayMs);
}

async function rotate(): Promise<boolean> {
  const sent = refreshToken;
  if (sent === undefined) return false;
  const answer = await reply(anonymous.POST('/v1/customer-sessions/refresh', { body: { refreshToken: sent } }));
  if (refreshToken !== sent) return false; // logged out (or in again) meanwhile
  if (answer.ok) {
    keep(answer.body);
    return true;
  }
  // Refused (revoked, expired, or used twice): the session is over. A network failure keeps it for now.
  if (answer.problem.status === 401) end('session_ended');
  return false;
}

/** Renews the access token; a second caller while one renewal runs waits for that one. */
export function renew(): Promise<boolean> {
  renewal ??= rotate().finally(() => {
    renewal = undefined;
  });
  return renewal;
}

export function begin(body: SessionBody): void {
  keep(body);
  endedBecause.set(undefined);
  session.set({ customerId: body.customerId, deviceId: body.deviceId, strength: body.authenticationStrength });
  go('/');
}

export function end(reason?: 'session_ended'): void {
  setToken(undefined);
  refreshToken = undefined;
  clearTimeout(timer);
  endedBecause.set(reason);
  session.set(undefined);
  go('/login');
}

whenUnauthenticated(() => end('session_ended'));
renewWith(renew);

export async function device(): Promise<Record<string, string>> {
  return { installId: await installId(), platform: 'web', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone };
}

export async function logOut(): Promise<void> {
  await reply(anfu.DELETE('/v1/me/session'));
  end();
}

export type LoginReply = Reply<SessionBody | LoginChallenge>;

export function isChallenge(body: SessionBody | LoginChallenge): body is LoginChallenge {
  return 'challengeId' in body;
}
