// Who is logged in on this page (in memory only, see shared/api.ts), and the two ways a session starts.
import { anfu, reply, setToken, whenUnauthenticated, type Reply } from '../shared/api.ts';
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
  readonly authenticationStrength: string;
}

export interface LoginChallenge {
  readonly challengeId: string;
  readonly factors: readonly string[];
}

export const session = signal<Session | undefined>(undefined);

export function begin(body: SessionBody): void {
  setToken(body.accessToken);
  session.set({ customerId: body.customerId, deviceId: body.deviceId, strength: body.authenticationStrength });
  go('/');
}

export function end(): void {
  setToken(undefined);
  session.set(undefined);
  go('/login');
}

whenUnauthenticated(end);

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
