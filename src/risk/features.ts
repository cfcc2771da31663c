// The feature catalogue (R4.1): every name a rule may read, its type, and the events that provide it.
// A rule that names a feature not in this catalogue, or not provided on one of its events, is refused
// when it is parsed, so a rule set never fails at run time for a typo. Values are typed: amounts carry
// their currency, durations are milliseconds (Infinity = never happened), counts are integers.

export type RiskEvent = 'payment' | 'topup' | 'withdrawal' | 'login' | 'card_binding' | 'factor_change';
export const riskEvents: readonly RiskEvent[] = [
  'payment',
  'topup',
  'withdrawal',
  'login',
  'card_binding',
  'factor_change',
];

export type ValueType = 'amount' | 'duration' | 'count' | 'string' | 'bool' | 'set';

export interface AmountValue {
  readonly minor: bigint;
  readonly currency: string;
}

export type Value = AmountValue | number | string | boolean | ReadonlySet<string>;

/** The values of one event's features, by name. */
export type FeatureValues = Readonly<Record<string, Value>>;

export interface FeatureDefinition {
  readonly type: ValueType;
  readonly events: readonly RiskEvent[];
  readonly doc: string;
}

const all = riskEvents;
const money: readonly RiskEvent[] = ['payment', 'topup', 'withdrawal'];
const login: readonly RiskEvent[] = ['login'];
/** Events whose client address moves the customer's last location (travel is measured between them). */
const located: readonly RiskEvent[] = [...money, 'login'];

/** Identity events count too (counts only: they move no amount), each kind on its own (identity-store.ts). */
const velocity = (
  subject: string,
  events: readonly RiskEvent[],
  counted = events,
): Record<string, FeatureDefinition> => {
  const out: Record<string, FeatureDefinition> = {};
  for (const window of ['1m', '1h', '24h', '30d']) {
    out[`${subject}.count_${window}`] = {
      type: 'count',
      events: counted,
      doc: `events of this ${subject} in the last ${window} (on login, card binding, factor change: of that kind)`,
    };
    out[`${subject}.sum_${window}`] = { type: 'amount', events, doc: `amount moved by this ${subject} in ${window}` };
  }
  return out;
};

const identity: readonly RiskEvent[] = ['login', 'card_binding', 'factor_change'];

/**
 * Failed attempts per subject in each window (identity-store.ts): logins (a wrong password or login
 * challenge answer) and step-ups (a signed-in customer's wrong second factor: factor change, payment).
 */
const failed = (subject: string, events: readonly RiskEvent[], kind = 'logins'): Record<string, FeatureDefinition> =>
  Object.fromEntries(['1m', '1h', '24h', '30d'].map((window) => [`${subject}.failed_${kind}_${window}`, {
    type: 'count',
    events,
    doc: `failed ${kind === 'logins' ? 'logins' : 'step-ups'} of this ${subject} in the last ${window}`,
  } satisfies FeatureDefinition]));

