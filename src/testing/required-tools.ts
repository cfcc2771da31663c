// CI must prove what it claims: a test that needs an outside tool (PostgreSQL, Chromium, oathtool,
// openssl, sslscan, patroni …) may skip on a developer's machine that lacks it, but when
// ANFU_REQUIRE_TOOLS=1 (set by .ci/run) a missing tool is a failure, never a silent skip.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export function toolsRequired(): boolean {
  return process.env.ANFU_REQUIRE_TOOLS === '1';
}

/** True when `name` is on PATH (or is an existing absolute path). */
export function hasTool(name: string): boolean {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a tool path named by the test itself
  if (name.startsWith('/')) return existsSync(name);
  try {
    execFileSync('sh', ['-c', `command -v ${JSON.stringify(name)}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The `skip` option for a test that needs `what`: false when present; a reason string when absent
 * on a developer's machine; throws when absent and tools are required, so the run fails loudly.
 */
export function skipUnless(present: boolean, what: string): false | string {
  if (present) return false;
  if (toolsRequired()) throw new Error(`${what} is required (ANFU_REQUIRE_TOOLS=1) but missing`);
  return `${what} is not available`;
}

/** The PostgreSQL URL for tests, or a skip reason (a failure under ANFU_REQUIRE_TOOLS=1). */
export function postgresSkip(): false | string {
  const url = process.env.ANFU_TEST_DATABASE_URL;
  return skipUnless(url !== undefined && url !== '', 'PostgreSQL (ANFU_TEST_DATABASE_URL)');
}
