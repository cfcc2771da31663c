// Small helpers the checks share: results as values, durations in words.
import type { Finding } from './types.ts';

export const pass = (evidence: string): Finding => ({ result: 'pass', evidence, advice: '' });
export const warn = (evidence: string, advice: string): Finding => ({ result: 'warn', evidence, advice });
export const fail = (evidence: string, advice: string): Finding => ({ result: 'fail', evidence, advice });
export const unknown = (evidence: string, advice: string): Finding => ({ result: 'unknown', evidence, advice });

const hourMs = 3600_000;
const dayMs = 24 * hourMs;

/** "3 h", "2.5 d": an age or a remaining time in the unit that reads best. */
export function duration(ms: number): string {
  if (ms < 2 * hourMs) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * dayMs) return `${(ms / hourMs).toFixed(1)} h`;
  return `${(ms / dayMs).toFixed(1)} d`;
}

export { hourMs, dayMs };

/** At most `max` names, then "and N more". */
export function listed(names: readonly string[], max = 8): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