export const featureCatalogue: Readonly<Record<string, FeatureDefinition>> = {
  amount: { type: 'amount', events: money, doc: 'the amount of this payment, top-up or withdrawal' },
  'payer.recent_payments': { type: 'count', events: money, doc: 'payments of the payer in the velocity window' },
  'payee.new': { type: 'bool', events: money, doc: 'the payer never paid this payee successfully' },
  'payee.blocked': { type: 'bool', events: money, doc: 'the payee is on the block list' },
  'card.new': { type: 'bool', events: money, doc: 'first event with this card fingerprint for the customer' },
  'card.blocked': { type: 'bool', events: [...money, 'card_binding'], doc: 'the card fingerprint is blocked' },
  'device.payees_24h': { type: 'count', events: money, doc: 'distinct payees paid from this device' },
  ...velocity('customer', money, all),
  ...velocity('device', money, all),
  ...velocity('address', money, all),
  ...velocity('payee', money),
  ...velocity('card', money),
  ...failed('customer', identity),
  ...failed('address', identity),
  // At login the device is its fingerprint (the same browser across accounts); elsewhere its id.
  ...failed('device', login),
  ...failed('customer', identity, 'step_ups'),
  ...failed('address', identity, 'step_ups'),
  'device.customers_30d': { type: 'count', events: login, doc: 'distinct customers logged in on this device in 30 d' },
  'address.customers_30d': { type: 'count', events: login, doc: 'distinct customers logged in from this /24 in 30 d' },
  'customer.age': { type: 'duration', events: all, doc: 'time since the customer registered' },
  'customer.class': { type: 'string', events: all, doc: "the account class: 'I', 'II' or 'III'" },
  'customer.ml_risk': {
    type: 'string',
    events: money,
    doc: "the customer's money-laundering risk level in force: 'low', 'medium', 'high' ('' when never rated)",
  },
  'customer.dormant': { type: 'duration', events: all, doc: 'time since the previous event of the customer' },
  'id.blocked': { type: 'bool', events: all, doc: 'the hash of the ID number is blocked' },
  'device.age': { type: 'duration', events: all, doc: 'time since the device was enrolled' },
  'device.new': { type: 'bool', events: all, doc: 'first event of this customer from this device' },
  'device.blocked': { type: 'bool', events: all, doc: 'the device is blocked' },
  'device.allowed': { type: 'bool', events: all, doc: 'the device is allow-listed' },
  'address.allowed': { type: 'bool', events: all, doc: 'the client address is in an allow-listed range' },
  'id.allowed': { type: 'bool', events: all, doc: 'the hash of the ID number is allow-listed' },
  'payee.allowed': { type: 'bool', events: money, doc: 'the payee is allow-listed' },
  'card.allowed': { type: 'bool', events: money, doc: 'the card fingerprint is allow-listed' },
  'address.new': { type: 'bool', events: all, doc: 'the /24 (/48) network is new for the customer' },
  'address.region_new': { type: 'bool', events: all, doc: 'the /16 (/32) network is new for the customer' },
  'address.country': { type: 'string', events: all, doc: 'the same as ip.country (kept for older rule sets)' },
  'ip.country': { type: 'string', events: all, doc: "ISO country of the client address; 'ZZ' when unknown or private" },
  'ip.region': { type: 'string', events: all, doc: "UN sub-region of that country ('Eastern Asia'); 'unknown'" },
  'travel.distance_km': { type: 'count', events: located, doc: 'km from the last located event (between countries)' },
  'travel.speed_kmh': { type: 'count', events: located, doc: 'that distance over the time since, in km/h' },
  'travel.impossible': { type: 'bool', events: located, doc: 'over 500 km at over 1000 km/h since the last event' },
  'hour.history': { type: 'count', events: money, doc: "money events in the customer's hour histogram" },
  'address.blocked': { type: 'bool', events: all, doc: 'the client address is in a blocked range' },
  hour: { type: 'count', events: all, doc: 'local hour of day (China Standard Time), 0–23' },
  'hour.deviation': { type: 'count', events: money, doc: "hours to the customer's nearest usual hour (0 = no habit)" },
  'factor.changed_ago': { type: 'duration', events: all, doc: 'time since a factor was added, replaced or removed' },
  'password.changed_ago': { type: 'duration', events: all, doc: 'time since the password changed' },
  'login.failures_24h': { type: 'count', events: login, doc: 'failed logins on the account in 24 h' },
  'login.attempts_1h': { type: 'count', events: login, doc: 'login attempts on the account in the last hour' },
  'login.locked_for_strangers': { type: 'bool', events: login, doc: "strangers' failures locked the password" },
  'screening.hit': { type: 'bool', events: all, doc: 'a screening signal matched (sanctions, watch list)' },
  'screening.score': { type: 'count', events: all, doc: 'the best screening match score, 0–100' },
  'aml.alert': { type: 'bool', events: all, doc: 'an AML monitor raised an alert on the customer' },
};

/** The default of each type: what a feature reads when the caller could not provide it. */
export function neutralValue(type: ValueType, currency: string): Value {
  switch (type) {
    case 'amount':
      return { minor: 0n, currency };
    case 'duration':
      return Number.POSITIVE_INFINITY;
    case 'count':
      return 0;
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'set':
      return new Set<string>();
  }
}

/** Every catalogue feature of the event at its neutral value ("nothing known"), to be overridden. */
export function neutralFeatures(event: RiskEvent, currency: string): Readonly<Record<string, Value>> {
  const key = `${event}:${currency}`;
  let out = neutralCache.get(key);
  if (out === undefined) {
    const built: Record<string, Value> = {};
    for (const [name, def] of Object.entries(featureCatalogue)) {
      if (def.events.includes(event)) built[name] = neutralValue(def.type, currency);
    }
    out = Object.freeze(built);
    if (neutralCache.size < 1000) neutralCache.set(key, out);
  }
  return out;
}

const neutralCache = new Map<string, Readonly<Record<string, Value>>>();
const templateCache = new Map<string, Record<string, Value>>();

/**
 * A fresh, writable record of every catalogue feature of the event at its neutral value: the start of
 * an event's feature record. Copied from a template that is never frozen nor handed out, because V8
 * copies an unfrozen object of this size about a hundred times faster than a frozen one.
 */
export function neutralRecord(event: RiskEvent, currency: string): Record<string, Value> {
  return { ...neutralTemplate(event, currency) };
}

function neutralTemplate(event: RiskEvent, currency: string): Readonly<Record<string, Value>> {
  const key = `${event}:${currency}`;
  let template = templateCache.get(key);
  if (template === undefined) {
    template = { ...neutralFeatures(event, currency) };
    if (templateCache.size < 1000) templateCache.set(key, template);
  }
  return template;
}

/** The features that differ from their neutral value: what a decision's snapshot needs to store. */
export function nonNeutral(features: FeatureValues, event: RiskEvent, currency: string): Record<string, Value> {
  const neutral = neutralTemplate(event, currency);
  const out: Record<string, Value> = {};
  for (const name in features) {
    const value = features[name] as Value;
    if (Object.hasOwn(features, name) && !isNeutral(value, neutral[name])) out[name] = value;
  }
  return out;
}

function isNeutral(value: Value, base: Value | undefined): boolean {
  if (base === value) return true;
  if (typeof base !== 'object' || typeof value !== 'object') return false;
  if ('minor' in base && 'minor' in value) return base.minor === value.minor && base.currency === value.currency;
  return base instanceof Set && value instanceof Set && base.size === 0 && value.size === 0;
}
