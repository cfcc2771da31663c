// Who is logged in to the console (the token itself lives in shared/api.ts's memory only).
import { setToken, whenUnauthenticated } from '../shared/api.ts';
import { signal } from '../shared/signal.ts';

export const operator = signal<string | undefined>(undefined);

export function end(): void {
  setToken(undefined);
  operator.set(undefined);
}
whenUnauthenticated(end);

/** The route's path and its query ("/audit?target=pay_1" → "/audit" and target=pay_1). */
export function splitRoute(route: string): { path: string; query: URLSearchParams } {
  const at = route.indexOf('?');
  return at < 0
    ? { path: route, query: new URLSearchParams() }
    : { path: route.slice(0, at), query: new URLSearchParams(route.slice(at + 1)) };
}
