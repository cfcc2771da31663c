// Dependency advisories from `npm audit --json`. When the registry does not answer (no network, a
// mirror without the audit endpoint) the answer is "not answered", which the report shows as unknown,
// never as a pass.
import { execFile } from 'node:child_process';
import type { AdvisoryReport } from './types.ts';

const zero = { critical: 0, high: 0, moderate: 0, low: 0, info: 0 };

/** Reads npm audit's JSON (v7+ format): metadata.vulnerabilities counts, or an error object. */
export function parseNpmAudit(stdout: string): AdvisoryReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return { answered: false, counts: zero, note: 'npm audit printed no JSON' };
  }
  const body = parsed as {
    error?: { summary?: string; detail?: string };
    message?: string;
    metadata?: { vulnerabilities?: Record<string, number> };
  };
  const counts = body.metadata?.vulnerabilities;
  if (body.error !== undefined || counts === undefined) {
    const why = [body.error?.summary, body.message, body.error?.detail].find((t) => typeof t === 'string' && t !== '');
    return {
      answered: false,
      counts: zero,
      note: `the registry did not answer: ${(why ?? 'no advisory data').slice(0, 160)}`,
    };
  }
  const of = (name: keyof typeof zero) => (typeof counts[name] === 'number' ? counts[name] : 0);
  return {
    answered: true,
    counts: { critical: of('critical'), high: of('high'), moderate: of('moderate'), low: of('low'), info: of('info') },
    note: 'npm audit (production and development dependencies)',
  };
}

/** Runs `npm audit --json` in `cwd` (the installation), bounded by `timeoutMs`. */
export function npmAudit(cwd: string, timeoutMs = 60_000): Promise<AdvisoryReport> {
  return new Promise((resolve) => {
    // npm exits 1 when it finds advisories; the JSON on stdout is what counts.
    execFile('npm', ['audit', '--json'], { cwd, timeout: timeoutMs, maxBuffer: 32 << 20 }, (error, stdout) => {
      if (stdout.trim() === '') {
        resolve({
          answered: false,
          counts: zero,
          note: `npm audit did not run: ${error?.message.slice(0, 120) ?? 'no output'}`,
        });
        return;
      }
      resolve(parseNpmAudit(stdout));
    });
  });
}

/** Caches one answer for `ttlMs`: the audit asks the registry, which is slow and rate-limited. */
export function cachedAdvisories(source: () => Promise<AdvisoryReport>, clock: () => number, ttlMs: number) {
  let cached: { at: number; report: Promise<AdvisoryReport> } | undefined;
  return (): Promise<AdvisoryReport> => {
    const now = clock();
    if (cached === undefined || now - cached.at > ttlMs) cached = { at: now, report: source() };
    return cached.report;
  };
}
