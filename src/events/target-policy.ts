// Which webhook URLs the platform will call. A merchant chooses the URL, so without a check the
// platform could be made to POST into its own network (SSRF): in production only https to public
// addresses, checked on registration and again on every connection (the resolved address, so a DNS
// answer that changes after registration cannot point a delivery inside).
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';

export interface TargetPolicy {
  readonly httpsRequired: boolean;
  readonly privateAddressesAllowed: boolean;
}

export const urlLengthMax = 2048;

const privateRanges = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) privateRanges.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96]] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv6');
}

/** True for loopback, private, link-local, reserved and documentation addresses (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return privateRanges.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return privateRanges.check(mapped[1], 'ipv4');
  return privateRanges.check(address, 'ipv6');
}

export type TargetCheck = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly reason: string };

/** The checks that need no DNS: scheme, credentials, and addresses written into the URL. */
export function checkTargetUrl(text: string, policy: TargetPolicy): TargetCheck {
  if (text.length > urlLengthMax) return { ok: false, reason: `the URL is longer than ${urlLengthMax} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'only http and https URLs can receive webhooks' };
  if (url.protocol === 'http:' && policy.httpsRequired) return { ok: false, reason: 'webhook URLs must use https' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'webhook URLs must not carry credentials' };
  if (url.hash !== '') return { ok: false, reason: 'webhook URLs must not have a fragment' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.privateAddressesAllowed && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host)))) {
    return { ok: false, reason: 'webhook URLs must point to a public address' };
  }
  return { ok: true, url };
}

export class TargetRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TargetRefusedError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses private answers. It resolves every address and refuses
 * if any is private, so a host cannot mix one public and one private record to slip through.
 */
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, '');
      if (!policy.privateAddressesAllowed && addresses.some((a) => isPrivateAddress(a.address))) {
        return callback(new TargetRefusedError('the host resolves to a private address'), '');
      }
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '');
      if (options.all === true) return callback(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}
