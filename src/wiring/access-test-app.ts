// Test support for operator access: the real app on a real store with a clock the test moves,
// operators created with known secrets, logins that compute the right TOTP code for the clock,
// and a reader for the audit rows a test must find.
import { totpCodeAt, type OperatorRole } from '../access/index.ts';
import type { Config } from '../config.ts';
import type { App } from '../http/app.ts';
import type { Ledger } from '../ledger/index.ts';
import type { Store } from '../store/index.ts';
import type { StoreKind } from '../store/testing.ts';
import { createTestApp, type TestAppOptions } from './test-app.ts';
import { enrolledTestOperator, testOperatorToken, type TestOperator } from './test-operators.ts';

export type { TestOperator };

export interface AccessTestApp {
  readonly app: App;
  readonly store: Store;
  readonly ledger: Ledger;
  readonly config: Config;
  /** The app's clock; move it with `advance`. */
  now(): number;
  advance(ms: number): void;
  /** An operator enrolled through the real enrolment path, with the password and TOTP secret it chose. */
  operator(role: OperatorRole, name?: string): Promise<TestOperator>;
  login(operator: TestOperator, ip?: string): Promise<string>;
  apiToken(role: OperatorRole): Promise<string>;
  auditRows(action: string): Promise<{ actor_type: string; actor_id: string | null; target: string | null; outcome: string; details: Record<string, unknown>; ip: string | null }[]>;
  close(): Promise<void>;
}

export async function createAccessTestApp(
  kind: StoreKind,
  env: Record<string, string> = {},
  options: Pick<TestAppOptions, 'caseKinds' | 'paymentIdentity'> = {},
): Promise<AccessTestApp> {
  // Start in the middle of a TOTP step so ±1-step tests are not at a boundary.
  let now = Math.floor(Date.UTC(2030, 0, 1) / 30_000) * 30_000 + 10_000;
  const clock = () => now;
  const base = await createTestApp(kind, { ANFU_LOG_LEVEL: 'silent', ...env }, { clock, clockedKeyring: true, dataDirPrefix: 'anfu-access-', ...options });
  const { app, store, ledger, config } = base;
  return {
    app, store, ledger, config,
    now: clock,
    advance(ms) {
      now += ms;
    },
    operator: (role, name) => enrolledTestOperator({ store, totpSecrets: app.context.access.totpSecrets, policy: app.context.access.enrolmentPolicy }, role, now, name),
    async login(operator, ip) {
      // Each login uses the next TOTP step, as a person would wait for the next code.
      now += 30_000;
      const response = await app.inject({ method: 'POST', url: '/v1/operator-sessions', remoteAddress: ip ?? '127.0.0.1', payload: { name: operator.name, password: operator.password, totp: totpCodeAt(operator.totpSecret, now) } });
      if (response.statusCode !== 201) throw new Error(`login failed: ${response.body}`);
      return (response.json() as { token: string }).token;
    },
    async apiToken(role) {
      const operator = await enrolledTestOperator({ store, totpSecrets: app.context.access.totpSecrets, policy: app.context.access.enrolmentPolicy }, role, now);
      return testOperatorToken(store, operator.id, config.operatorTokenTtlDaysMax, now);
    },
    async auditRows(action) {
      const rows = await store.all('SELECT actor_type, actor_id, target, outcome, details, ip FROM audit_entries WHERE action = ? ORDER BY seq', [action]);
      return rows.map((r) => ({ actor_type: String(r.actor_type), actor_id: r.actor_id === null ? null : String(r.actor_id), target: r.target === null ? null : String(r.target), outcome: String(r.outcome), details: JSON.parse(String(r.details)) as Record<string, unknown>, ip: r.ip === null ? null : String(r.ip) }));
    },
    close: () => base.close(),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
