// Chapter 10.2 (network) and 10.3 (hosts, access): the listener's TLS as a client sees it, the
// request rate limits, and the production settings.
import type { Config } from '../config.ts';
import { dayMs, duration, fail, pass, unknown, warn } from './finding.ts';
import { probeListener } from './tls-probe.ts';
import type { CheckDefinition, Finding } from './types.ts';

async function tlsFinding(probes: Parameters<CheckDefinition['run']>[0]): Promise<Finding> {
  const listener = probes.listener;
  if (listener === undefined)
    return unknown('no listener to probe from this process', 'run `anfu assess` on a host that reaches the API port');
  if (!listener.tls) {
    const behindProxy = probes.config.environment !== 'production';
    const advice = 'serve HTTPS (ANFU_TLS_CERT_FILE/KEY_FILE); plain HTTP only behind a TLS-terminating proxy';
    return behindProxy
      ? warn('the listener speaks plain HTTP', advice)
      : fail('the listener speaks plain HTTP', advice);
  }
  const outcomes = await probeListener(listener.host, listener.port);
  const weak = outcomes.filter((o) => o.name !== 'TLS 1.2' && o.name !== 'TLS 1.3' && o.accepted);
  const strong = outcomes.filter((o) => (o.name === 'TLS 1.2' || o.name === 'TLS 1.3') && o.accepted);
  const said = outcomes.map(
    (o) => `${o.name}: ${o.accepted ? `accepted (${o.protocol ?? '?'}, ${o.cipher ?? '?'})` : 'refused'}`,
  );
  const evidence = `handshakes with ${listener.host}:${listener.port} — ${said.join('; ')}`;
  if (strong.length === 0) {
    if (outcomes.every((o) => o.error === 'ECONNREFUSED' || o.error === 'timed out'))
      return unknown(`${listener.host}:${listener.port} did not answer`, 'check the listener is up, then run again');
    return fail(evidence, 'the listener accepts neither TLS 1.2 nor 1.3: check its TLS configuration');
  }
  if (weak.length > 0)
    return fail(evidence, `refuse ${weak.map((o) => o.name).join(', ')}: TLS ≥ 1.2 with ECDHE and AEAD suites only`);
  const certificate = strong[0]?.certificate ?? null;
  if (certificate !== null) {
    const left = certificate.validTo - probes.clock();
    const selfSigned = certificate.selfSigned ? ', self-signed' : '';
    const text = `${evidence}; certificate expires in ${duration(Math.max(0, left))}${selfSigned}`;
    if (left <= 0) return fail(text, 'the certificate has expired: install a new one');
    if (certificate.selfSigned && probes.config.environment === 'production')
      return fail(text, 'a self-signed certificate in production: install one from a trusted CA');
    if (left < 30 * dayMs) return warn(text, 'renew the certificate within the month');
    return pass(text);
  }
  return pass(evidence);
}

export const tlsListener: CheckDefinition = {
  id: 'network.tls',
  chapter: '10.2',
  indicator: 'confidentiality',
  requirement: 'Data in transit is protected by current protocols and strong cipher suites',
  control: 'HTTPS listener: TLS ≥ 1.2, ECDHE key exchange, AEAD suites, HSTS (src/http/tls.ts)',
  run: tlsFinding,
};

export const rateLimits: CheckDefinition = {
  id: 'network.rate-limits',
  chapter: '10.2',
  indicator: 'availability',
  requirement: 'The service limits request rates per source to resist flooding and enumeration',
  control: 'per-address and per-customer request limits in the store, shared by every process (src/throttle)',
  async run({ config }) {
    const evidence =
      `ANFU_RATE_LIMIT_PER_MINUTE=${config.rateLimitPerMinute}, ` +
      `ANFU_CUSTOMER_RATE_LIMIT_PER_MINUTE=${config.customerRateLimitPerMinute}, ` +
      `ANFU_PAYEE_LOOKUPS_PER_HOUR_MAX=${config.payeeLookupsPerHourMax}, ` +
      `ANFU_LOGIN_IP_FAILURES_MAX=${config.loginIpFailuresMax}`;
    const advice = 'keep per-address limits near real use (default 600/min per address, 120/min per customer)';
    if (config.rateLimitPerMinute > 6_000 || config.customerRateLimitPerMinute > 1_200) return fail(evidence, advice);
    if (config.rateLimitPerMinute > 1_200 || config.customerRateLimitPerMinute > 600) return warn(evidence, advice);
    return pass(evidence);
  },
};

/** Settings that are fine while developing and wrong in production; each names itself. */
export function weakSettings(config: Config): string[] {
  const weak: string[] = [];
  if (config.insecureHttp) weak.push('ANFU_INSECURE_HTTP (plain HTTP)');
  if (config.tlsCertFile === undefined && !config.insecureHttp) weak.push('development TLS certificate');
  if (config.kekFile === undefined && config.kek === undefined) weak.push('development KEK under the data directory');
  if (config.smsGatewayUrl === undefined) weak.push('no SMS gateway (development sink)');
  if (config.identityProviderUrl === undefined) weak.push('no identity provider (development verifier)');
  if (config.argon2MemoryKib < 19_456) weak.push(`argon2id memory ${config.argon2MemoryKib} KiB < 19456`);
  if (config.webhookAllowPrivateTargets) weak.push('ANFU_WEBHOOK_ALLOW_PRIVATE_TARGETS');
  if (config.trustProxy) weak.push('ANFU_TRUST_PROXY (client addresses from X-Forwarded-For)');
  if (config.securityWebhookUrl === undefined) weak.push('no security alert webhook (ANFU_SECURITY_WEBHOOK_URL)');
  if (config.databaseUrl === undefined) weak.push('embedded SQLite store (one process, no standby)');
  return weak;
}

export const productionSettings: CheckDefinition = {
  id: 'hosts.settings',
  chapter: '10.3',
  indicator: 'security',
  requirement: 'No default, weak or development settings in production',
  control: 'configuration validated at start; production refuses unsafe values (src/config.ts)',
  async run({ config }) {
    const weak = weakSettings(config);
    const found = weak.length === 0 ? 'no weak or default setting found' : `weak or default: ${weak.join('; ')}`;
    const evidence = `environment ${config.environment}; ${found}`;
    if (weak.length === 0) return pass(evidence);
    const advice = 'set each named setting as docs/OPERATIONS.md "Run" describes before going live';
    return config.environment === 'production' ? fail(evidence, advice) : warn(evidence, advice);
  },
};
