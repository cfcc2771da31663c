// Login risk (R3.6, R4.1): a pure decider over features the caller loads (device, network, hour,
// failures, velocity). Rules are a table so the risk capability can grow them into versioned data
// (R4.2); each rule that fires adds its weight and its reason. The decision says allow, challenge
// (with the factor strength acceptable) or deny.
import type { Tx } from '../store/index.ts';

export interface LoginFeatures {
  /** The device fingerprint was never seen on a successful login of this customer. */
  readonly newDevice: boolean;
  /** The client address's network (/24 or /48) was never seen on a successful login. */
  readonly newNetwork: boolean;
  /** The wider network (/16 or /32) was never seen: a stand-in for region until geolocation is wired. */
  readonly newRegion: boolean;
  /** Failed logins on the account in the last 24 hours. */
  readonly recentFailures: number;
  /** Login attempts (any outcome) on the account in the last hour. */
  readonly attemptsLastHour: number;
  /** Strangers' failures have locked the account's password for unknown devices; this known device still gets in with a second factor. */
  readonly lockedForStrangers?: boolean;
}

export type LoginRiskReason =
  | 'new_device'
  | 'new_network'
  | 'new_region'
  | 'unusual_hour'
  | 'recent_failures'
  | 'velocity'
  | 'locked_for_strangers';

export interface LoginRule {
  readonly reason: LoginRiskReason;
  readonly weight: number;
  readonly fires: (features: LoginFeatures, localHour: number) => boolean;
}

export interface LoginRiskDecision {
  readonly decision: 'allow' | 'challenge' | 'deny';
  readonly score: number;
  readonly reasons: readonly LoginRiskReason[];
  /** 'any' second factor, or only 'strong' ones (not SMS) when the customer has enrolled one. */
  readonly factorStrength: 'any' | 'strong';
  /**
   * Stores the decision (snapshot, score, rules hit), audits it and moves the customer's last location,
   * in the login's transaction, once the device is known; absent when nothing is to be stored (the
   * fixed rules, or a decider without a store).
   */
  readonly record?: (tx: Tx, deviceId: string) => Promise<void>;
}

export const loginRules: readonly LoginRule[] = [
  { reason: 'new_device', weight: 40, fires: (f) => f.newDevice },
  { reason: 'new_region', weight: 30, fires: (f) => f.newRegion },
  { reason: 'new_network', weight: 15, fires: (f) => f.newNetwork && !f.newRegion },
  { reason: 'unusual_hour', weight: 15, fires: (_, hour) => hour >= 1 && hour < 5 },
  { reason: 'recent_failures', weight: 20, fires: (f) => f.recentFailures >= 3 },
  { reason: 'velocity', weight: 50, fires: (f) => f.attemptsLastHour >= 20 },
  { reason: 'locked_for_strangers', weight: 30, fires: (f) => f.lockedForStrangers === true },
];

export const loginThresholds = { challenge: 30, strongFactor: 60, deny: 100 } as const;
/** Hours are judged on China Standard Time, where the customers are. */
const localOffsetMs = 8 * 3600_000;

export function localHourOf(now: number): number {
  return new Date(now + localOffsetMs).getUTCHours();
}

export function decideLogin(
  features: LoginFeatures,
  now: number,
  rules: readonly LoginRule[] = loginRules,
): LoginRiskDecision {
  const hour = localHourOf(now);
  const fired = rules.filter((rule) => rule.fires(features, hour));
  const score = fired.reduce((sum, rule) => sum + rule.weight, 0);
  const reasons = fired.map((rule) => rule.reason);
  const factorStrength = score >= loginThresholds.strongFactor ? 'strong' : 'any';
  if (score >= loginThresholds.deny) return { decision: 'deny', score, reasons, factorStrength };
  if (score >= loginThresholds.challenge) return { decision: 'challenge', score, reasons, factorStrength };
  return { decision: 'allow', score, reasons, factorStrength };
}

/** The network prefixes the rules compare: /24 and /16 for IPv4, /48 and /32 for IPv6. */
export function networksOf(ip: string | null): { network: string; region: string } | undefined {
  if (ip === null) return undefined;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4 !== null) return { network: `${v4[1]}.${v4[2]}.${v4[3]}.0/24`, region: `${v4[1]}.${v4[2]}.0.0/16` };
  const groups = ip.toLowerCase().split(':');
  if (groups.length < 3) return undefined;
  return { network: `${groups.slice(0, 3).join(':')}::/48`, region: `${groups.slice(0, 2).join(':')}::/32` };
}
