// Chapter 10.3 (access control) and 10.4 (application): operators' second factor, API tokens near
// expiry or outliving the policy, and advisories against the installed dependencies.
import { listApiTokens, listOperatorViews } from '../access/index.ts';
import { dayMs, duration, fail, listed, pass, unknown, warn } from './finding.ts';
import type { CheckDefinition } from './types.ts';

export const operatorsMfa: CheckDefinition = {
  id: 'hosts.operator-mfa',
  chapter: '10.3',
  indicator: 'security',
  requirement: 'Every operator who can act authenticates with two factors',
  control: 'operators enrol their own password + TOTP; sensitive actions need a password + TOTP session',
  async run({ store, clock }) {
    const operators = await listOperatorViews(store, clock());
    const acting = operators.filter((o) => o.status === 'active' && o.roleGranted);
    const without = acting.filter((o) => !o.enrolled).map((o) => `${o.name} (${o.role})`);
    const evidence =
      `${acting.length} active operators with a granted role; ${without.length} without a second factor` +
      (without.length > 0 ? `: ${listed(without)}` : '');
    if (without.length > 0)
      return fail(
        evidence,
        'have each named operator enrol (password + TOTP) now, or disable them; revoke their tokens',
      );
    if (acting.length === 0) return warn(evidence, 'no operator can act: bootstrap two administrators');
    return pass(evidence);
  },
};

export const tokensNearExpiry: CheckDefinition = {
  id: 'hosts.token-expiry',
  chapter: '10.3',
  indicator: 'security',
  requirement: 'Credentials expire; none outlives the policy and replacements are made before expiry',
  control: `operator API tokens expire (at most ANFU_OPERATOR_TOKEN_TTL_DAYS_MAX); \`anfu tokens list\``,
  async run({ store, clock, config }) {
    const now = clock();
    const live = await listApiTokens(store, { liveAt: now, limit: 10_000 });
    const maxMs = config.operatorTokenTtlDaysMax * dayMs;
    const tooLong = live.filter((t) => t.expiresAt - t.createdAt > maxMs).map((t) => `${t.operatorName}/${t.name}`);
    const soon = live
      .filter((t) => t.expiresAt - now < config.tokenExpiryWarningDays * dayMs)
      .map((t) => `${t.operatorName}/${t.name} in ${duration(t.expiresAt - now)}`);
    const evidence =
      `${live.length} live tokens; ${soon.length} expire within ${config.tokenExpiryWarningDays} d` +
      (soon.length > 0 ? ` (${listed(soon)})` : '') +
      (tooLong.length > 0
        ? `; ${tooLong.length} outlive the ${config.operatorTokenTtlDaysMax}-day policy (${listed(tooLong)})`
        : '');
    if (tooLong.length > 0) return fail(evidence, 'revoke the named tokens and issue ones within the policy');
    if (soon.length > 0) return warn(evidence, 'issue replacements (anfu tokens create) and revoke the old ones');
    return pass(evidence);
  },
};

export const dependencyAdvisories: CheckDefinition = {
  id: 'application.dependencies',
  chapter: '10.4',
  indicator: 'security',
  requirement: 'Known vulnerabilities in third-party components are found and fixed',
  control: 'npm audit against the installed lockfile; lockfile-lint and a secret scan in CI (scripts/security/)',
  async run({ dependencyAdvisories: advisories }) {
    const report = await advisories();
    if (!report.answered)
      return unknown(report.note, 'run `npm audit` where the registry answers, or a mirror with advisories');
    const c = report.counts;
    const evidence = `${report.note}: critical ${c.critical}, high ${c.high}, moderate ${c.moderate}, low ${c.low}`;
    if (c.critical + c.high > 0)
      return fail(evidence, 'upgrade or replace the affected packages (npm audit fix), then retest');
    if (c.moderate > 0) return warn(evidence, 'review the moderate advisories; upgrade where a fix exists');
    return pass(evidence);
  },
};
